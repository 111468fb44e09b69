"""Concurrency on PostgreSQL: many awards and status changes at once, each in its own transaction and
connection, never share a status index, never lose a status bit, never lose or duplicate an award.

PostgreSQL only: SQLite serialises writers, so it cannot show these races.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from issuer.db.models import Credential, StatusList, StatusSlot
from issuer.errors import AlreadyIssuedError
from issuer.services.issuing import commit_award
from issuer.services.people import add_member
from issuer.services.revocation import change_status
from issuer.services.status_lists import LIST_SIZE, count_allocation
from tests.conftest import NOW, require_in_ci
from tests.integration.issuer.conftest import POSTGRES_ENV, _postgres_database
from verifier.status import BitstringStatusList

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from issuer.db.models import Person
    from tests.integration.issuer.conftest import World

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

ORG = "lincoln-hs"
CONCURRENT_AWARDS = 40


@pytest.fixture(name="database_url")
async def fx_database_url() -> AsyncIterator[str]:
    """PostgreSQL only (overrides the SQLite-and-PostgreSQL parametrised fixture of conftest)."""
    server_url = os.environ.get(POSTGRES_ENV, "")
    require_in_ci(bool(server_url), f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against")
    async for url in _postgres_database(server_url):
        yield url


async def _learners(world: World, count: int) -> list[Person]:
    async with world.services.sessions() as session:
        return [
            (
                await add_member(
                    session,
                    organisation=world.organisations[ORG],
                    email=f"learner{number:03d}@students.example.edu",
                    display_name=f"Learner {number}",
                    role="student",
                    password=None,
                    now=NOW,
                    actor=None,
                )
            )[0]
            for number in range(count)
        ]


async def _change(world: World, credential_id: str, change: str) -> Credential:
    async with world.services.sessions() as session:
        return await change_status(
            session,
            world.services,
            organisation=world.organisations[ORG],
            credential_id=credential_id,
            change=change,  # type: ignore[arg-type]
            reason=f"{change} in a crowd",
            actor=None,
            roles=frozenset({"admin"}),
            now=NOW,
        )


async def _stored_state(world: World) -> dict[str, Any]:
    organisation_id = world.organisations[ORG].id
    async with world.services.sessions() as session:
        credentials = list(
            (
                await session.execute(select(Credential).where(Credential.organisation_id == organisation_id))
            ).scalars()
        )
        slots = (
            await session.execute(
                select(func.count())
                .select_from(StatusSlot)
                .where(StatusSlot.organisation_id == organisation_id)
            )
        ).scalar_one()
        lists = list(
            (
                await session.execute(select(StatusList).where(StatusList.organisation_id == organisation_id))
            ).scalars()
        )
    return {"credentials": credentials, "slots": slots, "lists": lists}


def _check_invariants(stored: dict[str, Any]) -> None:
    """Distinct slots, counters that match, and every state visible in the signed lists."""
    credentials: list[Credential] = stored["credentials"]
    positions = {(c.list_number, c.status_index) for c in credentials}
    assert len(positions) == len(credentials)
    assert stored["slots"] == len(credentials)
    lists: list[StatusList] = stored["lists"]
    for purpose in ("revocation", "suspension"):
        assert sum(row.allocated for row in lists if row.purpose == purpose) == len(credentials)
    for row in lists:
        # The signed list credential, decoded, is the stored bitstring: no change was lost between them.
        encoded = json.loads(row.credential)["credentialSubject"]["encodedList"]
        decoded = BitstringStatusList.decode(encoded)
        assert decoded.to_bytes() == row.bits
        expected = {
            c.status_index
            for c in credentials
            if c.list_number == row.number
            and c.state == ("revoked" if row.purpose == "revocation" else "suspended")
        }
        held = {c.status_index for c in credentials if c.list_number == row.number}
        assert {index for index in held if decoded.get(index)} == expected, row.purpose


async def test_concurrent_awards_and_status_changes_keep_every_slot_and_bit(world: World) -> None:
    await world.allow_suspension()
    learners = await _learners(world, CONCURRENT_AWARDS + 12)
    # Some badges issued beforehand, to revoke and suspend while the crowd of awards runs.
    earlier = await asyncio.gather(*(world.issue(learner) for learner in learners[CONCURRENT_AWARDS:]))
    to_revoke, to_suspend = earlier[:8], earlier[8:]
    results = await asyncio.gather(
        *(world.issue(learner) for learner in learners[:CONCURRENT_AWARDS]),
        *(_change(world, c.id, "revoke") for c in to_revoke),
        *(_change(world, c.id, "suspend") for c in to_suspend),
    )
    assert all(isinstance(result, Credential) for result in results)
    stored = await _stored_state(world)
    assert len(stored["credentials"]) == CONCURRENT_AWARDS + 12
    states = {c.id: c.state for c in stored["credentials"]}
    assert {states[c.id] for c in to_revoke} == {"revoked"}
    assert {states[c.id] for c in to_suspend} == {"suspended"}
    _check_invariants(stored)


async def test_concurrent_revocations_on_one_list_lose_no_bit(world: World) -> None:
    await world.allow_suspension()
    learners = await _learners(world, 24)
    issued = [await world.issue(learner) for learner in learners]
    assert len({c.list_number for c in issued}) == 1  # all in the same list: the contended case
    await asyncio.gather(
        *(_change(world, c.id, "revoke") for c in issued[:16]),
        *(_change(world, c.id, "suspend") for c in issued[16:]),
    )
    stored = await _stored_state(world)
    assert sum(c.state == "revoked" for c in stored["credentials"]) == 16
    assert sum(c.state == "suspended" for c in stored["credentials"]) == 8
    _check_invariants(stored)


async def test_the_same_award_asked_twice_at_once_is_issued_once(world: World) -> None:
    learners = await _learners(world, 10)
    outcomes = await asyncio.gather(
        *(world.issue(learner) for learner in learners for _ in range(2)), return_exceptions=True
    )
    issued = [o for o in outcomes if isinstance(o, Credential)]
    refused = [o for o in outcomes if isinstance(o, AlreadyIssuedError)]
    assert len(issued) == 10, outcomes
    assert len(refused) == 10, outcomes
    assert {c.recipient_id for c in issued} == {learner.id for learner in learners}
    stored = await _stored_state(world)
    assert len(stored["credentials"]) == 10
    _check_invariants(stored)  # the losers' status slots were rolled back with them


async def _lock_waiters(world: World) -> int:
    async with world.services.sessions() as session:
        result = await session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return int(result.scalar_one())


async def test_an_award_race_lost_at_the_unique_key_is_already_issued(world: World) -> None:
    """The loser cannot see the winner's uncommitted award, so only uq_credential_award_key stops it."""
    (learner,) = await _learners(world, 1)
    await world.issue("student")  # opens the list pair, so the race is on the award alone
    async with world.services.sessions() as winner:
        _, slots = await world.sign(winner, learner)
        loser = asyncio.create_task(world.issue(learner))
        # Wait (on a condition, not a clock) until the loser blocks on the winner's unique index entry.
        while await _lock_waiters(world) == 0:
            assert not loser.done(), loser
            await asyncio.sleep(0.05)
        await count_allocation(winner, world.organisations[ORG], slots)
        await commit_award(winner)
    with pytest.raises(AlreadyIssuedError, match="just awarded"):
        await loser
    stored = await _stored_state(world)
    assert len(stored["credentials"]) == 2
    _check_invariants(stored)


async def test_allocation_draws_again_on_taken_indexes(world: World) -> None:
    """Half the indexes of list 1 are taken beforehand (every even one), so about every other draw
    collides: with 40 awards, the chance that none collided is 2**-40. None may land on a taken index."""
    await world.issue("student")  # creates list pair 1
    organisation_id = world.organisations[ORG].id
    async with world.services.sessions() as session:
        existing = (await session.execute(select(StatusSlot.status_index))).scalar_one()
        await session.execute(
            text(
                "INSERT INTO status_slot (organisation_id, list_number, status_index)"
                " SELECT :org, 1, i FROM generate_series(0, :last, 2) AS i WHERE i <> :existing"
            ),
            {"org": organisation_id, "last": LIST_SIZE - 2, "existing": existing},
        )
        await session.commit()
    learners = await _learners(world, CONCURRENT_AWARDS)
    issued = await asyncio.gather(*(world.issue(learner) for learner in learners))
    assert {c.list_number for c in issued} == {1}
    assert all(c.status_index % 2 == 1 for c in issued)
    assert len({c.status_index for c in issued}) == CONCURRENT_AWARDS
    async with world.services.sessions() as session:
        slots = (
            await session.execute(
                select(func.count())
                .select_from(StatusSlot)
                .where(StatusSlot.organisation_id == organisation_id)
            )
        ).scalar_one()
    prefilled = LIST_SIZE // 2 - (0 if existing % 2 else 1)
    assert slots == prefilled + 1 + CONCURRENT_AWARDS


async def test_a_bulk_job_and_direct_awards_at_once_issue_each_award_once(world: World) -> None:
    """A CSV job of 30 rows runs while 30 direct awards are made, 15 of them the same awards as rows of
    the file: every award exists exactly once, and the slots and counters stay consistent."""
    from issuer.services.awards import run_job

    learners = await _learners(world, 45)
    in_file, overlap, direct_only = learners[:30], learners[15:30], learners[30:]
    csv = "student,badge,level\n" + "".join(f"{person.email},weld-smaw-3f,3\n" for person in in_file)
    job_id = await world.create_job(csv, enrol=False, filename="crowd.csv")

    async def direct(student: Person) -> str:
        try:
            await world.issue(student)
        except AlreadyIssuedError:
            return "already"
        return "issued"

    progress, direct_results = await asyncio.gather(
        run_job(world.services, job_id, batch_size=5),
        asyncio.gather(*(direct(s) for s in [*overlap, *direct_only])),
    )
    assert progress.state == "done"
    assert progress.issued + progress.skipped == 30
    assert progress.rejected == 0
    # Each overlapping award was made by exactly one side.
    assert progress.skipped == sum(1 for result in direct_results[: len(overlap)] if result == "issued")
    assert all(result == "issued" for result in direct_results[len(overlap) :])
    stored = await _stored_state(world)
    credentials: list[Credential] = stored["credentials"]
    assert len(credentials) == 45
    assert len({c.recipient_id for c in credentials}) == 45
    _check_invariants(stored)
