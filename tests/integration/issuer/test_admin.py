"""Organisation admin through the HTTP API: members, guardians, key rotation, issuing settings."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest
from sqlmodel import select

from issuer.db.models import AuditEvent, Credential
from tests.conftest import NOW

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

MEMBERS = "/api/orgs/lincoln-hs/members"


async def test_members_admin_lists_adds_and_removes(world: World) -> None:
    listed = await world.client.get(MEMBERS, headers=world.headers("admin"))
    assert listed.status_code == 200
    assert {m["email"] for m in listed.json()} >= {"admin@lincoln.example.edu", "ana@students.example.edu"}
    assert "cy@riverside.example.edu" not in {m["email"] for m in listed.json()}

    added = await world.client.post(
        MEMBERS,
        json={"email": "New.Teacher@Lincoln.example.edu", "displayName": "Nia", "role": "teacher"},
        headers=world.headers("admin"),
    )
    assert added.status_code == 201, added.text
    assert added.json()["email"] == "new.teacher@lincoln.example.edu"
    assert added.json()["role"] == "teacher"

    removed = await world.client.delete(
        f"{MEMBERS}/{added.json()['membershipId']}", headers=world.headers("admin")
    )
    assert removed.status_code == 204
    listed = await world.client.get(MEMBERS, headers=world.headers("admin"))
    assert "new.teacher@lincoln.example.edu" not in {m["email"] for m in listed.json()}


async def test_members_teacher_adds_students_only_and_cannot_list(world: World) -> None:
    student = await world.client.post(
        MEMBERS,
        json={"email": "dee@students.example.edu", "displayName": "Dee", "role": "student", "isMinor": True},
        headers=world.headers("teacher"),
    )
    assert student.status_code == 201, student.text
    assert student.json()["isMinor"] is True
    admin = await world.client.post(
        MEMBERS,
        json={"email": "eve@example.edu", "displayName": "Eve", "role": "admin"},
        headers=world.headers("teacher"),
    )
    assert admin.status_code == 403
    assert "students only" in admin.json()["detail"]
    assert (await world.client.get(MEMBERS, headers=world.headers("teacher"))).status_code == 403
    assert (await world.client.get(MEMBERS, headers=world.headers("other_admin"))).status_code == 403


async def test_members_add_refuses_a_password_for_an_existing_account(world: World) -> None:
    # An admin of another school must not be able to set the password of someone else's account.
    response = await world.client.post(
        "/api/orgs/riverside-hs/members",
        json={
            "email": "teacher@lincoln.example.edu",
            "displayName": "Hijack",
            "role": "teacher",
            "password": "a new password long enough",
        },
        headers=world.headers("other_admin"),
    )
    assert response.status_code == 422
    assert "has an account already" in response.json()["detail"]
    signed_in = await world.client.post(
        "/api/session",
        json={"email": "teacher@lincoln.example.edu", "password": "correct horse battery staple"},
    )
    assert signed_in.status_code == 201


async def test_members_bad_input_is_named(world: World) -> None:
    unknown_role = await world.client.post(
        MEMBERS,
        json={"email": "x@example.edu", "displayName": "X", "role": "wizard"},
        headers=world.headers("admin"),
    )
    assert unknown_role.status_code == 400
    assert unknown_role.json()["code"] == "VALIDATION_ERROR"
    bad_email = await world.client.post(
        MEMBERS,
        json={"email": "not-an-email", "displayName": "X", "role": "student"},
        headers=world.headers("admin"),
    )
    assert bad_email.status_code == 422
    assert "not an e-mail address" in bad_email.json()["detail"]
    twice = await world.client.post(
        MEMBERS,
        json={"email": "ana@students.example.edu", "displayName": "Ana", "role": "student"},
        headers=world.headers("admin"),
    )
    assert twice.status_code == 422
    assert "already a student" in twice.json()["detail"]


async def test_members_last_admin_cannot_be_removed(world: World) -> None:
    listed = (await world.client.get(MEMBERS, headers=world.headers("admin"))).json()
    [admin] = [m for m in listed if m["role"] == "admin"]
    response = await world.client.delete(f"{MEMBERS}/{admin['membershipId']}", headers=world.headers("admin"))
    assert response.status_code == 409
    assert "last admin" in response.json()["detail"]


async def test_members_removal_of_another_schools_membership_is_not_found(world: World) -> None:
    listed = (
        await world.client.get("/api/orgs/riverside-hs/members", headers=world.headers("other_admin"))
    ).json()
    [theirs] = [m for m in listed if m["role"] == "student"]
    response = await world.client.delete(
        f"{MEMBERS}/{theirs['membershipId']}", headers=world.headers("admin")
    )
    assert response.status_code == 404


async def test_guardians_are_added_for_minor_students_only(world: World) -> None:
    minor = await world.client.post(
        MEMBERS,
        json={"email": "kid@students.example.edu", "displayName": "Kid", "role": "student", "isMinor": True},
        headers=world.headers("admin"),
    )
    kid = minor.json()["personId"]
    added = await world.client.post(
        f"/api/orgs/lincoln-hs/students/{kid}/guardians",
        json={"email": "parent@example.com", "displayName": "Parent"},
        headers=world.headers("admin"),
    )
    assert added.status_code == 201, added.text
    assert added.json()["student"] == kid
    adult = await world.client.post(
        f"/api/orgs/lincoln-hs/students/{world.person_id('student')}/guardians",
        json={"email": "parent@example.com", "displayName": "Parent"},
        headers=world.headers("admin"),
    )
    assert adult.status_code == 422
    assert "not a minor" in adult.json()["detail"]
    elsewhere = await world.client.post(
        f"/api/orgs/lincoln-hs/students/{world.person_id('other_student')}/guardians",
        json={"email": "parent@example.com", "displayName": "Parent"},
        headers=world.headers("admin"),
    )
    assert elsewhere.status_code == 404


async def test_keys_rotation_publishes_the_new_key_and_old_badges_keep_verifying(world: World) -> None:
    before = await world.issue("student")
    assert before.ldp is not None
    old_did = (await world.client.get("/orgs/lincoln-hs/did.json")).json()
    old_keys = {m["id"] for m in old_did["verificationMethod"]}

    rotated = await world.client.post(
        "/api/orgs/lincoln-hs/keys/rotate", json={"algorithm": "EdDSA"}, headers=world.headers("admin")
    )
    assert rotated.status_code == 201, rotated.text
    new_key = rotated.json()["keyId"]
    assert rotated.json()["status"] == "active"
    assert "d" not in rotated.json()["publicJwk"]  # never a private part

    did = (await world.client.get("/orgs/lincoln-hs/did.json")).json()
    ids = {m["id"] for m in did["verificationMethod"]}
    assert old_keys < ids
    assert any(new_key in method for method in ids)
    keys = (await world.client.get("/api/orgs/lincoln-hs/keys", headers=world.headers("admin"))).json()
    assert {k["status"] for k in keys if k["algorithm"] == "EdDSA"} == {"active", "retired"}

    after = await world.issue("student2")
    assert after.ldp is not None
    assert new_key in json.loads(after.ldp)["proof"][0]["verificationMethod"]
    assert await world.verdict(before.ldp) == "valid"
    assert await world.verdict(after.ldp) == "valid"

    events = await world.client.get(
        "/api/orgs/lincoln-hs/audit?action=key.rotate", headers=world.headers("admin")
    )
    assert [e["subject"] for e in events.json()["items"]] == [new_key]


async def test_keys_rotation_needs_an_admin_and_a_known_algorithm(world: World) -> None:
    teacher = await world.client.post(
        "/api/orgs/lincoln-hs/keys/rotate", json={"algorithm": "EdDSA"}, headers=world.headers("teacher")
    )
    assert teacher.status_code == 403
    other = await world.client.post(
        "/api/orgs/lincoln-hs/keys/rotate", json={"algorithm": "EdDSA"}, headers=world.headers("other_admin")
    )
    assert other.status_code == 403
    bad = await world.client.post(
        "/api/orgs/lincoln-hs/keys/rotate", json={"algorithm": "HS256"}, headers=world.headers("admin")
    )
    assert bad.status_code == 400


async def test_settings_change_what_an_approval_signs(world: World) -> None:
    changed = await world.client.patch(
        "/api/orgs/lincoln-hs/settings",
        json={"proofFormats": "ldp", "jwtAlgorithm": "EdDSA"},
        headers=world.headers("admin"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"proofFormats": "ldp", "jwtAlgorithm": "EdDSA", "suspension": False}
    shown = await world.client.get("/api/orgs/lincoln-hs/settings", headers=world.headers("admin"))
    assert shown.json() == {"proofFormats": "ldp", "jwtAlgorithm": "EdDSA", "suspension": False}
    wrong = await world.client.patch(
        "/api/orgs/lincoln-hs/settings", json={"proofFormats": "pdf"}, headers=world.headers("admin")
    )
    assert wrong.status_code == 400
    teacher = await world.client.patch(
        "/api/orgs/lincoln-hs/settings", json={"proofFormats": "both"}, headers=world.headers("teacher")
    )
    assert teacher.status_code == 403


async def test_settings_turn_suspension_on_for_the_badges_issued_next(world: World) -> None:
    before = await world.issue("student")
    changed = await world.client.patch(
        "/api/orgs/lincoln-hs/settings", json={"suspension": True}, headers=world.headers("admin")
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["suspension"] is True
    awarded = await world.client.post(
        "/api/orgs/lincoln-hs/awards",
        json={"student": world.person_id("student"), "badge": "math-7rp-proportional", "level": 3},
        headers=world.headers("teacher"),
    )
    assert awarded.status_code == 201, awarded.text
    async with world.services.sessions() as session:
        after = await session.get(Credential, awarded.json()["id"])
    assert after is not None
    assert before.ldp is not None
    assert after.ldp is not None
    assert isinstance(json.loads(before.ldp)["credentialStatus"], dict)
    assert [e["statusPurpose"] for e in json.loads(after.ldp)["credentialStatus"]] == [
        "revocation",
        "suspension",
    ]
    assert (before.suspendable, after.suspendable) == (False, True)
    async with world.services.sessions() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.action == "org.settings")))
            .scalars()
            .all()
        )
    assert [e.detail for e in events] == [{"suspension": True}]
    wrong = await world.client.patch(
        "/api/orgs/lincoln-hs/settings", json={"suspension": "yes please"}, headers=world.headers("admin")
    )
    assert wrong.status_code == 400


async def test_members_list_is_paged(world: World) -> None:
    first = await world.client.get(f"{MEMBERS}?limit=2", headers=world.headers("admin"))
    rest = await world.client.get(f"{MEMBERS}?limit=500&offset=2", headers=world.headers("admin"))
    everyone = await world.client.get(MEMBERS, headers=world.headers("admin"))
    assert len(first.json()) == 2
    assert [m["membershipId"] for m in first.json() + rest.json()] == [
        m["membershipId"] for m in everyone.json()
    ]
    too_many = await world.client.get(f"{MEMBERS}?limit=501", headers=world.headers("admin"))
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "VALIDATION_ERROR"


async def test_members_concurrent_creation_of_one_new_account_gives_one_person(world: World) -> None:
    # Two admins adding the same new e-mail at the same moment: one account, both roles, no 500.
    from sqlmodel import select

    from issuer.db.models import Membership, Person
    from issuer.services.people import add_member

    async def add(role: str) -> None:
        async with world.services.sessions() as session:
            await add_member(
                session,
                organisation=world.organisations["lincoln-hs"],
                email="twin@example.org",
                display_name="Twin",
                role=role,
                now=NOW,
                actor=None,
            )

    await asyncio.gather(add("student"), add("registrar"))
    async with world.services.sessions() as session:
        [person] = (await session.execute(select(Person).where(Person.email == "twin@example.org"))).scalars()
        roles = (
            await session.execute(select(Membership.role).where(Membership.person_id == person.id))
        ).scalars()
        assert sorted(roles) == ["registrar", "student"]
