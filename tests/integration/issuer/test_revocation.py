"""Revoking, suspending and reinstating badges through the HTTP API: the verifier sees each change
through the re-signed status lists the app serves; the reason stays private; roles and organisations
are kept apart."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import select

from issuer.db.models import AuditEvent, Credential, StatusList
from tests.conftest import NOW
from verifier.status import BitstringStatusList

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

REASON = "Evidence was plagiarised from Ben's portfolio"
ORG = "/api/orgs/lincoln-hs/credentials"


async def _post(world: World, who: str | None, credential_id: str, change: str, body: Any) -> Any:
    return await world.client.post(f"{ORG}/{credential_id}/{change}", json=body, headers=world.headers(who))


async def _stored(world: World, credential_id: str) -> Credential:
    async with world.services.sessions() as session:
        credential = await session.get(Credential, credential_id)
        assert credential is not None
        return credential


async def _list_bit(world: World, credential: Credential, purpose: str) -> int:
    """The bit as the served list credential says (decoded from its signed text)."""
    response = await world.client.get(f"/orgs/lincoln-hs/status/{purpose}/{credential.list_number}")
    assert response.status_code == 200
    encoded = response.json()["credentialSubject"]["encodedList"]
    return BitstringStatusList.decode(encoded).get(credential.status_index)


async def test_revoke_makes_the_badge_verify_revoked_through_the_app(world: World) -> None:
    credential = await world.issue("student")
    assert credential.ldp is not None
    response = await _post(world, "admin", credential.id, "revoke", {"reason": REASON})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "revoked"
    assert response.json()["statusReason"] == REASON
    report = await world.verify(credential.ldp)
    assert report.verdict == "invalid"
    assert "REVOKED" in report.failures().values()
    assert await _list_bit(world, credential, "revocation") == 1
    stored = await _stored(world, credential.id)
    assert (stored.state, stored.award_key) == ("revoked", None)
    assert stored.status_changed_at is not None
    assert stored.status_changed_at == NOW


async def test_revoke_is_final_and_releases_the_award(world: World) -> None:
    credential = await world.issue("student")
    assert (await _post(world, "admin", credential.id, "revoke", {"reason": REASON})).status_code == 200
    for change, body in (("reinstate", {}), ("suspend", {"reason": "x"}), ("revoke", {"reason": "x"})):
        response = await _post(world, "admin", credential.id, change, body)
        assert response.status_code == 409, change
        assert response.json()["code"] == "INVALID_STATE"
    again = await world.issue("student")  # the same award can be given anew
    assert again.id != credential.id
    assert again.ldp is not None
    report = await world.verify(again.ldp)
    assert (report.verdict, report.failures()) == ("valid", {})


async def test_suspend_then_reinstate_round_trips_through_the_verifier(world: World) -> None:
    await world.allow_suspension()
    credential = await world.issue("student")
    assert credential.ldp is not None
    response = await _post(world, "teacher", credential.id, "suspend", {"reason": REASON})
    assert response.status_code == 200, response.text
    report = await world.verify(credential.ldp)
    assert report.verdict == "invalid"
    assert "SUSPENDED" in report.failures().values()
    assert "REVOKED" not in report.failures().values()
    again = await _post(world, "teacher", credential.id, "suspend", {"reason": REASON})
    assert again.status_code == 409
    response = await _post(world, "teacher", credential.id, "reinstate", {})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "active"
    assert response.json()["statusReason"] is None
    report = await world.verify(credential.ldp)
    assert (report.verdict, report.failures()) == ("valid", {})
    assert await _list_bit(world, credential, "suspension") == 0


async def test_a_badge_with_one_status_entry_cannot_be_suspended_only_revoked(world: World) -> None:
    credential = await world.issue("student")  # the default: the revocation entry alone (OB 3.0)
    assert credential.ldp is not None
    refused = await _post(world, "teacher", credential.id, "suspend", {"reason": REASON})
    assert refused.status_code == 409
    assert refused.json()["code"] == "INVALID_STATE"
    assert "revocation entry only" in refused.json()["detail"]
    stored = await _stored(world, credential.id)
    assert (stored.state, stored.status_reason) == ("active", None)
    assert await _list_bit(world, credential, "suspension") == 0
    assert (await world.verify(credential.ldp)).verdict == "valid"
    # Turning suspension on changes the badges issued from then on, not this one.
    await world.allow_suspension()
    assert (await _post(world, "teacher", credential.id, "suspend", {"reason": REASON})).status_code == 409
    later = await world.issue("student", badge="math-7rp-proportional")
    assert (await _post(world, "teacher", later.id, "suspend", {"reason": REASON})).status_code == 200
    # Revoking still works on the one-entry badge, and only its revocation bit changes.
    assert (await _post(world, "admin", credential.id, "revoke", {"reason": REASON})).status_code == 200
    assert (
        await _list_bit(world, credential, "revocation"),
        await _list_bit(world, credential, "suspension"),
    ) == (
        1,
        0,
    )
    assert "REVOKED" in (await world.verify(credential.ldp)).failures().values()


async def test_revoking_a_suspended_badge_shows_it_revoked_only(world: World) -> None:
    await world.allow_suspension()
    credential = await world.issue("student")
    assert credential.ldp is not None
    assert (await _post(world, "teacher", credential.id, "suspend", {"reason": "pending"})).status_code == 200
    assert (await _post(world, "admin", credential.id, "revoke", {"reason": REASON})).status_code == 200
    assert await _list_bit(world, credential, "revocation") == 1
    assert await _list_bit(world, credential, "suspension") == 0
    report = await world.verify(credential.ldp)
    assert report.verdict == "invalid"
    assert "REVOKED" in report.failures().values()
    assert "SUSPENDED" not in report.failures().values()


async def test_reinstate_of_an_active_badge_is_refused(world: World) -> None:
    credential = await world.issue("student")
    response = await _post(world, "admin", credential.id, "reinstate", {"reason": "oops"})
    assert response.status_code == 409
    assert response.json()["code"] == "INVALID_STATE"


@pytest.mark.parametrize(
    ("who", "change", "status"),
    [
        ("teacher", "revoke", 403),  # only an admin revokes
        ("student", "revoke", 403),
        ("student", "suspend", 403),
        ("supervisor", "suspend", 403),
        ("other_admin", "revoke", 403),  # another school's admin
        ("other_teacher", "suspend", 403),
        ("registrar", "revoke", 403),
        (None, "revoke", 401),
    ],
)
async def test_status_change_is_refused_to_other_roles_and_schools(
    world: World, who: str | None, change: str, status: int
) -> None:
    credential = await world.issue("student")
    response = await _post(world, who, credential.id, change, {"reason": REASON})
    assert response.status_code == status, response.text
    stored = await _stored(world, credential.id)
    assert stored.state == "active"
    assert await _list_bit(world, credential, "revocation") == 0
    assert await _list_bit(world, credential, "suspension") == 0


async def test_other_school_cannot_reach_a_credential_through_its_own_path(world: World) -> None:
    credential = await world.issue("student")
    response = await world.client.post(
        f"/api/orgs/riverside-hs/credentials/{credential.id}/revoke",
        json={"reason": REASON},
        headers=world.headers("other_admin"),
    )
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    read = await world.client.get(
        f"/api/orgs/riverside-hs/credentials/{credential.id}", headers=world.headers("other_admin")
    )
    assert read.status_code == 404
    assert (await _stored(world, credential.id)).state == "active"


async def test_unknown_credential_is_not_found(world: World) -> None:
    await world.issue("student")
    for change in ("revoke", "suspend"):
        response = await _post(
            world, "admin", "urn:uuid:00000000-0000-4000-8000-000000000000", change, {"reason": "x"}
        )
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
    response = await world.client.get(f"{ORG}/not-a-credential", headers=world.headers("admin"))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": 3},
        {"reason": "x" * 1001},
        {"reason": "x", "extra": 1},
    ],
)
async def test_revoke_without_a_usable_reason_is_refused_and_changes_nothing(
    world: World, body: dict[str, Any]
) -> None:
    credential = await world.issue("student")
    response = await _post(world, "admin", credential.id, "revoke", body)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await _stored(world, credential.id)).state == "active"
    assert await _list_bit(world, credential, "revocation") == 0


async def test_reason_stays_out_of_the_list_the_credential_and_the_audit_log(world: World) -> None:
    await world.allow_suspension()
    credential = await world.issue("student")
    assert (await _post(world, "teacher", credential.id, "suspend", {"reason": REASON})).status_code == 200
    assert (await _post(world, "admin", credential.id, "revoke", {"reason": REASON})).status_code == 200
    for purpose in ("revocation", "suspension"):
        served = await world.client.get(f"/orgs/lincoln-hs/status/{purpose}/{credential.list_number}")
        assert "plagiarised" not in served.text
    stored = await _stored(world, credential.id)
    assert stored.ldp is not None
    assert "plagiarised" not in stored.ldp
    assert stored.status_reason == REASON
    async with world.services.sessions() as session:
        events = (
            await session.execute(select(AuditEvent).where(AuditEvent.subject_id == credential.id))
        ).scalars()
        by_action = {event.action: event for event in events}
    assert set(by_action) >= {"credential.issue", "credential.suspend", "credential.revoke"}
    revoke = by_action["credential.revoke"]
    assert revoke.actor_id == world.people["admin"].id
    assert revoke.detail == {
        "from": "suspended",
        "to": "revoked",
        "badge": "weld-smaw-3f",
        "reasonGiven": True,
    }
    assert "plagiarised" not in json.dumps([event.detail for event in by_action.values()])


async def test_status_change_re_signs_the_stored_list_credential(world: World) -> None:
    await world.allow_suspension()
    credential = await world.issue("student")

    async def stored_list() -> StatusList:
        async with world.services.sessions() as session:
            result = await session.execute(
                select(StatusList).where(
                    StatusList.organisation_id == world.organisations["lincoln-hs"].id,
                    StatusList.purpose == "suspension",
                    StatusList.number == credential.list_number,
                )
            )
            return result.scalar_one()

    before = await stored_list()
    assert (await _post(world, "teacher", credential.id, "suspend", {"reason": "x"})).status_code == 200
    after = await stored_list()
    assert after.credential != before.credential
    assert BitstringStatusList.from_bytes(after.bits).get(credential.status_index) == 1
    encoded = json.loads(after.credential)["credentialSubject"]["encodedList"]
    assert BitstringStatusList.decode(encoded).to_bytes() == after.bits
    served = await world.client.get(f"/orgs/lincoln-hs/status/suspension/{credential.list_number}")
    assert served.text == after.credential


async def test_credential_list_filters_and_pages(world: World) -> None:
    first = await world.issue("student")
    second = await world.issue("student2")
    await world.issue("student", badge="math-7rp-proportional")
    assert (await _post(world, "admin", first.id, "revoke", {"reason": REASON})).status_code == 200

    async def listed(query: str, who: str = "teacher") -> Any:
        response = await world.client.get(f"{ORG}?{query}", headers=world.headers(who))
        assert response.status_code == 200, response.text
        return response.json()

    everything = await listed("")
    assert everything["total"] == 3
    assert len(everything["items"]) == 3
    assert "ldp" not in everything["items"][0]
    assert {item["id"] for item in (await listed("state=revoked"))["items"]} == {first.id}
    assert (await listed("state=revoked"))["items"][0]["statusReason"] == REASON
    ben = (await listed(f"student={world.person_id('student2')}"))["items"]
    assert [item["id"] for item in ben] == [second.id]
    assert (await listed("badge=math-7rp-proportional"))["total"] == 1
    page = await listed("limit=2&offset=2")
    assert (page["total"], len(page["items"])) == (3, 1)
    other = await world.client.get("/api/orgs/riverside-hs/credentials", headers=world.headers("other_admin"))
    assert other.json()["total"] == 0


@pytest.mark.parametrize("query", ["state=lost", "limit=0", "limit=501", "offset=-1", "student=ana"])
async def test_credential_list_refuses_bad_filters(world: World, query: str) -> None:
    response = await world.client.get(f"{ORG}?{query}", headers=world.headers("admin"))
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("who", "status"), [("student", 403), ("supervisor", 403), ("other_admin", 403)])
async def test_credential_register_is_for_staff_only(world: World, who: str, status: int) -> None:
    credential = await world.issue("student")
    assert (await world.client.get(ORG, headers=world.headers(who))).status_code == status
    assert (
        await world.client.get(f"{ORG}/{credential.id}", headers=world.headers(who))
    ).status_code == status


async def test_reading_one_credential_gives_its_texts_and_is_audited(world: World) -> None:
    credential = await world.issue("student")
    response = await world.client.get(f"{ORG}/{credential.id}", headers=world.headers("teacher"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ldp"] == credential.ldp
    assert body["student"] == world.person_id("student")
    bare = credential.id.removeprefix("urn:uuid:")
    assert (await world.client.get(f"{ORG}/{bare}", headers=world.headers("teacher"))).json()[
        "id"
    ] == credential.id
    async with world.services.sessions() as session:
        reads = (
            await session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "record.read", AuditEvent.subject_id == credential.id
                )
            )
        ).scalars()
        assert [event.actor_id for event in reads] == [world.people["teacher"].id] * 2
