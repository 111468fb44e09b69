"""The audit log API: events of member changes, invitations, key rotations and staff reads of a
record, newest first and paged; admins only; and the table refuses UPDATE and DELETE in the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

AUDIT = "/api/orgs/lincoln-hs/audit"


async def _activity(world: World) -> None:
    added = await world.client.post(
        "/api/orgs/lincoln-hs/members",
        json={"email": "new@students.example.edu", "displayName": "New", "role": "student"},
        headers=world.headers("teacher"),
    )
    assert added.status_code == 201
    invited = await world.client.post(
        "/api/orgs/lincoln-hs/invitations",
        json={
            "email": "mentor2@example.com",
            "displayName": "Mo",
            "badges": ["weld-smaw-3f"],
            "students": [world.person_id("student")],
        },
        headers=world.headers("teacher"),
    )
    assert invited.status_code == 201
    rotated = await world.client.post(
        "/api/orgs/lincoln-hs/keys/rotate", json={"algorithm": "RS256"}, headers=world.headers("admin")
    )
    assert rotated.status_code == 201
    read = await world.client.get(
        f"/api/learners/{world.person_id('student')}/credentials", headers=world.headers("teacher")
    )
    assert read.status_code == 200


async def test_audit_lists_admin_actions_newest_first(world: World) -> None:
    await _activity(world)
    response = await world.client.get(AUDIT, headers=world.headers("admin"))
    assert response.status_code == 200
    items = response.json()["items"]
    actions = [item["action"] for item in items]
    for expected in ("member.add", "invitation.create", "key.rotate", "record.read"):
        assert expected in actions
    assert actions.index("record.read") < actions.index("key.rotate") < actions.index("invitation.create")
    ids = [item["id"] for item in items]
    assert ids == sorted(ids, reverse=True)
    # Nothing of another organisation.
    other = await world.client.get("/api/orgs/riverside-hs/audit", headers=world.headers("other_admin"))
    assert not {"invitation.create", "key.rotate"} & {item["action"] for item in other.json()["items"]}


async def test_audit_filters_and_pages(world: World) -> None:
    await _activity(world)
    teacher = world.person_id("teacher")
    by_teacher = (await world.client.get(f"{AUDIT}?actor={teacher}", headers=world.headers("admin"))).json()
    assert by_teacher["items"]
    assert {item["actor"] for item in by_teacher["items"]} == {teacher}
    about = (
        await world.client.get(
            f"{AUDIT}?subject={world.person_id('student')}", headers=world.headers("admin")
        )
    ).json()
    assert {item["subject"] for item in about["items"]} == {world.person_id("student")}

    first = (await world.client.get(f"{AUDIT}?limit=2", headers=world.headers("admin"))).json()
    assert len(first["items"]) == 2
    assert first["next"] == first["items"][-1]["id"]
    second = (
        await world.client.get(f"{AUDIT}?limit=2&before={first['next']}", headers=world.headers("admin"))
    ).json()
    assert second["items"]
    assert max(item["id"] for item in second["items"]) < first["next"]

    later = (
        await world.client.get(f"{AUDIT}?since=2100-01-01T00:00:00Z", headers=world.headers("admin"))
    ).json()
    assert later == {"items": [], "next": None}
    bad = await world.client.get(f"{AUDIT}?since=yesterday", headers=world.headers("admin"))
    assert bad.status_code == 400


async def test_audit_is_for_admins_only(world: World) -> None:
    for name, status in (("teacher", 403), ("student", 403), ("other_admin", 403), (None, 401)):
        response = await world.client.get(AUDIT, headers=world.headers(name))
        assert response.status_code == status, name


async def test_audit_table_refuses_update_and_delete(world: World) -> None:
    await _activity(world)
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        async with world.services.sessions() as session:
            with pytest.raises(DBAPIError):
                await session.execute(text(statement))
            await session.rollback()
    async with world.services.sessions() as session:
        count = (
            await session.execute(text("SELECT count(*) FROM audit_event WHERE action = 'x'"))
        ).scalar_one()
        assert count == 0
        total = (await session.execute(text("SELECT count(*) FROM audit_event"))).scalar_one()
        assert total > 0
