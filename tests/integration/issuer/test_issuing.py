"""Issuing through the service core: signed in the organisation's formats, stored verbatim, verifiable
through the running app (DID document and status lists fetched from it), idempotent per award."""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING

import anyio.to_thread
import pytest

from issuer.errors import AlreadyIssuedError, InvalidAwardError
from issuer.services.catalogue import offered_badge
from issuer.services.issuing import AttesterInfo, issue_credential
from issuer.services.status_lists import count_allocation, slots_taken
from tests.conftest import NOW
from tests.integration.issuer.conftest import AppFetcher
from verifier.resolve import Resolver
from verifier.verify import verify_credential

if TYPE_CHECKING:
    from issuer.db.models import Credential
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio


async def _issue(world: World, student: str, *, badge: str = "weld-smaw-3f", level: int = 3) -> Credential:
    services = world.services
    async with services.sessions() as session:
        organisation = world.organisations["lincoln-hs"]
        _, version = await offered_badge(session, services.catalog, badge, organisation_id=organisation.id)
        person = await session.merge(world.people[student])
        credential, slots = await issue_credential(
            session,
            services,
            organisation=organisation,
            badge=version,
            student=person,
            level=level,
            attester=AttesterInfo(person_id=world.people["teacher"].id, name="Teacher", role="teacher"),
            actor=None,
            now=NOW,
        )
        await count_allocation(session, organisation, slots)
        await session.commit()
        return credential


async def _verify(world: World, text: str) -> tuple[str, dict[str, str | None]]:
    resolver = Resolver(AppFetcher(world.client))
    report = await anyio.to_thread.run_sync(partial(verify_credential, text, resolver=resolver, now=NOW))
    return report.verdict, report.failures()


async def test_issuing_signs_a_verifiable_badge_with_status_entries(world: World) -> None:
    credential = await _issue(world, "student")
    assert credential.ldp is not None
    assert credential.jwt is None  # an e-mail learner has no DID for the JWT's `sub`
    document = json.loads(credential.ldp)
    assert "ana@students.example.edu" not in credential.ldp  # hashed recipient
    assert {entry["statusPurpose"] for entry in document["credentialStatus"]} == {"revocation", "suspension"}
    assert {int(entry["statusListIndex"]) for entry in document["credentialStatus"]} == {
        credential.status_index
    }
    assert await _verify(world, credential.ldp) == ("valid", {})


async def test_issuing_gives_a_jwt_too_when_the_learner_has_a_did(world: World) -> None:
    async with world.services.sessions() as session:
        person = await session.merge(world.people["student2"])
        person.did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        await session.commit()
        world.people["student2"] = person
    credential = await _issue(world, "student2")
    assert credential.ldp is not None
    assert credential.jwt is not None
    assert await _verify(world, credential.jwt) == ("valid", {})


async def test_issuing_twice_the_same_award_is_refused_and_takes_no_second_slot(world: World) -> None:
    await _issue(world, "student")
    with pytest.raises(AlreadyIssuedError):
        await _issue(world, "student")
    with pytest.raises(InvalidAwardError):
        await _issue(world, "student", level=1)  # below the required level
    async with world.services.sessions() as session:
        assert await slots_taken(session, world.organisations["lincoln-hs"].id) == 1
