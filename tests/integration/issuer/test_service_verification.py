"""The service verifies badges itself (badge pages, verifier page, registrar): its own organisations'
DID documents and status lists come from its own data, not over HTTP."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from issuer.services.verification import ServiceFetcher, verify_in_service
from tests.conftest import NOW

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio


async def test_own_badge_verifies_without_any_request_to_the_network(world: World) -> None:
    world.services.settings.verifier_network = False  # a fetch outside the service would now fail
    credential = await world.issue("student")
    assert credential.ldp is not None  # the test schools sign JSON-LD only (their settings)
    report = await verify_in_service(world.services, credential.ldp, now=NOW)
    assert report.verdict == "valid", report.to_json()
    assert {check.id for check in report.checks} >= {"proof", "status", "validity"}


async def test_revoked_and_tampered_badges_are_reported_by_the_service_verifier(world: World) -> None:
    credential = await world.issue("student")
    assert credential.ldp is not None
    tampered = json.loads(credential.ldp)
    tampered["credentialSubject"]["result"][0]["achievedLevel"] = "urn:tampered"
    report = await verify_in_service(world.services, tampered, now=NOW)
    assert report.verdict == "invalid"
    assert report.failures().get("proof") is not None
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{credential.id}/revoke",
        json={"reason": "test"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200, revoked.text
    report = await verify_in_service(world.services, credential.ldp, now=NOW)
    assert report.verdict == "invalid"
    assert "status" in report.failures()


async def test_service_fetcher_answers_only_its_own_documents(world: World) -> None:
    fetcher = ServiceFetcher(world.services)
    base = world.services.settings.base_url
    assert fetcher.knows(f"{base}/orgs/lincoln-hs/did.json")
    assert fetcher.knows(f"{base}/orgs/lincoln-hs/status/revocation/1")
    assert not fetcher.knows("https://elsewhere.example/orgs/lincoln-hs/did.json")
    assert not fetcher.knows(f"{base}/orgs/lincoln-hs/../../etc/passwd")
    assert not fetcher.knows(f"{base}/api/me")


async def test_the_badge_page_report_is_reused_until_the_status_lists_or_the_minute_change(
    world: World,
) -> None:
    from datetime import timedelta

    from issuer.services.verification import verify_issued

    credential = await world.issue("student")
    first = await verify_issued(world.services, credential, now=NOW)
    assert first.verdict == "valid"
    assert await verify_issued(world.services, credential, now=NOW + timedelta(seconds=20)) is first
    later = await verify_issued(world.services, credential, now=NOW + timedelta(minutes=1))
    assert later is not first
    assert later.verdict == "valid"
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{credential.id}/revoke",
        json={"reason": "test"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200, revoked.text
    # Within the same minute: the revocation changed the list, so the page checks afresh.
    after = await verify_issued(world.services, credential, now=NOW + timedelta(minutes=1, seconds=5))
    assert after.verdict == "invalid"
    assert "status" in after.failures()
