"""Issuing through the service core: signed in the organisation's formats, stored verbatim, verifiable
through the running app (DID document and status lists fetched from it), idempotent per award."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from issuer.errors import AlreadyIssuedError, InvalidAwardError
from issuer.services.status_lists import slots_taken

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio


async def test_issuing_signs_a_verifiable_badge_with_status_entries(world: World) -> None:
    credential = await world.issue("student")
    assert credential.ldp is not None
    assert credential.jwt is None  # an e-mail learner has no DID for the JWT's `sub`
    document = json.loads(credential.ldp)
    assert "ana@students.example.edu" not in credential.ldp  # hashed recipient
    # One entry, the revocation one: Open Badges 3.0 allows a single credentialStatus object.
    status = document["credentialStatus"]
    assert (status["statusPurpose"], int(status["statusListIndex"])) == (
        "revocation",
        credential.status_index,
    )
    assert credential.suspendable is False
    report = await world.verify(credential.ldp)
    assert (report.verdict, report.failures()) == ("valid", {})


async def test_an_organisation_with_suspension_signs_both_status_entries(world: World) -> None:
    await world.allow_suspension()
    credential = await world.issue("student")
    assert credential.ldp is not None
    entries = json.loads(credential.ldp)["credentialStatus"]
    assert [entry["statusPurpose"] for entry in entries] == ["revocation", "suspension"]
    assert {int(entry["statusListIndex"]) for entry in entries} == {credential.status_index}
    assert credential.suspendable is True
    report = await world.verify(credential.ldp)
    assert (report.verdict, report.failures()) == ("valid", {})


async def test_issuing_gives_a_jwt_too_when_the_learner_has_a_did(world: World) -> None:
    async with world.services.sessions() as session:
        person = await session.merge(world.people["student2"])
        person.did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        await session.commit()
        world.people["student2"] = person
    credential = await world.issue("student2")
    assert credential.ldp is not None
    assert credential.jwt is not None
    report = await world.verify(credential.jwt)
    assert (report.verdict, report.failures()) == ("valid", {})


async def test_issuing_twice_the_same_award_is_refused_and_takes_no_second_slot(world: World) -> None:
    await world.issue("student")
    with pytest.raises(AlreadyIssuedError):
        await world.issue("student")
    with pytest.raises(InvalidAwardError):
        await world.issue("student", level=1)  # below the required level
    async with world.services.sessions() as session:
        assert await slots_taken(session, world.organisations["lincoln-hs"].id) == 1
