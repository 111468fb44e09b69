"""Signing in, sessions with CSRF tokens, and scoped API tokens, on the real app and database."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlmodel import select

from issuer.db.models import AuditEvent
from tests.conftest import NOW
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


async def test_session_api_token_cannot_list_or_withdraw_tokens(world: World) -> None:
    created = await world.client.post(
        "/api/tokens", json={"name": "script", "scopes": ["record:read"]}, headers=world.headers("student")
    )
    assert created.status_code == 201, created.text
    bearer = {"Authorization": f"Bearer {created.json()['token']}"}
    listed = await world.client.get("/api/tokens", headers=bearer)
    assert listed.status_code == 403
    assert "session" in listed.json()["detail"]
    withdrawn = await world.client.delete(f"/api/tokens/{created.json()['id']}", headers=bearer)
    assert withdrawn.status_code == 403
    assert (await world.client.get("/api/me", headers=bearer)).status_code == 200  # still valid


async def test_session_password_set_by_staff_signs_in_to_their_organisation_only(world: World) -> None:
    # Attack 2: a teacher of A creates an account with a password they chose; B later makes the same
    # e-mail an admin. The teacher's password must give nothing in B.
    created = await world.client.post(
        "/api/orgs/lincoln-hs/members",
        json={"email": "dana@example.org", "displayName": "Dana", "role": "student", "password": PASSWORD},
        headers=world.headers("teacher"),
    )
    assert created.status_code == 201, created.text
    made_admin = await world.client.post(
        "/api/orgs/riverside-hs/members",
        json={"email": "dana@example.org", "displayName": "Dana", "role": "admin"},
        headers=world.headers("other_admin"),
    )
    assert made_admin.status_code == 201, made_admin.text

    signed_in = await world.client.post(
        "/api/session", json={"email": "dana@example.org", "password": PASSWORD}
    )
    assert signed_in.status_code == 201, signed_in.text
    person = signed_in.json()["person"]
    assert person["sessionOrganisation"] == "lincoln-hs"
    assert [m["organisation"] for m in person["memberships"]] == ["lincoln-hs"]
    headers = {"X-CSRF-Token": signed_in.json()["csrfToken"]}  # the client keeps the cookie
    refused = await world.client.get("/api/orgs/riverside-hs/members", headers=headers)
    assert refused.status_code == 403
    # Nor through an API token made from this session.
    elsewhere = await world.client.post(
        "/api/tokens",
        json={"name": "x", "scopes": ["org:admin"], "organisation": "riverside-hs"},
        headers=headers,
    )
    assert elsewhere.status_code == 403
    token = await world.client.post(
        "/api/tokens", json={"name": "x", "scopes": ["org:admin"]}, headers=headers
    )
    assert token.status_code == 201, token.text
    assert token.json()["organisation"] == "lincoln-hs"
    world.client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token.json()['token']}"}
    assert (await world.client.get("/api/orgs/riverside-hs/members", headers=bearer)).status_code == 403

    # The same person's roles work in B when B's own session is used (the restriction is the cause).
    from issuer.db.models import Person
    from issuer.services.people import open_session_for

    async with world.services.sessions() as session:
        dana = (await session.execute(select(Person).where(Person.email == "dana@example.org"))).scalar_one()
        cookie, web_session = await open_session_for(session, person=dana, now=NOW)
    own = {"Cookie": f"mb_session={cookie}", "X-CSRF-Token": web_session.csrf_token}
    assert (await world.client.get("/api/orgs/riverside-hs/members", headers=own)).status_code == 200


async def test_session_operator_password_signs_in_unrestricted(world: World) -> None:
    signed_in = await world.client.post(
        "/api/session", json={"email": "teacher@lincoln.example.edu", "password": PASSWORD}
    )
    assert signed_in.status_code == 201
    assert signed_in.json()["person"]["sessionOrganisation"] is None
    async with world.services.sessions() as session:
        [event] = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "auth.login"))
        ).scalars()
    assert event.detail == {"via": "password"}


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://badges.example.edu", "https://[::1", "https://x:port"]
)
async def test_session_sign_in_from_another_origin_is_refused(world: World, origin: str) -> None:
    # Login CSRF: another site's page posting the form would sign the visitor in as someone else.
    response = await world.client.post(
        "/api/session",
        json={"email": "teacher@lincoln.example.edu", "password": PASSWORD},
        headers={"Origin": origin},
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Origin" in response.json()["detail"]
    assert "mb_session" not in response.cookies


async def test_session_sign_in_from_the_services_own_origin_is_accepted(world: World) -> None:
    response = await world.client.post(
        "/api/session",
        json={"email": "teacher@lincoln.example.edu", "password": PASSWORD},
        headers={"Origin": "HTTPS://Badges.Example.EDU:443"},
    )
    assert response.status_code == 201, response.text


async def test_session_sign_in_is_rate_limited_per_address(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # litestar's limiter reads time.time(): frozen, the eleven attempts fall in one window for sure.
    import litestar.middleware.rate_limit

    monkeypatch.setattr(litestar.middleware.rate_limit, "time", lambda: 1_900_000_000.0)
    wrong = {"email": "nobody@lincoln.example.edu", "password": "not the password"}
    for attempt in range(10):
        response = await world.client.post("/api/session", json=wrong)
        assert response.status_code == 401, attempt
    eleventh = await world.client.post(
        "/api/session", json={"email": "teacher@lincoln.example.edu", "password": PASSWORD}
    )
    assert eleventh.status_code == 429
    assert eleventh.headers["content-type"].startswith("application/problem+json")
    assert eleventh.json()["code"] == "TOO_MANY_REQUESTS"
    assert eleventh.headers["RateLimit-Limit"] == "10"
    assert "mb_session" not in eleventh.cookies
    # Other routes are not limited; invitation links count separately.
    assert (await world.client.get("/api/me", headers=world.headers("teacher"))).status_code == 200
    shown = await world.client.post("/api/invitations/mbi_unknown/accept")
    assert shown.status_code == 410


async def test_language_links_keep_the_page_query(world: World) -> None:
    page = await world.client.get("/sign-in?next=/me/badges&lang=es")
    assert page.status_code == 200
    assert 'href="?next=%2Fme%2Fbadges&amp;lang=en"' in page.text
    assert 'lang="es"' in page.text


async def test_a_refused_multipart_form_is_answered_403_and_its_upload_closed(world: World) -> None:
    headers = world.headers("student")
    headers.pop("X-CSRF-Token")
    answer = await world.client.post(
        "/me/submit",
        data={"csrf_token": "not-the-token", "badge": "weld-smaw-3f"},
        files={"files": ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * 2_000_000, "image/png")},
        headers=headers,
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "CSRF token" in answer.text


async def test_sign_in_page_sets_a_secure_httponly_cookie_when_served_over_https(world: World) -> None:
    # The integration tests serve http (cookie_secure off); a deployment has it on, as Settings does.
    world.services.settings.cookie_secure = True
    page = await world.client.post(
        "/sign-in",
        data={"email": "teacher@lincoln.example.edu", "password": PASSWORD},
        headers={"Origin": "https://badges.example.edu"},
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("mb_session=mbs_")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite", "path", "max-age"} <= attributes
    api = await world.client.post(
        "/api/session", json={"email": "teacher@lincoln.example.edu", "password": PASSWORD}
    )
    assert "Secure" in api.headers["set-cookie"]


@pytest.mark.parametrize(
    "path",
    ["/", "/sign-in", "/verify", "/orgs/lincoln-hs/admin", "/me/badges", "/s/unknown-token", "/nowhere"],
)
async def test_every_answer_carries_the_strict_content_security_policy(world: World, path: str) -> None:
    from issuer.web.pages.security import CONTENT_SECURITY_POLICY

    answer = await world.client.get(path, headers=world.headers("admin"))
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"


async def test_sign_in_page_is_rate_limited_with_a_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import litestar.middleware.rate_limit

    monkeypatch.setattr(litestar.middleware.rate_limit, "time", lambda: 1_900_000_000.0)
    form = {"email": "nobody@lincoln.example.edu", "password": "not the password"}
    for attempt in range(10):
        refused = await world.client.post(
            "/sign-in", data=form, headers={"Origin": "https://badges.example.edu"}
        )
        assert refused.status_code == 401, attempt
        assert "Wrong e-mail or password." in refused.text
    limited = await world.client.post(
        "/sign-in",
        data={"email": "teacher@lincoln.example.edu", "password": PASSWORD},
        headers={"Origin": "https://badges.example.edu"},
    )
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("text/html")
    assert "Too many attempts" in limited.text
    assert "mb_session" not in limited.cookies
