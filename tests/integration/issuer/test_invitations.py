"""Invitation links for external supervisors: create, show, accept (a session, no password), re-open,
withdraw; each badge and student checked."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import select

from issuer.accounts import token_digest
from issuer.db.models import AuditEvent, Membership, SupervisorGrant

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

INVITATIONS = "/api/orgs/lincoln-hs/invitations"


def _body(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": "Mentor@Shipyard.example.com",
        "displayName": "Maria Lopez",
        "badges": ["weld-smaw-3f"],
        "students": [world.person_id("student2")],
    }
    return {**body, **changes}


async def _invite(world: World, who: str = "teacher", **changes: Any) -> tuple[str, str]:
    response = await world.client.post(INVITATIONS, json=_body(world, **changes), headers=world.headers(who))
    assert response.status_code == 201, response.text
    link = response.json()["link"]
    assert link.startswith("https://badges.example.edu/invitations/mbi_")
    return link.rsplit("/", 1)[1], response.json()["id"]


async def test_invitations_accept_signs_in_with_the_granted_badges_and_students(world: World) -> None:
    token, _ = await _invite(world)
    shown = await world.client.get(f"/api/invitations/{token}")
    assert shown.status_code == 200
    assert shown.json()["organisation"]["name"] == "Lincoln High School"
    assert shown.json()["badges"][0]["slug"] == "weld-smaw-3f"
    assert shown.json()["students"] == ["Student2"]  # first names only
    assert shown.json()["accepted"] is False

    accepted = await world.client.post(f"/api/invitations/{token}/accept")
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["signIn"] == "session"
    assert body["role"] == "supervisor"
    assert [(g["badge"], g["student"]["id"]) for g in body["grants"]] == [
        ("weld-smaw-3f", world.person_id("student2"))
    ]
    cookie = accepted.cookies.get("mb_session")
    assert cookie
    headers = {"Cookie": f"mb_session={cookie}", "X-CSRF-Token": body["csrfToken"]}
    me = await world.client.get("/api/me", headers=headers)
    assert me.json()["email"] == "mentor@shipyard.example.com"
    assert me.json()["memberships"] == [
        {"organisation": "lincoln-hs", "name": "Lincoln High School", "role": "supervisor"}
    ]
    grants = await world.client.get("/api/me/grants", headers=headers)
    assert [g["badge"] for g in grants.json()] == ["weld-smaw-3f"]

    # The link again, before it expires: signed in again, nothing granted twice.
    again = await world.client.post(f"/api/invitations/{token}/accept")
    assert again.status_code == 200
    assert again.cookies.get("mb_session") not in (None, cookie)
    assert len(again.json()["grants"]) == 1

    events = await world.client.get("/api/orgs/lincoln-hs/audit", headers=world.headers("admin"))
    assert {"invitation.create", "invitation.accept"} <= {e["action"] for e in events.json()["items"]}


async def test_invitations_store_only_the_token_hash(world: World) -> None:
    from sqlmodel import select

    from issuer.db.models import Invitation

    token, invitation_id = await _invite(world)
    async with world.services.sessions() as session:
        row = (await session.execute(select(Invitation))).scalar_one()
    assert str(row.id) == invitation_id
    assert row.token_hash == token_digest(token)
    assert token not in repr(row.model_dump())


async def test_invitations_unknown_withdrawn_or_expired_links_are_gone(world: World) -> None:
    unknown = await world.client.post("/api/invitations/mbi_nothing/accept")
    assert unknown.status_code == 410
    assert unknown.json()["code"] == "INVITATION_INVALID"

    token, invitation_id = await _invite(world)
    assert (await world.client.post(f"/api/invitations/{token}/accept")).status_code == 200
    withdrawn = await world.client.delete(f"{INVITATIONS}/{invitation_id}", headers=world.headers("teacher"))
    assert withdrawn.status_code == 204
    assert (await world.client.get(f"/api/invitations/{token}")).status_code == 410
    assert (await world.client.post(f"/api/invitations/{token}/accept")).status_code == 410

    # Withdrawing took back what it granted.
    from sqlmodel import select

    from issuer.db.models import Person, SupervisorGrant

    async with world.services.sessions() as session:
        mentor = (
            await session.execute(select(Person).where(Person.email == "mentor@shipyard.example.com"))
        ).scalar_one()
        grants = (
            await session.execute(select(SupervisorGrant).where(SupervisorGrant.supervisor_id == mentor.id))
        ).all()
    assert grants == []

    expiring, _ = await _invite(world, expiresInDays=1)
    from datetime import timedelta

    from tests.conftest import NOW

    world.client.app.state.services.clock = lambda: NOW + timedelta(days=1, seconds=1)
    assert (await world.client.post(f"/api/invitations/{expiring}/accept")).status_code == 410


async def test_invitations_name_each_bad_badge_and_student(world: World) -> None:
    response = await world.client.post(
        INVITATIONS,
        json=_body(
            world,
            badges=["weld-smaw-3f", "math-7rp-proportional", "no-such-badge"],
            students=[world.person_id("student"), world.person_id("other_student")],
        ),
        headers=world.headers("teacher"),
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'math-7rp-proportional' is attested by" in detail
    assert "'no-such-badge' is not offered" in detail
    students = await world.client.post(
        INVITATIONS,
        json=_body(world, students=[world.person_id("student"), world.person_id("other_student")]),
        headers=world.headers("teacher"),
    )
    assert students.status_code == 422
    assert world.person_id("other_student") in students.json()["detail"]
    assert world.person_id("student") not in students.json()["detail"]
    days = await world.client.post(
        INVITATIONS, json=_body(world, expiresInDays=91), headers=world.headers("teacher")
    )
    assert days.status_code == 400


async def test_invitations_roles_who_may_invite_whom(world: World) -> None:
    teacher_invites_teacher = await world.client.post(
        INVITATIONS,
        json={"email": "t2@lincoln.example.edu", "displayName": "T Two", "role": "teacher"},
        headers=world.headers("teacher"),
    )
    assert teacher_invites_teacher.status_code == 403
    admin_invites_teacher = await world.client.post(
        INVITATIONS,
        json={"email": "t2@lincoln.example.edu", "displayName": "T Two", "role": "teacher"},
        headers=world.headers("admin"),
    )
    assert admin_invites_teacher.status_code == 201
    for who in ("student", "supervisor", "other_teacher", None):
        response = await world.client.post(INVITATIONS, json=_body(world), headers=world.headers(who))
        assert response.status_code in (401, 403), who


async def test_invitations_link_session_has_no_power_in_other_organisations(world: World) -> None:
    # Attack 1: a teacher of A invites B's teacher as A's supervisor and opens the link himself.
    victim = world.person_id("other_teacher")
    token, _ = await _invite(world, email="teacher@riverside.example.edu", displayName="Riverside Teacher")
    accepted = await world.client.post(f"/api/invitations/{token}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["signIn"] == "session"
    assert accepted.json()["sessionOrganisation"] == "lincoln-hs"
    assert accepted.json()["person"]["id"] == victim
    headers = {"X-CSRF-Token": accepted.json()["csrfToken"]}  # the client keeps the cookie
    me = await world.client.get("/api/me", headers=headers)
    assert [m["organisation"] for m in me.json()["memberships"]] == ["lincoln-hs"]
    for path in ("/api/orgs/riverside-hs/review-queue", "/api/orgs/riverside-hs/credentials"):
        refused = await world.client.get(path, headers=headers)
        assert refused.status_code == 403, path
    deleted = await world.client.request(
        "DELETE",
        f"/api/learners/{victim}",
        json={"confirm": "teacher@riverside.example.edu"},
        headers=headers,
    )
    assert deleted.status_code == 403
    assert "own password" in deleted.json()["detail"]
    world.client.cookies.clear()
    # The victim's own session still works in B: the refusals above come from the restriction.
    own = await world.client.get(
        "/api/orgs/riverside-hs/review-queue", headers=world.headers("other_teacher")
    )
    assert own.status_code == 200
    async with world.services.sessions() as session:
        [login] = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "auth.login"))
        ).scalars()
    assert login.subject_id == victim
    assert login.detail["via"] == "invitation"
    assert login.organisation_id == world.organisations["lincoln-hs"].id


async def test_invitations_withdrawal_takes_back_only_what_the_invitation_created(world: World) -> None:
    # The supervisor already holds (weld-smaw-3f, student) from elsewhere; this invitation adds student2.
    token, invitation_id = await _invite(
        world,
        email="mentor@acme-welding.example.com",
        displayName="Mentor",
        students=[world.person_id("student"), world.person_id("student2")],
    )
    assert (await world.client.post(f"/api/invitations/{token}/accept")).status_code == 200
    world.client.cookies.clear()
    withdrawn = await world.client.delete(f"{INVITATIONS}/{invitation_id}", headers=world.headers("teacher"))
    assert withdrawn.status_code == 204
    async with world.services.sessions() as session:
        grants = (
            await session.execute(
                select(SupervisorGrant.badge_slug, SupervisorGrant.student_id).where(
                    SupervisorGrant.supervisor_id == world.people["supervisor"].id
                )
            )
        ).all()
    assert sorted((slug, str(student)) for slug, student in grants) == [
        ("weld-smaw-3f", world.person_id("student")),
        ("workplace-communication", world.person_id("student")),
    ]


async def test_invitations_withdrawing_an_accepted_teacher_invitation_removes_the_role(world: World) -> None:
    token, invitation_id = await _invite(
        world,
        "admin",
        email="t2@lincoln.example.edu",
        displayName="T Two",
        role="teacher",
        badges=[],
        students=[],
    )
    accepted = await world.client.post(f"/api/invitations/{token}/accept")
    assert accepted.status_code == 200
    person_id = accepted.json()["person"]["id"]
    world.client.cookies.clear()
    withdrawn = await world.client.delete(f"{INVITATIONS}/{invitation_id}", headers=world.headers("admin"))
    assert withdrawn.status_code == 204
    async with world.services.sessions() as session:
        roles = (
            await session.execute(select(Membership.role).where(Membership.person_id == uuid.UUID(person_id)))
        ).scalars()
        assert list(roles) == []


async def test_invitations_list_is_paged(world: World) -> None:
    for number in range(3):
        await _invite(world, email=f"m{number}@shipyard.example.com")
    first = await world.client.get(f"{INVITATIONS}?limit=2", headers=world.headers("teacher"))
    rest = await world.client.get(f"{INVITATIONS}?limit=2&offset=2", headers=world.headers("teacher"))
    assert len(first.json()) == 2
    assert len(rest.json()) == 1
    assert {i["id"] for i in first.json()}.isdisjoint(i["id"] for i in rest.json())
    too_many = await world.client.get(f"{INVITATIONS}?limit=501", headers=world.headers("teacher"))
    assert too_many.status_code == 400
