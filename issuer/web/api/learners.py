"""The learner's record (``/api/learners/{person_id}/...``, ``/api/me/credentials``) and a supervisor's
grants (``/api/me/grants``)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from litestar import Controller, Response, delete, get
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody
from pydantic import Field

from issuer.errors import AuthenticationRequiredError, NotFoundError
from issuer.services.invitations import grants_of
from issuer.services.record import RecordEntry, delete_learner, download, read_imported, read_record
from issuer.web.api.admin import grant_view
from issuer.web.api.imports import import_view
from issuer.web.auth import SESSION_COOKIE, signed_in
from issuer.web.deps import Db, Now, Svc, User
from issuer.web.schemas import Strict

__all__ = ["LearnerController", "MyRecordController"]


class Confirmation(Strict):
    confirm: str = Field(max_length=254, description="The learner's e-mail address, typed again.")


def _entry_view(entry: RecordEntry, learner_id: uuid.UUID) -> dict[str, Any]:
    credential = entry.credential
    base = f"/api/learners/{learner_id}/credentials/{credential.id}"
    return {
        "id": credential.id,
        "badge": credential.badge_slug,
        "badgeName": entry.badge_name,
        "level": credential.level,
        "levelName": entry.level_name,
        "issuer": {"slug": entry.issuer.slug, "name": entry.issuer.name, "did": entry.issuer.did},
        "attester": entry.attester_name,
        "issuedAt": credential.issued_at,
        "state": credential.state,  # never the private reason
        "formats": entry.formats,
        "downloads": {name: f"{base}.{name}" for name in entry.formats},
        "imported": False,
    }


async def _record_view(db: Db, principal: User, learner_id: uuid.UUID, now: Now) -> list[dict[str, Any]]:
    """Issued and imported badges together, newest first; imported ones say so (``imported``)."""
    issued = [
        _entry_view(entry, learner_id) for entry in await read_record(db, principal, learner_id, now=now)
    ]
    imported = [import_view(record) for record in await read_imported(db, principal, learner_id)]
    return sorted([*issued, *imported], key=lambda view: view["issuedAt"], reverse=True)


def _me(principal: User) -> uuid.UUID:
    if principal.person_id is None:
        raise AuthenticationRequiredError("sign in as a person")
    return principal.person_id


class LearnerController(Controller):
    path = "/api/learners/{person_id:uuid}"
    tags = ["learner record"]  # noqa: RUF012 - litestar's own attribute type

    @get(
        "/credentials",
        opt=signed_in(scope="record:read"),
        summary="A learner's badges (the learner, a guardian of a minor, or staff of the issuer)",
    )
    async def credentials(
        self, person_id: FromPath[uuid.UUID], db: Db, principal: User, now: Now
    ) -> list[dict[str, Any]]:
        """Staff see the badges their organisation issued, and each such read is in the audit log; badges
        the learner imported are listed for every reader, marked ``imported``."""
        return await _record_view(db, principal, person_id, now)

    @get(
        "/credentials/{file:str}",
        opt=signed_in(scope="record:read"),
        summary="Download a badge: <credential id>.json, .jwt, .png or .svg",
        media_type="application/octet-stream",
    )
    async def download(
        self, person_id: FromPath[uuid.UUID], file: FromPath[str], db: Db, principal: User, now: Now
    ) -> Response[bytes]:
        """JSON-LD and VC-JWT are the signed texts exactly as issued; PNG and SVG have the credential
        baked in (OB 3.0 §5.3). A format that was not issued is 404."""
        credential_id, dot, file_format = file.rpartition(".")
        if not dot or not credential_id:
            raise NotFoundError("name the file <credential id>.json, .jwt, .png or .svg")
        found = await download(db, principal, person_id, credential_id, file_format, now=now)
        return Response(
            found.content,
            media_type=found.media_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @delete(
        "/",
        opt=signed_in(scope="record:delete"),
        summary="Delete a learner's personal data (the learner, or a guardian of a minor)",
        status_code=204,
    )
    async def erase(
        self,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[Confirmation],
        db: Db,
        services: Svc,
        principal: User,
        now: Now,
    ) -> Response[None]:
        """Removes the account and evidence; the badges already handed out keep verifying."""
        await delete_learner(db, services, principal, person_id, confirm=data.confirm, now=now)
        cookies = []
        if principal.person_id == person_id:  # their own sessions are gone with the account
            cookies.append(Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/"))
        return Response(None, status_code=204, cookies=cookies)


class MyRecordController(Controller):
    path = "/api/me"
    tags = ["learner record"]  # noqa: RUF012 - litestar's own attribute type

    @get("/credentials", opt=signed_in(scope="record:read"), summary="My badges")
    async def my_credentials(self, db: Db, principal: User, now: Now) -> list[dict[str, Any]]:
        return await _record_view(db, principal, _me(principal), now)

    @get("/grants", opt=signed_in(), summary="What I may attest, as a supervisor: badges x students")
    async def my_grants(self, db: Db, services: Svc, principal: User) -> list[dict[str, Any]]:
        # A sign-in limited to one organisation sees only that organisation's grants.
        grants = await grants_of(
            db, services.catalog, _me(principal), organisation_id=principal.token_organisation
        )
        return [grant_view(grant) for grant in grants]
