"""A learner's CLR 2.0 transcripts (``/api/me/clr``): ask for one, list them, download one again."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody
from pydantic import Field

from issuer.services.transcripts import (
    MAX_BADGES,
    TranscriptEntry,
    create_transcript,
    get_transcript,
    list_transcripts,
)
from issuer.transcripts import MAX_DESCRIPTION, MAX_NAME
from issuer.web.auth import signed_in
from issuer.web.deps import Db, Now, Svc, User
from issuer.web.schemas import Strict

__all__ = ["TranscriptController"]

# CLR 2.0 is a JSON-LD verifiable credential: served like a badge's JSON-LD (OB 3.0 §5).
MEDIA_TYPE = "application/vc+ld+json"


class TranscriptRequest(Strict):
    badges: list[str] = Field(
        max_length=MAX_BADGES, description="Ids of the learner's badges (urn:uuid:…), in the order wanted."
    )
    name: str = Field(max_length=MAX_NAME, description="The transcript's title.")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)


def _headers(entry: TranscriptEntry) -> dict[str, str]:
    filename = f"transcript-{entry.transcript.id.removeprefix('urn:uuid:')}.json"
    return {"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"}


def transcript_view(entry: TranscriptEntry) -> dict[str, Any]:
    transcript = entry.transcript
    return {
        "id": transcript.id,
        "name": transcript.name,
        "issuer": {
            "slug": entry.organisation.slug,
            "name": entry.organisation.name,
            "did": entry.organisation.did,
        },
        "badges": transcript.credential_ids,
        "issuedAt": transcript.issued_at,
        "download": f"/api/me/clr/{transcript.id}",
    }


class TranscriptController(Controller):
    path = "/api/me/clr"
    tags = ["learner record"]  # noqa: RUF012 - litestar's own attribute type

    @post(
        "/",
        opt=signed_in(scope="record:transcript"),
        summary="A signed CLR 2.0 transcript of chosen badges of mine",
        media_type=MEDIA_TYPE,
        status_code=201,
    )
    async def create(
        self, data: JSONBody[TranscriptRequest], db: Db, services: Svc, principal: User, now: Now
    ) -> Response[bytes]:
        """Answers the signed ClrCredential (stored, so ``Location`` downloads it again). Every badge must be
        mine, active, in JSON-LD form and from one organisation, which signs the transcript."""
        entry = await create_transcript(
            db,
            services,
            principal,
            credential_ids=data.badges,
            name=data.name,
            description=data.description,
            now=now,
        )
        return Response(
            entry.transcript.ldp.encode(),
            media_type=MEDIA_TYPE,
            status_code=201,
            headers={**_headers(entry), "Location": f"/api/me/clr/{entry.transcript.id}"},
        )

    @get("/", opt=signed_in(scope="record:read"), summary="My CLR transcripts, newest first")
    async def list_mine(self, db: Db, principal: User) -> list[dict[str, Any]]:
        return [transcript_view(entry) for entry in await list_transcripts(db, principal)]

    @get(
        "/{transcript_id:str}",
        opt=signed_in(scope="record:read"),
        summary="Download one of my CLR transcripts again, exactly as signed",
        media_type=MEDIA_TYPE,
    )
    async def download(self, transcript_id: FromPath[str], db: Db, principal: User) -> Response[bytes]:
        entry = await get_transcript(db, principal, transcript_id)
        return Response(entry.transcript.ldp.encode(), media_type=MEDIA_TYPE, headers=_headers(entry))
