"""The learner's badges from elsewhere: ``/me/imports`` lists them, takes a new one as a file (JSON-LD,
VC-JWT, or a baked PNG/SVG: verified before it is kept, ``issuer.services.imports``) and removes one."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from issuer.db.models import Person
from issuer.errors import AuthenticationRequiredError, ImportRefusedError, InvalidStateError
from issuer.services.imports import MAX_IMPORT_BYTES, delete_import, import_credential, list_imports
from issuer.web.auth import signed_in
from issuer.web.deps import Db, Now, Svc, User
from issuer.web.pages.forms import read_form
from issuer.web.pages.render import page, redirect, translator

__all__ = ["ImportPages"]


async def _person(db: Db, principal: User) -> Person:
    person = await db.get(Person, principal.person_id) if principal.person_id else None
    if person is None:
        raise AuthenticationRequiredError("this account no longer exists")
    return person


class ImportPages(Controller):
    include_in_schema = False

    @get("/me/imports", opt=signed_in(page=True))
    async def imports(self, request: Request[Any, Any, Any], db: Db, principal: User) -> Response[str]:
        person = await _person(db, principal)
        rows = await list_imports(db, person.id)
        return await page(
            request, "learner/imports.html", {"rows": rows, "errors": [], "max_mb": MAX_IMPORT_BYTES // 2**20}
        )

    @post("/me/imports", opt=signed_in(page=True))
    async def add(
        self, request: Request[Any, Any, Any], db: Db, services: Svc, principal: User, now: Now
    ) -> Response[Any]:
        """The badge is verified first; a refusal shows each failed check, and nothing is kept."""
        form = await read_form(request)
        t = translator(request)
        person = await _person(db, principal)
        uploads = form.files.get("file", [])
        errors: list[str] = []
        if not uploads:
            errors = [t.gettext("Choose the badge file to add.")]
        else:
            data = await uploads[0].read(MAX_IMPORT_BYTES + 1)
            if len(data) > MAX_IMPORT_BYTES:
                errors = [t.gettext("The file is larger than the service accepts.")]
            else:
                try:
                    outcome = await import_credential(
                        db, services, person, data, now=now, source="upload", actor=principal
                    )
                except ImportRefusedError as err:
                    errors = [err.detail, *err.problems]
                except InvalidStateError as err:
                    errors = [err.detail]
        if errors:
            rows = await list_imports(db, person.id)
            context = {"rows": rows, "errors": errors, "max_mb": MAX_IMPORT_BYTES // 2**20}
            return await page(request, "learner/imports.html", context, status=422)
        name = outcome.credential.achievement_name or outcome.credential.credential_id
        return redirect(
            "/me/imports", flash=t.gettext("Added to your record: %(name)s") % {"name": name[:200]}
        )

    @post("/me/imports/{import_id:uuid}/remove", opt=signed_in(page=True))
    async def remove(
        self, request: Request[Any, Any, Any], import_id: FromPath[uuid.UUID], db: Db, principal: User
    ) -> Response[Any]:
        person = await _person(db, principal)
        await delete_import(db, person.id, import_id)
        return redirect(
            "/me/imports", flash=translator(request).gettext("The badge was taken out of your record.")
        )
