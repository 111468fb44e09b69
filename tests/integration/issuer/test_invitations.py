"""Invitation links for external supervisors: create, show, accept (a session, no password), re-open,
withdraw; each badge and student checked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from issuer.accounts import token_digest

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


async def test_invitations_an_account_with_a_password_signs_in_with_it(world: World) -> None:
    # The link may be forwarded: it never opens a session for an account that has a password.
    token, _ = await _invite(world, email="teacher@lincoln.example.edu", displayName="Teacher")
    accepted = await world.client.post(f"/api/invitations/{token}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["signIn"] == "password"
    assert accepted.json()["csrfToken"] is None
    assert "mb_session" not in accepted.cookies
    assert [g["badge"] for g in accepted.json()["grants"]] == ["weld-smaw-3f"]
