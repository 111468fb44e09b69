"""Bitstring Status Lists of an organisation: random index allocation, signed list credentials.

https://www.w3.org/TR/vc-bitstring-status-list/

Lists come in pairs (revocation, suspension) sharing a ``number``; a credential holds the same index in
both. An index is chosen at random (herd privacy: its position says nothing about when or to whom it was
issued) and taken by inserting a :class:`StatusSlot` row, whose primary key makes two concurrent awards
on PostgreSQL unable to take the same one: the loser of a race gets an integrity error inside a
savepoint and draws again. A pair is full when half its indexes are taken, so a draw fails rarely.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import select as columns_select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from issuer.db.models import STATUS_PURPOSES, Organisation, StatusList, StatusSlot
from issuer.issuance import sign_data_integrity
from verifier.status import MIN_ENTRIES, BitstringStatusList, status_entry, status_list_credential

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.services.context import Services

__all__ = [
    "LIST_SIZE",
    "StatusListFacts",
    "StatusSlotTaken",
    "allocate_slot",
    "badge_status",
    "count_allocation",
    "list_status_lists",
    "sign_status_list",
    "status_entries",
]

LIST_SIZE: Final = MIN_ENTRIES  # 131,072 entries: the spec's minimum for herd privacy
_FULL_AT: Final = LIST_SIZE // 2
_DRAWS: Final = 64  # at most half full: 64 misses in a row happen with probability 2**-64


class StatusSlotTaken(Exception):  # noqa: N818 - internal control flow, never leaves this package
    """No free index was found (cannot happen below half full; kept for a clear failure if it does)."""


def sign_status_list(
    services: Services, organisation: Organisation, *, purpose: str, number: int, bits: bytes, now: datetime
) -> str:
    """The list credential for ``bits``, signed (eddsa-rdfc-2022) by the organisation, as JSON text."""
    url = services.status_list_url(organisation.slug, purpose, number)
    unsigned = status_list_credential(
        list_url=url,
        issuer=organisation.did,
        purpose=purpose,
        encoded_list=BitstringStatusList.from_bytes(bits).encode(),
        valid_from=now,
    )
    signer = services.keyring.signer(organisation.slug, "EdDSA")
    signed = sign_data_integrity(
        unsigned, signer, verification_method=f"{organisation.did}#{signer.key_id}", created=now
    )
    return json.dumps(signed, ensure_ascii=False, separators=(",", ":"))


async def _open_pair(
    session: AsyncSession, services: Services, organisation: Organisation, *, now: datetime
) -> int:
    """The number of the pair new awards go into, creating the next pair when the last one is full."""
    result = await session.execute(
        select(StatusList.number, StatusList.allocated)
        .where(StatusList.organisation_id == organisation.id, StatusList.purpose == "revocation")
        .order_by(StatusList.number.desc())  # type: ignore[attr-defined]
        .limit(1)
    )
    last = result.one_or_none()
    if last is not None and last[1] < _FULL_AT:
        return last[0]
    number = 1 if last is None else last[0] + 1
    empty = bytes(LIST_SIZE // 8)
    texts = {
        purpose: await asyncio.to_thread(
            sign_status_list, services, organisation, purpose=purpose, number=number, bits=empty, now=now
        )
        for purpose in STATUS_PURPOSES
    }
    try:
        async with session.begin_nested():
            for purpose in STATUS_PURPOSES:
                session.add(
                    StatusList(
                        organisation_id=organisation.id,
                        purpose=purpose,
                        number=number,
                        size=LIST_SIZE,
                        bits=empty,
                        credential=texts[purpose],
                        updated_at=now,
                    )
                )
    except IntegrityError:
        pass  # another award opened the same pair first: use theirs
    return number


async def allocate_slot(
    session: AsyncSession, services: Services, organisation: Organisation, *, now: datetime
) -> tuple[int, int]:
    """Take a free random index; returns ``(list number, index)``. Nothing is committed here.

    Call :func:`count_allocation` just before committing (it takes a row lock on PostgreSQL, so it is
    kept to the end of the transaction).

    Raises:
        StatusSlotTaken: no free index found in many draws (a bug or a corrupted table, not bad luck).
    """
    number = await _open_pair(session, services, organisation, now=now)
    for _ in range(_DRAWS):
        index = secrets.randbelow(LIST_SIZE)
        try:
            async with session.begin_nested():
                session.add(
                    StatusSlot(organisation_id=organisation.id, list_number=number, status_index=index)
                )
        except IntegrityError:
            continue
        return number, index
    raise StatusSlotTaken(f"no free status index in list {number} of {organisation.slug}")


async def count_allocation(
    session: AsyncSession, organisation: Organisation, numbers: dict[int, int]
) -> None:
    """Add the slots taken in this transaction to their pairs' counters (``{list number: count}``)."""
    for number, count in sorted(numbers.items()):
        # Lock the pair's rows in one order (by purpose) first: an UPDATE alone locks them in scan order,
        # and a revocation locking them the other way round could deadlock with it.
        await session.execute(
            select(StatusList.id)
            .where(StatusList.organisation_id == organisation.id, StatusList.number == number)
            .order_by(StatusList.purpose)
            .with_for_update()
        )
        await session.execute(
            update(StatusList)
            .where(StatusList.organisation_id == organisation.id, StatusList.number == number)  # type: ignore[arg-type]
            .values(allocated=StatusList.allocated + count)
        )


async def slots_taken(session: AsyncSession, organisation_id: object) -> int:
    """How many status indexes an organisation has handed out (for tests and the admin page)."""
    result = await session.execute(
        select(func.count()).select_from(StatusSlot).where(StatusSlot.organisation_id == organisation_id)
    )
    return int(result.scalar_one())


def status_entries(services: Services, slug: str, *, number: int, index: int) -> list[dict[str, str]]:
    """One status entry per purpose (revocation first), all at the same index of their lists."""
    return [
        status_entry(list_url=services.status_list_url(slug, purpose, number), index=index, purpose=purpose)
        for purpose in STATUS_PURPOSES
    ]


def badge_status(
    services: Services, organisation: Organisation, *, number: int, index: int
) -> dict[str, str] | list[dict[str, str]]:
    """The ``credentialStatus`` of a new badge: the revocation entry alone (Open Badges 3.0 allows one
    entry), or, where the organisation turned suspension on, both entries as a VC 2.0 array."""
    entries = status_entries(services, organisation.slug, number=number, index=index)
    return entries if organisation.suspension else entries[0]


@dataclass(frozen=True)
class StatusListFacts:
    """One status list as the admin page shows it (not its bits)."""

    number: int
    purpose: str
    size: int
    allocated: int
    updated_at: datetime


async def list_status_lists(session: AsyncSession, organisation_id: object) -> list[StatusListFacts]:
    """An organisation's status lists by number and purpose, with how many of their slots are used."""
    rows = await session.execute(
        columns_select(  # sqlmodel.select types at most four columns
            col(StatusList.number),
            col(StatusList.purpose),
            col(StatusList.size),
            col(StatusList.allocated),
            col(StatusList.updated_at),
        )
        .where(col(StatusList.organisation_id) == organisation_id)
        .order_by(col(StatusList.number), col(StatusList.purpose))
    )
    return [StatusListFacts(*row) for row in rows.all()]
