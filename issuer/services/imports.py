"""Badges earned elsewhere, added to a learner's record after they verify (issue #7 part 6).

One path for the learner's own uploads (``/api/me/imports``) and the Open Badges 3.0 API's upsert
(``POST /ims/ob/v3p0/credentials``): the input (OB 3.0 JSON-LD, a compact VC-JWT, or a PNG/SVG with one
baked in) is read with :func:`verifier.baking.extract_credential` and checked with
:func:`verifier.verify.verify_credential` (every proof, the issuer's key, the validity window, the status
list, the OB 3.0 structure), then bound to the learner with :func:`verifier.recipient.check_recipient`
(their e-mail address against a hashed identity, or their DID against the subject id). A badge that is
not valid, or names someone else, is refused with each failed check named. The text is stored exactly
as received; importing a badge with the same credential id again replaces it.

The verifier fetches only what a check needs (:func:`issuer.services.verification.verify_in_service`): the
service's own organisations' DID documents and status lists are read from its data, other issuers' over
HTTPS with the verifier's guarded fetcher (or not at all when ``settings.verifier_network`` is off), and
nothing at all for a status list of a badge whose proof fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlmodel import col, select

from issuer.db.models import Credential, ImportedCredential, WalletDelivery, as_utc
from issuer.errors import ImportRefusedError, InvalidStateError, NotFoundError
from issuer.services.audit import record_event
from issuer.services.verification import verify_in_service
from verifier.baking import extract_credential
from verifier.errors import VerifierError
from verifier.recipient import check_recipient

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.db.models import Person
    from issuer.roles import Principal
    from issuer.services.context import Services

__all__ = ["MAX_IMPORT_BYTES", "ImportOutcome", "delete_import", "import_credential", "list_imports"]

#: A baked image may be large; a credential text is a few kilobytes.
MAX_IMPORT_BYTES: Final = 8 * 1024 * 1024


@dataclass(frozen=True)
class ImportOutcome:
    """The stored badge, and whether it is new (``created``) or replaced an earlier import of the same id."""

    credential: ImportedCredential
    created: bool


def _recipient_problem(credential: Mapping[str, Any], person: Person) -> str | None:
    """Why the badge is not this learner's, or None when their e-mail address or DID is its recipient."""
    known = [(person.email, "emailAddress")] + ([(person.did, "did")] if person.did else [])
    for value, identity_type in known:
        try:
            matched = check_recipient(credential, value, identity_type=identity_type)
        except VerifierError as err:
            return f"recipient: {err.code}: {err}"
        if matched is not None:
            return None
    return (
        "recipient: RECIPIENT_UNKNOWN: the badge names no recipient that is you (your e-mail address or DID)"
    )


def _issued_at(summary: Mapping[str, Any], now: datetime) -> datetime:
    value = summary.get("validFrom")
    try:
        return as_utc(datetime.fromisoformat(str(value))) if value else now
    except ValueError:
        return now


async def import_credential(
    session: AsyncSession,
    services: Services,
    person: Person,
    raw: bytes | str,
    *,
    now: datetime,
    source: str = "upload",
    actor: Principal | None = None,
) -> ImportOutcome:
    """Verify a badge issued elsewhere and add it to the learner's record; commits.

    Args:
        raw: OB 3.0 JSON-LD, a compact VC-JWT, or a PNG or SVG image with one baked in.
        source: how it came (``upload`` or ``ob-api``), kept with it.
        actor: who asked (the learner, or the learner through a backpack), for the audit event
            ``record.import`` (the credential's id and whether it was new; no organisation).

    Raises:
        ImportRefusedError: unreadable, not valid (each failed check in ``problems``), without an id,
            or not the learner's.
        InvalidStateError: a badge this service issued (it is in its learner's record already).
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    try:
        text, container = extract_credential(data, max_bytes=MAX_IMPORT_BYTES)
    except VerifierError as err:
        raise ImportRefusedError(f"not a badge: {err}", problems=[f"format: {err.code}: {err}"]) from err
    report = await verify_in_service(services, text, now=now)
    failed = [check for check in report.checks if not check.passed and not check.warning]
    if failed or report.credential is None:
        problems = [f"{check.id}: {check.code}: {check.message}" for check in failed]
        names = ", ".join(f"{check.id} ({check.code})" for check in failed) or "format"
        raise ImportRefusedError(f"the badge did not verify: {names}", problems=problems)
    credential = report.credential
    credential_id = credential.get("id")
    if not isinstance(credential_id, str) or not credential_id or len(credential_id) > 500:
        raise ImportRefusedError(
            "the badge has no id to keep it by", problems=["format: MALFORMED_CREDENTIAL: no credential id"]
        )
    problem = _recipient_problem(credential, person)
    if problem is not None:
        raise ImportRefusedError("the badge is not yours: " + problem.split(": ", 2)[-1], problems=[problem])
    if await session.get(Credential, credential_id) is not None:
        raise InvalidStateError(
            "this badge was issued by this service: it is in its learner's record already"
        )
    copied = await session.execute(
        select(WalletDelivery.id).where(WalletDelivery.delivered_id == credential_id).limit(1)
    )
    if copied.first() is not None:
        raise InvalidStateError(
            "this badge is a wallet's copy of one this service issued: the original is in its learner's "
            "record already"
        )
    summary = report.summary()
    values: dict[str, Any] = {
        "format": "jwt" if report.format == "jwt" else "ldp",
        "text": text,
        "issuer_id": str(summary.get("issuer") or "")[:500],
        "issuer_name": _short(summary.get("issuerName")),
        "achievement_name": _short(summary.get("achievementName")),
        "level": summary.get("level") if isinstance(summary.get("level"), int) else None,
        "source": f"{source}:{container}"[:20],
        "issued_at": _issued_at(summary, now),
        "updated_at": now,
    }
    existing = (
        await session.execute(
            select(ImportedCredential)
            .where(
                ImportedCredential.person_id == person.id, ImportedCredential.credential_id == credential_id
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    record_event(
        session,
        actor=actor,
        action="record.import",
        subject_type="person",
        subject_id=person.id,
        detail={"credential": credential_id[:200], "created": existing is None, "via": source},
        at=now,
    )
    if existing is not None:
        for name, value in values.items():
            setattr(existing, name, value)
        await session.commit()
        return ImportOutcome(existing, created=False)
    record = ImportedCredential(person_id=person.id, credential_id=credential_id, imported_at=now, **values)
    session.add(record)
    await session.commit()
    return ImportOutcome(record, created=True)


def _short(value: object) -> str | None:
    return value[:500] if isinstance(value, str) else None


async def list_imports(
    session: AsyncSession, person_id: uuid.UUID, *, since: datetime | None = None
) -> list[ImportedCredential]:
    """A learner's imported badges, newest first (``since``: issued after that moment)."""
    statement = select(ImportedCredential).where(ImportedCredential.person_id == person_id)
    if since is not None:
        statement = statement.where(col(ImportedCredential.issued_at) > since)
    result = await session.execute(
        statement.order_by(col(ImportedCredential.issued_at).desc(), col(ImportedCredential.id))
    )
    return list(result.scalars())


async def delete_import(session: AsyncSession, person_id: uuid.UUID, import_id: uuid.UUID) -> None:
    """Take an imported badge out of the learner's record; commits.

    Raises:
        NotFoundError: no such import of this learner (another learner's is "not found" too).
    """
    record = await session.get(ImportedCredential, import_id)
    if record is None or record.person_id != person_id:
        raise NotFoundError("no such imported badge in your record")
    await session.delete(record)
    await session.commit()
