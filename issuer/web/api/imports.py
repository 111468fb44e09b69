"""Badges earned elsewhere, added by the learner: ``/api/me/imports`` (``issuer.services.imports``)."""

from __future__ import annotations

import uuid
from typing import Any, Final

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath

from issuer.db.models import ImportedCredential, Person
from issuer.errors import AuthenticationRequiredError, InvalidRequestError, UploadTooLargeError
from issuer.services.imports import MAX_IMPORT_BYTES, delete_import, import_credential, list_imports
from issuer.web.auth import signed_in
from issuer.web.deps import Db, Now, Svc, User

__all__ = ["ImportController", "import_view"]

_TEXT_TYPES: Final = frozenset(
    {"application/json", "application/ld+json", "application/vc+ld+json", "text/plain", "application/vc+jwt"}
)


def import_view(record: ImportedCredential) -> dict[str, Any]:
    """An imported badge as the learner (and whoever reads their record) sees it."""
    return {
        "id": str(record.id),
        "credentialId": record.credential_id,
        "imported": True,
        "format": record.format,
        "issuer": {"id": record.issuer_id, "name": record.issuer_name},
        "achievementName": record.achievement_name,
        "level": record.level,
        "issuedAt": record.issued_at,
        "importedAt": record.imported_at,
        "updatedAt": record.updated_at,
        "source": record.source,
    }


async def _me(db: Db, principal: User) -> Person:
    person = await db.get(Person, principal.person_id) if principal.person_id else None
    if person is None:
        raise AuthenticationRequiredError("sign in as a person")
    return person


async def _upload(request: Request[Any, Any, Any]) -> bytes:
    """The badge in the body: the credential itself (JSON-LD or a VC-JWT as text), or a form's ``file``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidRequestError("file: attach the badge (JSON-LD, JWT, or a baked PNG or SVG)")
        data = await upload.read(MAX_IMPORT_BYTES + 1)
    elif media_type in _TEXT_TYPES:
        data = await request.body()
    else:
        raise InvalidRequestError(
            "send the badge as application/json (JSON-LD), text/plain (a VC-JWT) or multipart/form-data (file)"
        )
    if len(data) > MAX_IMPORT_BYTES:
        raise UploadTooLargeError(f"a badge to import is at most {MAX_IMPORT_BYTES:,} bytes")
    if not data.strip():
        raise InvalidRequestError("the badge is empty")
    return data


class ImportController(Controller):
    path = "/api/me/imports"
    tags = ["learner record"]  # noqa: RUF012 - litestar's own attribute type

    @post("/", opt=signed_in(scope="record:import"), summary="Add a badge earned elsewhere to my record")
    async def add(
        self, request: Request[Any, Any, Any], db: Db, services: Svc, principal: User, now: Now
    ) -> Response[dict[str, Any]]:
        """The badge is verified (proof, issuer key, dates, status, structure) and must name me (my e-mail
        address or DID); it is kept exactly as sent. 201 when new, 200 when it replaced the same badge.
        Refused: 422 ``IMPORT_REFUSED`` with each failed check in ``errors``."""
        data = await _upload(request)
        person = await _me(db, principal)
        outcome = await import_credential(
            db, services, person, data, now=now, source="upload", actor=principal
        )
        return Response(import_view(outcome.credential), status_code=201 if outcome.created else 200)

    @get("/", opt=signed_in(scope="record:read"), summary="The badges I imported")
    async def list(self, db: Db, principal: User) -> list[dict[str, Any]]:
        """Newest first (by the date each badge was issued)."""
        person = await _me(db, principal)
        return [import_view(record) for record in await list_imports(db, person.id)]

    @delete(
        "/{import_id:uuid}",
        opt=signed_in(scope="record:import"),
        summary="Remove an imported badge",
        status_code=204,
    )
    async def remove(self, import_id: FromPath[uuid.UUID], db: Db, principal: User) -> None:
        """Only from my own record (another learner's is 404)."""
        person = await _me(db, principal)
        await delete_import(db, person.id, import_id)
