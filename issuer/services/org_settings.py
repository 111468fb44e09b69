"""An organisation's signing keys (list, rotate) and issuing settings (proof formats, JWT algorithm).

Rotation makes a new active key and retires the old one; retired keys stay published in the DID
document and JWKS, so badges signed with them keep verifying. A compromised key is revoked with
``badges keys revoke`` (the operator's job, not an API call).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Final

from issuer.errors import InvalidRequestError, InvalidStateError
from issuer.services.audit import record_event
from keys.errors import KeyNotFoundError
from keys.store import read_index

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.db.models import Organisation
    from issuer.roles import Principal
    from issuer.services.context import Services
    from keys.store import KeyRecord

__all__ = ["ALGORITHMS", "PROOF_FORMATS", "change_settings", "key_records", "rotate_key"]

ALGORITHMS: Final = ("EdDSA", "RS256", "ES256")
PROOF_FORMATS: Final = ("ldp", "jwt", "both")


def key_records(services: Services, slug: str) -> list[KeyRecord]:
    """The public facts of every key in the organisation's store (no passphrase needed)."""
    return read_index(services.settings.org_keys_dir(slug))


async def rotate_key(
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    algorithm: str,
    actor: Principal,
    now: datetime,
) -> KeyRecord:
    """Replace the active key of ``algorithm`` and forget the unlocked signers; audited as ``key.rotate``.

    The key store is a folder of files, not the database: the rotation is done when this returns
    even if writing the audit event then failed (the store's index records the time too).

    Raises:
        InvalidRequestError: an algorithm other than EdDSA, RS256, ES256.
        InvalidStateError: no active key of that algorithm to rotate.
        SigningUnavailableError: the service has no key passphrase.
    """
    if algorithm not in ALGORITHMS:
        raise InvalidRequestError(f"algorithm {algorithm[:20]!r}: choose one of {', '.join(ALGORITHMS)}")
    store = services.keyring.store(organisation.slug)
    previous = [r.key_id for r in store.records() if r.algorithm == algorithm and r.status == "active"]
    try:
        # Key generation and the PBKDF2 that encrypts it are CPU work: off the event loop.
        record = await asyncio.to_thread(partial(store.rotate, algorithm, now=now))
    except KeyNotFoundError as err:
        raise InvalidStateError(
            f"{organisation.slug} has no active {algorithm} key to rotate (an operator creates the first one)"
        ) from err
    services.keyring.forget(organisation.slug)
    record_event(
        session,
        actor=actor,
        action="key.rotate",
        subject_type="key",
        subject_id=record.key_id,
        organisation_id=organisation.id,
        detail={"algorithm": algorithm, "retired": previous},
        at=now,
    )
    await session.commit()
    return record


async def change_settings(
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    actor: Principal,
    now: datetime,
    proof_formats: str | None = None,
    jwt_algorithm: str | None = None,
    suspension: bool | None = None,
) -> Organisation:
    """Change what an approval signs; commits (``org.settings``).

    ``suspension`` applies to badges issued from now on; a badge keeps the status entries it was signed with.

    Raises:
        InvalidRequestError: an unknown value, or a JWT algorithm with no active key in the store.
    """
    if proof_formats is not None and proof_formats not in PROOF_FORMATS:
        raise InvalidRequestError(
            f"proofFormats {proof_formats[:20]!r}: choose one of {', '.join(PROOF_FORMATS)}"
        )
    if jwt_algorithm is not None:
        if jwt_algorithm not in ALGORITHMS:
            raise InvalidRequestError(
                f"jwtAlgorithm {jwt_algorithm[:20]!r}: choose one of {', '.join(ALGORITHMS)}"
            )
        active = {r.algorithm for r in key_records(services, organisation.slug) if r.status == "active"}
        if jwt_algorithm not in active:
            raise InvalidRequestError(
                f"jwtAlgorithm {jwt_algorithm}: {organisation.slug} has no active key for it"
            )
    row = await session.merge(organisation)
    changed: dict[str, str | bool] = {}
    if proof_formats is not None and proof_formats != row.proof_formats:
        changed["proofFormats"] = proof_formats
        row.proof_formats = proof_formats
    if jwt_algorithm is not None and jwt_algorithm != row.jwt_algorithm:
        changed["jwtAlgorithm"] = jwt_algorithm
        row.jwt_algorithm = jwt_algorithm
    if suspension is not None and suspension != row.suspension:
        changed["suspension"] = suspension
        row.suspension = suspension
    if changed:
        record_event(
            session,
            actor=actor,
            action="org.settings",
            subject_type="organisation",
            subject_id=organisation.id,
            organisation_id=organisation.id,
            detail=changed,
            at=now,
        )
        await session.commit()
        await session.refresh(row)
    return row
