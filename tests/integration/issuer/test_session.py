"""Signing in, sessions with CSRF tokens, and scoped API tokens, on the real app and database."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.issuer.conftest import PASSWORD

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio


async def test_session_sign_in_sets_an_httponly_cookie_and_me_lists_roles(world: World) -> None:
    response = await world.client.post(
        "/api/session", json={"email": "Teacher@Lincoln.example.edu ", "password": PASSWORD}
    )
    assert response.status_code == 201
    cookie = response.headers["set-cookie"]
    assert "mb_session=mbs_" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    me = await world.client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["memberships"] == [
        {"organisation": "lincoln-hs", "name": "Lincoln High School", "role": "teacher"}
    ]


@pytest.mark.parametrize(
    ("email", "password"),
    [("teacher@lincoln.example.edu", "wrong password!!"), ("nobody@lincoln.example.edu", PASSWORD)],
)
async def test_session_wrong_email_or_password_gets_the_same_401(
    world: World, email: str, password: str
) -> None:
    response = await world.client.post("/api/session", json={"email": email, "password": password})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "wrong e-mail or password"
    assert "mb_session" not in response.cookies


async def test_session_unsafe_request_without_csrf_token_is_refused(world: World) -> None:
    headers = world.headers("teacher")
    without = {"Cookie": headers["Cookie"]}
    refused = await world.client.post(
        "/api/tokens", json={"name": "x", "scopes": ["awards:write"]}, headers=without
    )
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    wrong = {**without, "X-CSRF-Token": "not-the-token"}
    assert (
        await world.client.post("/api/tokens", json={"name": "x", "scopes": ["awards:write"]}, headers=wrong)
    ).status_code == 403
    accepted = await world.client.post(
        "/api/tokens", json={"name": "x", "scopes": ["awards:write"]}, headers=headers
    )
    assert accepted.status_code == 201


async def test_session_sign_out_ends_the_session(world: World) -> None:
    headers = world.headers("student")
    assert (await world.client.get("/api/me", headers=headers)).status_code == 200
    assert (await world.client.delete("/api/session", headers=headers)).status_code == 204
    after = await world.client.get("/api/me", headers=headers)
    assert after.status_code == 401


async def test_session_api_token_acts_within_its_scopes_and_can_be_withdrawn(world: World) -> None:
    created = await world.client.post(
        "/api/tokens",
        json={"name": "roster sync", "scopes": ["credentials:read"], "organisation": "lincoln-hs"},
        headers=world.headers("teacher"),
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert token.startswith("mbt_")
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await world.client.get("/api/me", headers=bearer)).status_code == 200
    listed = await world.client.get("/api/tokens", headers=world.headers("teacher"))
    assert [t["name"] for t in listed.json()] == ["roster sync"]
    assert "token" not in listed.json()[0]
    # A token cannot mint tokens, even for its own person.
    minted = await world.client.post(
        "/api/tokens", json={"name": "y", "scopes": ["awards:write"]}, headers=bearer
    )
    assert minted.status_code == 403
    token_id = created.json()["id"]
    assert (
        await world.client.delete(f"/api/tokens/{token_id}", headers=world.headers("teacher"))
    ).status_code == 204
    assert (await world.client.get("/api/me", headers=bearer)).status_code == 401


async def test_session_token_request_with_unknown_scope_or_field_is_a_clear_4xx(world: World) -> None:
    unknown = await world.client.post(
        "/api/tokens", json={"name": "x", "scopes": ["everything"]}, headers=world.headers("teacher")
    )
    assert unknown.status_code == 422
    assert "everything" in unknown.json()["detail"]
    extra = await world.client.post(
        "/api/tokens",
        json={"name": "x", "scopes": ["awards:write"], "admin": True},
        headers=world.headers("teacher"),
    )
    assert extra.status_code == 400
    assert extra.json()["code"] == "VALIDATION_ERROR"
    malformed = await world.client.post(
        "/api/tokens",
        content=b"{not json",
        headers={**world.headers("teacher"), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400


async def test_session_bad_authorization_header_is_401(world: World) -> None:
    for value in ("Basic abc", "Bearer ", "Bearer mbt_unknown"):
        response = await world.client.get("/api/me", headers={"Authorization": value})
        assert response.status_code == 401, value
