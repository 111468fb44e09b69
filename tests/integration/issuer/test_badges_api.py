"""The badge catalogue over HTTP: consortium definitions, and an organisation's own, versioned."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.conftest import BADGE_DEFS

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio


def _own_definition() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        Path(BADGE_DEFS / "badges" / "workplace-communication.yaml").read_text(encoding="utf-8")
    )
    data["achievement_id"] = "https://badges.example.edu/achievements/lincoln-robotics"
    data["name"] = "Robotics team safety"
    data["version"] = 1
    return data


async def test_badges_lists_the_consortium_catalogue_publicly(world: World) -> None:
    response = await world.client.get("/api/badges")
    assert response.status_code == 200
    slugs = {badge["slug"] for badge in response.json()}
    assert {"weld-smaw-3f", "math-7rp-proportional", "workplace-communication"} <= slugs
    one = await world.client.get("/api/orgs/lincoln-hs/badges/weld-smaw-3f")
    assert one.status_code == 200
    assert one.json()["definition"]["required_level"] == 3
    assert one.json()["versions"][0]["contentHash"].startswith("sha256:")


async def test_badges_an_admin_adds_a_definition_and_new_versions(world: World) -> None:
    admin = world.headers("admin")
    definition = _own_definition()
    body = {"slug": "lincoln-robotics", "definition": definition}
    created = await world.client.post("/api/orgs/lincoln-hs/badges", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["source"] == "organisation"
    again = await world.client.post("/api/orgs/lincoln-hs/badges", json=body, headers=admin)
    assert again.status_code == 200  # the same content: nothing new
    revised = {**copy.deepcopy(definition), "name": "Robotics safety (revised)"}
    changed = {"slug": "lincoln-robotics", "definition": revised}
    refused = await world.client.post("/api/orgs/lincoln-hs/badges", json=changed, headers=admin)
    assert refused.status_code == 422
    assert "higher version" in refused.json()["detail"]
    revised["version"] = 2
    assert (
        await world.client.post("/api/orgs/lincoln-hs/badges", json=changed, headers=admin)
    ).status_code == 201
    offered = await world.client.get("/api/orgs/lincoln-hs/badges")
    robotics = [b for b in offered.json() if b["slug"] == "lincoln-robotics"]
    assert [(b["version"], b["name"]) for b in robotics] == [(2, "Robotics safety (revised)")]
    versions = (await world.client.get("/api/orgs/lincoln-hs/badges/lincoln-robotics")).json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]  # the old version is kept
    elsewhere = await world.client.get("/api/orgs/riverside-hs/badges")
    assert "lincoln-robotics" not in {b["slug"] for b in elsewhere.json()}


async def test_badges_invalid_definitions_name_the_field(world: World) -> None:
    admin = world.headers("admin")
    broken = _own_definition()
    broken["required_level"] = 7
    del broken["criteria"]
    response = await world.client.post(
        "/api/orgs/lincoln-hs/badges", json={"slug": "broken-one", "definition": broken}, headers=admin
    )
    assert response.status_code == 422
    messages = " ".join(error["message"] for error in response.json()["errors"])
    assert "required_level" in messages
    assert "criteria" in messages
    taken = await world.client.post(
        "/api/orgs/lincoln-hs/badges",
        json={"slug": "weld-smaw-3f", "definition": _own_definition()},
        headers=admin,
    )
    assert taken.status_code == 422
    assert "consortium" in taken.json()["detail"]


@pytest.mark.parametrize("who", ["teacher", "student", "other_admin", None])
async def test_badges_only_the_organisations_admin_adds_definitions(world: World, who: str | None) -> None:
    response = await world.client.post(
        "/api/orgs/lincoln-hs/badges",
        json={"slug": "lincoln-robotics", "definition": _own_definition()},
        headers=world.headers(who),
    )
    assert response.status_code == (401 if who is None else 403)
