"""A learner's CLR 2.0 transcripts: chosen badges of theirs, bundled and signed by the school that issued
them (docs/clr.md).

Rules, each refused with a message naming the badges at fault (422 ``INVALID_REQUEST``):

- at least one badge, at most :data:`MAX_BADGES`, each once;
- each one is the learner's own, in their record as the caller may read it (an unknown id and another
  learner's badge get the same answer, so ids cannot be probed);
- each is active (a revoked or suspended badge would make the transcript fail);
- each has its Data Integrity form: a CLR embeds JSON-LD credentials with their proofs, and a VC-JWT
  cannot be embedded without changing it;
- all come from one organisation, which signs the transcript: a school vouches for its own records
  only, so badges of several schools make one transcript per school;
- badges the learner added from elsewhere (imports, verified when added) may go in beside them, so a
  registrar gets all of a student's badges in one file; each keeps its own issuer's proof, and a
  verifier checks each on its own. At least one badge must be the signing school's own; an import must
  be JSON-LD (a VC-JWT cannot be embedded) and still verify now (checked again: revoked or expired since
  it was added, it would make the transcript fail).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlmodel import col, select

from issuer.db.models import ImportedCredential, Organisation, Person, Transcript
from issuer.errors import (
    AuthenticationRequiredError,
    InvalidRequestError,
    NotFoundError,
    TranscriptUnavailableError,
)
from issuer.issuance import IssuerProfile, sign_data_integrity
from issuer.services.audit import record_event
from issuer.services.issuing import recipient_of
from issuer.services.record import read_record
from issuer.services.status_lists import allocate_slot, count_allocation, status_entries
from issuer.services.verification import verify_in_service
from issuer.transcripts import CLR_CONTEXT, build_clr
from verifier.document_loader import DEFAULT_LOADER
from verifier.errors import CanonicalizationError, ContextUnavailableError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.roles import Principal
    from issuer.services.context import Services

__all__ = ["MAX_BADGES", "TranscriptEntry", "create_transcript", "get_transcript", "list_transcripts"]

# A transcript is verified as one JSON-LD document: 50 badges of ~150 JSON values stay well inside the
# verifier's canonicalization bound (verifier.canonical.MAX_JSON_NODES, 10,000 values).
MAX_BADGES: Final = 50
_SHOWN_IDS: Final = 5


@dataclass(frozen=True)
class TranscriptEntry:
    """A stored transcript with its signing organisation."""

    transcript: Transcript
    organisation: Organisation


def _me(principal: Principal) -> uuid.UUID:
    if principal.person_id is None:
        raise AuthenticationRequiredError("sign in as a person")
    return principal.person_id


def _named(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_SHOWN_IDS])
    return shown + (f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else "")


_log = logging.getLogger(__name__)


def _unavailable(err: ContextUnavailableError) -> TranscriptUnavailableError:
    # The operator's message names server paths: it goes to the log; the learner gets the remedy's pointer.
    _log.warning("transcripts unavailable: %s", err)
    return TranscriptUnavailableError(
        f"transcripts cannot be made here: the CLR 2.0 JSON-LD context {CLR_CONTEXT} has not been"
        " supplied to this service (the operator downloads it and sets BADGES_CONTEXTS_DIR; see docs/clr.md)"
    )


def _require_clr_context() -> None:
    """Refuse before anything is taken or stored when the CLR context cannot be served."""
    try:
        DEFAULT_LOADER(CLR_CONTEXT)
    except ContextUnavailableError as err:
        raise _unavailable(err) from err


def _sign(services: Services, organisation: Organisation, unsigned: dict[str, Any], *, now: datetime) -> str:
    signer = services.keyring.signer(organisation.slug, "EdDSA")
    signed = sign_data_integrity(
        unsigned, signer, verification_method=f"{organisation.did}#{signer.key_id}", created=now
    )
    return json.dumps(signed, ensure_ascii=False, separators=(",", ":"))


async def create_transcript(
    session: AsyncSession,
    services: Services,
    principal: Principal,
    *,
    credential_ids: Sequence[str],
    name: str,
    description: str | None,
    now: datetime,
) -> TranscriptEntry:
    """Bundle the learner's chosen badges into a signed ClrCredential, store it verbatim and commit.

    Raises:
        InvalidRequestError: see the module docstring; or a bad name or description.
        SigningUnavailableError: the issuing organisation's Ed25519 key cannot sign.
        TranscriptUnavailableError: the operator has not supplied the CLR 2.0 context (docs/clr.md).
    """
    learner_id = _me(principal)
    if not credential_ids:
        raise InvalidRequestError("badges: choose at least one badge")
    repeated = sorted(badge for badge, count in Counter(credential_ids).items() if count > 1)
    if repeated:
        raise InvalidRequestError(f"badges: listed more than once: {_named(repeated)}")
    if len(credential_ids) > MAX_BADGES:
        raise InvalidRequestError(
            f"badges: at most {MAX_BADGES} in one transcript (got {len(credential_ids)})"
        )
    entries = {
        entry.credential.id: entry for entry in await read_record(session, principal, learner_id, now=now)
    }
    imports = {
        row.credential_id: row
        for row in (
            await session.execute(
                select(ImportedCredential).where(
                    ImportedCredential.person_id == learner_id,
                    col(ImportedCredential.credential_id).in_(credential_ids),
                )
            )
        ).scalars()
    }
    unknown = [badge for badge in credential_ids if badge not in entries and badge not in imports]
    if unknown:
        raise InvalidRequestError(f"badges: not in your record: {_named(unknown)}")
    imported_jwt = [badge for badge, row in imports.items() if badge not in entries and row.format != "ldp"]
    if imported_jwt:
        raise InvalidRequestError(
            "badges: a transcript embeds each badge as signed JSON-LD, and these badges from elsewhere exist "
            "only as a VC-JWT: " + _named(imported_jwt)
        )
    # Verified when added, and checked again now: one revoked or expired since would fail the transcript.
    stale = []
    for badge, row in imports.items():
        if badge not in entries:
            report = await verify_in_service(services, row.text, now=now)
            if report.verdict != "valid":
                failed = ", ".join(
                    sorted({c.code or c.id for c in report.checks if not c.passed and not c.warning})
                )
                stale.append(f"{badge} ({failed or report.verdict})")
    if stale:
        raise InvalidRequestError(f"badges: these badges from elsewhere no longer verify: {_named(stale)}")
    chosen = [entries[badge] for badge in credential_ids if badge in entries]
    if not chosen:
        raise InvalidRequestError(
            "badges: a transcript is signed by the school that issued at least one badge in it: add one of "
            "the badges issued to you here"
        )
    inactive = [f"{e.credential.id} ({e.credential.state})" for e in chosen if e.credential.state != "active"]
    if inactive:
        raise InvalidRequestError(f"badges: only active badges go into a transcript: {_named(inactive)}")
    jwt_only = [e.credential.id for e in chosen if not e.credential.ldp]
    if jwt_only:
        raise InvalidRequestError(
            "badges: a transcript embeds each badge as signed JSON-LD, and these exist only as a VC-JWT: "
            + _named(jwt_only)
        )
    issuers = Counter(e.issuer.slug for e in chosen)
    if len(issuers) > 1:
        counts = ", ".join(f"{slug}: {count}" for slug, count in sorted(issuers.items()))
        raise InvalidRequestError(
            f"badges: from several organisations ({counts}); each signs a transcript of its own badges only: "
            "ask one transcript per organisation"
        )
    organisation = chosen[0].issuer
    held = [e for e in entries.values() if e.issuer.id == organisation.id and e.credential.state == "active"]
    learner = await session.get(Person, learner_id)
    if learner is None:  # deleted meanwhile
        raise NotFoundError("no such learner record")
    transcript_id = f"urn:uuid:{uuid.uuid4()}"
    # Built (and so checked) before a status index is taken: a refused request takes nothing.
    texts = {e.credential.id: e.credential.ldp or "" for e in chosen}
    texts.update({badge: row.text for badge, row in imports.items() if badge not in texts})
    unsigned = build_clr(
        IssuerProfile(id=organisation.did, name=organisation.name),
        credentials=[json.loads(texts[badge]) for badge in credential_ids],
        learner=recipient_of(learner),
        credential_id=transcript_id,
        name=name,
        description=description,
        now=now,
        salt=secrets.token_hex(16),
        partial=len(chosen) < len([e for e in held if e.credential.ldp]),
    )
    _require_clr_context()
    number, index = await allocate_slot(session, services, organisation, now=now)
    # CLR 2.0 credentialStatus is one entry: the revocation one.
    unsigned["credentialStatus"] = status_entries(services, organisation.slug, number=number, index=index)[0]
    try:
        text = await asyncio.to_thread(_sign, services, organisation, unsigned, now=now)
    except ContextUnavailableError as err:  # withdrawn since the check: the session is not committed
        raise _unavailable(err) from err
    except CanonicalizationError as err:
        # The bundle's RDF is beyond what verifiers canonicalize (verifier/canonical.py's bounds): no
        # verifier could check the signature, so none is made. Nothing is committed.
        _log.warning("transcript of %d badges refused by the canonicalizer: %s", len(credential_ids), err)
        raise InvalidRequestError(
            "these badges cannot be bundled into one transcript that verifiers can check: ask for a "
            "transcript of fewer badges, or several transcripts"
        ) from err
    transcript = Transcript(
        id=transcript_id,
        organisation_id=organisation.id,
        learner_id=learner_id,
        name=unsigned["name"],
        credential_ids=list(credential_ids),
        ldp=text,
        list_number=number,
        status_index=index,
        issued_at=now,
    )
    session.add(transcript)
    record_event(
        session,
        actor=principal,
        action="transcript.issue",
        subject_type="transcript",
        subject_id=transcript_id,
        organisation_id=organisation.id,
        detail={
            "badges": len(credential_ids),
            "imported": len(credential_ids) - len(chosen),
            "learner": str(learner_id),
        },
        at=now,
    )
    await count_allocation(session, organisation, {number: 1})
    await session.commit()
    return TranscriptEntry(transcript, organisation)


async def list_transcripts(session: AsyncSession, principal: Principal) -> list[TranscriptEntry]:
    """The signed-in learner's transcripts, newest first (a restricted sign-in: its organisation's only)."""
    statement = (
        select(Transcript, Organisation)
        .join(Organisation, Organisation.id == Transcript.organisation_id)  # type: ignore[arg-type]
        .where(Transcript.learner_id == _me(principal))
        .order_by(Transcript.issued_at.desc(), Transcript.id)  # type: ignore[attr-defined]
    )
    if principal.token_organisation is not None:
        statement = statement.where(Transcript.organisation_id == principal.token_organisation)
    return [TranscriptEntry(t, o) for t, o in (await session.execute(statement)).all()]


async def get_transcript(session: AsyncSession, principal: Principal, transcript_id: str) -> TranscriptEntry:
    """One of the signed-in learner's transcripts (``urn:uuid:…`` or the bare UUID).

    Raises:
        NotFoundError: not theirs, or no such transcript (one answer for both).
    """
    wanted = transcript_id if transcript_id.startswith("urn:uuid:") else f"urn:uuid:{transcript_id}"
    for entry in await list_transcripts(session, principal):
        if entry.transcript.id == wanted:
            return entry
    raise NotFoundError("no such transcript")
