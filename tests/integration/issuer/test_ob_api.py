"""The Open Badges 3.0 API (Host) and its OAuth 2.0 flow, end to end through the app: register, consent,
token, API calls; responses checked against the 1EdTech JSON schemas and the OB 3.0 OpenAPI description."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import select

from tests.conftest import NOW
from tests.integration.issuer.conftest import BASE_URL, PASSWORD
from tests.integration.issuer.ob_api_helpers import (
    API,
    PROFILE_READ,
    PROFILE_UPDATE,
    READ,
    REDIRECT,
    UPSERT,
    badge_from_elsewhere,
    basic,
    bearer,
    credential_errors,
    credentials_response_errors,
    give_did,
    hidden_fields,
    ob_validator,
    openapi_validator,
    pkce,
    query_of,
    register,
    schema_errors,
)

if TYPE_CHECKING:
    from litestar import Litestar

    from issuer.settings import Settings
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio


class Clock:
    """The app's clock, moved by the tests (expiry without waiting)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(name="clock")
def fx_clock() -> Clock:
    return Clock()


@pytest.fixture(name="app")
def fx_app(settings: Settings, clock: Clock) -> Litestar:
    from issuer.web import create_app

    return create_app(settings, clock=clock)


def _imsx(response: Any, status: int) -> dict[str, Any]:
    """An Imsx_StatusInfo error: the status, and a body valid under both the JSON schema and the OpenAPI."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert schema_errors(ob_validator("imsx_statusinfo"), body) == []
    assert schema_errors(openapi_validator("Imsx_StatusInfo"), body) == []
    assert body["imsx_codeMajor"] == "failure"
    return body


async def test_ob_api_discovery_is_a_valid_service_description_naming_the_registration_url(
    world: World,
) -> None:
    answer = await world.client.get(f"{API}/discovery")
    assert answer.status_code == 200
    document = answer.json()
    assert schema_errors(openapi_validator("ServiceDescriptionDocument"), document) == []
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["x-imssf-registrationUrl"] == f"{BASE_URL}/oauth/register"
    flow = scheme["flows"]["authorizationCode"]
    assert (flow["authorizationUrl"], flow["tokenUrl"]) == (
        f"{BASE_URL}/oauth/authorize",
        f"{BASE_URL}/oauth/token",
    )
    assert set(flow["scopes"]) == {READ, UPSERT, PROFILE_READ, PROFILE_UPDATE}
    # The checks can fail: a description without its security schemes is not valid.
    assert schema_errors(openapi_validator("ServiceDescriptionDocument"), {**document, "components": {}})


async def test_ob_api_end_to_end_backpack_reads_only_the_learners_badges(world: World) -> None:
    mine = [await world.issue("student"), await world.issue("student", badge="math-7rp-proportional")]
    theirs = await world.issue("student2")
    backpack = await register(world)
    tokens = await backpack.tokens()
    assert tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == {READ, UPSERT, PROFILE_READ, PROFILE_UPDATE}

    answer = await world.client.get(f"{API}/credentials", headers=bearer(tokens))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert credentials_response_errors(body) == []
    assert sorted(c["id"] for c in body["credential"]) == sorted(c.id for c in mine)
    assert theirs.id not in answer.text
    assert answer.headers["x-total-count"] == "2"
    # The signed text comes back as issued: each still verifies.
    for credential in body["credential"]:
        assert await world.verdict(json.dumps(credential)) == "valid"

    page = await world.client.get(f"{API}/credentials?limit=1&offset=1", headers=bearer(tokens))
    assert page.status_code == 200
    assert len(page.json()["credential"]) == 1
    assert page.headers["x-total-count"] == "2"
    links = page.headers["link"]
    assert 'rel="first"' in links
    assert 'rel="prev"' in links
    assert 'rel="last"' in links
    assert 'rel="next"' not in links
    later = await world.client.get(
        f"{API}/credentials",
        params={"since": (NOW + timedelta(seconds=1)).isoformat()},
        headers=bearer(tokens),
    )
    assert later.json() == {"credential": [], "compactJwsString": []}
    assert later.headers["x-total-count"] == "0"

    # The consent is in the audit log (the client and scopes, no secret).
    from issuer.db.models import AuditEvent

    async with world.services.sessions() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.action == "oauth.consent")))
            .scalars()
            .all()
        )
    assert [(e.subject_id, e.detail["client"]) for e in events] == [
        (world.person_id("student"), backpack.client_id)
    ]
    assert tokens["access_token"] not in json.dumps([e.detail for e in events])

    # Another learner connecting the same backpack sees only their own badge.
    other = await backpack.tokens(who="student2")
    seen = (await world.client.get(f"{API}/credentials", headers=bearer(other))).json()
    assert [c["id"] for c in seen["credential"]] == [theirs.id]


async def test_ob_api_issued_credentials_fit_the_ob_schema_whole(world: World) -> None:
    await world.issue("student")
    backpack = await register(world)
    tokens = await backpack.tokens(scope=READ)
    body = (await world.client.get(f"{API}/credentials", headers=bearer(tokens))).json()
    assert isinstance(body["credential"][0]["credentialStatus"], dict)  # one entry, as OB 3.0 allows
    assert schema_errors(ob_validator("getopenbadgecredentialsresponse"), body) == []
    # The check can fail: a badge of an organisation that turned suspension on has two entries.
    await world.allow_suspension()
    await world.issue("student", badge="math-7rp-proportional")
    body = (await world.client.get(f"{API}/credentials", headers=bearer(tokens))).json()
    assert schema_errors(ob_validator("getopenbadgecredentialsresponse"), body) != []
    two = [c for c in body["credential"] if isinstance(c["credentialStatus"], list)]
    assert len(two) == 1
    assert {e.split(":")[0] for e in schema_errors(ob_validator("achievementcredential"), two[0])} == {
        "credentialStatus"
    }


async def test_ob_api_jwt_only_credentials_come_as_compact_jws(world: World) -> None:
    await give_did(world, "student2")
    ldp, jwt = await badge_from_elsewhere(world, "student2")
    assert jwt is not None
    backpack = await register(world)
    tokens = await backpack.tokens(who="student2")
    pushed = await world.client.post(
        f"{API}/credentials", content=jwt, headers={**bearer(tokens), "Content-Type": "text/plain"}
    )
    assert pushed.status_code == 201, pushed.text
    assert pushed.text == jwt
    body = (await world.client.get(f"{API}/credentials", headers=bearer(tokens))).json()
    assert credentials_response_errors(body) == []
    assert body == {"credential": [], "compactJwsString": [jwt]}
    # The checks can fail: a JWS that is not compact, a credential without its issuer.
    assert credentials_response_errors({"compactJwsString": ["not a jws"]})
    broken = {key: value for key, value in json.loads(ldp).items() if key != "issuer"}
    assert credentials_response_errors({"credential": [broken]})


async def test_ob_api_consent_page_names_the_client_and_scopes_and_a_denial_goes_back(world: World) -> None:
    backpack = await register(world, name="Ana's <Backpack>")
    _, challenge = pkce()
    html = await backpack.consent_page(challenge, scope=f"{READ} {PROFILE_READ}")
    assert "Ana&#39;s &lt;Backpack&gt;" in html  # escaped
    assert "<Backpack>" not in html
    assert "See your badges" in html
    assert "See your name and e-mail address" in html
    assert "Add badges" not in html  # not asked for
    answer = await backpack.decide(html, decision="deny")
    assert answer["error"] == "access_denied"
    assert answer["state"] == "xyz"
    assert "code" not in answer


async def test_ob_api_consent_needs_a_sign_in_first(world: World) -> None:
    backpack = await register(world)
    verifier, challenge = pkce()
    asked = await world.client.get(backpack.authorize_url(challenge), follow_redirects=False)
    assert asked.status_code == 303
    sign_in_page = await world.client.get(asked.headers["location"])
    assert sign_in_page.status_code == 200
    fields = hidden_fields(sign_in_page.text)
    assert fields["next"] == backpack.authorize_url(challenge)  # back to the same request after
    origin = {"Origin": BASE_URL}
    wrong = await world.client.post(
        "/sign-in",
        data={**fields, "email": "ana@students.example.edu", "password": "not it at all"},
        headers=origin,
    )
    assert wrong.status_code == 401
    signed = await world.client.post(
        "/sign-in",
        data={**fields, "email": "ana@students.example.edu", "password": PASSWORD},
        headers=origin,
        follow_redirects=False,
    )
    assert signed.status_code == 303
    cookie = {"Cookie": f"mb_session={signed.cookies['mb_session']}"}
    consent = await world.client.get(signed.headers["location"], headers=cookie)
    assert consent.status_code == 200
    assert "Allow Open Backpack to use your badges?" in consent.text
    # The answer goes to the application: the page's CSP lets the form lead there, and nowhere else.
    assert "form-action 'self' https://backpack.example.org;" in consent.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in consent.headers["content-security-policy"]
    # A consent form without the session's CSRF token is refused.
    forged = await world.client.post(
        "/oauth/authorize",
        data={**hidden_fields(consent.text), "csrf_token": "forged", "decision": "approve"},
        headers={**cookie, **origin},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert "location" not in forged.headers
    answer = await world.client.post(
        "/oauth/authorize",
        data={**hidden_fields(consent.text), "decision": "approve"},
        headers={**cookie, **origin},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    code = query_of(answer.headers["location"])["code"]
    assert (await backpack.exchange(code, verifier)).status_code == 200


async def test_ob_api_an_organisation_restricted_sign_in_cannot_consent(world: World) -> None:
    from issuer.services.people import open_session_for

    async with world.services.sessions() as session:
        token, web_session = await open_session_for(
            session,
            person=world.people["student"],
            now=NOW,
            organisation_id=world.organisations["lincoln-hs"].id,
        )
    headers = {"Cookie": f"mb_session={token}"}
    backpack = await register(world)
    _, challenge = pkce()
    page = await world.client.get(backpack.authorize_url(challenge), headers=headers)
    assert page.status_code == 403
    assert "your own password" in page.text
    decided = await world.client.post(
        "/oauth/authorize",
        data={
            "csrf_token": web_session.csrf_token,
            "client_id": backpack.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "decision": "approve",
        },
        headers=headers,
        follow_redirects=False,
    )
    assert decided.status_code == 403
    assert "location" not in decided.headers


async def test_ob_api_wrong_pkce_verifier_is_refused_and_spends_the_code(world: World) -> None:
    backpack = await register(world)
    code, verifier = await backpack.code()
    wrong_verifier, _ = pkce()
    refused = await backpack.exchange(code, wrong_verifier)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert "code_verifier" in refused.json()["error_description"]
    # The code was spent by that attempt: the right verifier comes too late.
    assert (await backpack.exchange(code, verifier)).json()["error"] == "invalid_grant"


async def test_ob_api_replayed_code_is_refused_and_revokes_its_tokens(world: World) -> None:
    backpack = await register(world)
    code, verifier = await backpack.code()
    first = await backpack.exchange(code, verifier)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    tokens = first.json()
    assert (await world.client.get(f"{API}/profile", headers=bearer(tokens))).status_code == 200
    replay = await backpack.exchange(code, verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    _imsx(await world.client.get(f"{API}/profile", headers=bearer(tokens)), 401)


async def test_ob_api_token_request_checks_the_client_and_the_redirect_uri(world: World) -> None:
    backpack = await register(world)
    other = await register(world, name="Another backpack")
    code, verifier = await backpack.code()
    wrong_secret = await world.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        headers=basic(backpack.client_id, "mbcs_not-the-secret"),
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    no_auth = await world.client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code})
    assert no_auth.json()["error"] == "invalid_client"
    stolen = await world.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        headers=other.auth,
    )
    assert stolen.json()["error"] == "invalid_grant"
    code, verifier = await backpack.code()
    elsewhere = await backpack.exchange(code, verifier, redirect_uri="https://backpack.example.org/other")
    assert elsewhere.json()["error"] == "invalid_grant"
    unsupported = await world.client.post(
        "/oauth/token", data={"grant_type": "password"}, headers=backpack.auth
    )
    assert unsupported.json()["error"] == "unsupported_grant_type"


async def test_ob_api_missing_scope_is_403(world: World) -> None:
    backpack = await register(world)
    tokens = await backpack.tokens(scope=PROFILE_READ)
    assert tokens["scope"] == PROFILE_READ
    assert (await world.client.get(f"{API}/profile", headers=bearer(tokens))).status_code == 200
    body = _imsx(await world.client.get(f"{API}/credentials", headers=bearer(tokens)), 403)
    assert "credential.readonly" in body["imsx_description"]
    _imsx(await world.client.put(f"{API}/profile", json={"name": "X"}, headers=bearer(tokens)), 403)
    _imsx(
        await world.client.post(f"{API}/credentials", json={}, headers=bearer(tokens)),
        403,
    )
    # A client cannot ask for more than it registered.
    narrow = await register(world, scopes=(READ,))
    _, challenge = pkce()
    refused = await world.client.get(
        narrow.authorize_url(challenge, scope=f"{READ} {UPSERT}"),
        headers=world.headers("student"),
        follow_redirects=False,
    )
    assert refused.status_code == 303
    assert query_of(refused.headers["location"])["error"] == "invalid_scope"


async def test_ob_api_expired_token_is_401_and_a_refresh_gives_a_new_one(world: World, clock: Clock) -> None:
    backpack = await register(world)
    tokens = await backpack.tokens()
    clock.now = NOW + timedelta(hours=2)
    response = await world.client.get(f"{API}/credentials", headers=bearer(tokens))
    _imsx(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    refreshed = await world.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=backpack.auth,
    )
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()
    assert (await world.client.get(f"{API}/credentials", headers=bearer(fresh))).status_code == 200
    # The refresh token is rotated: the old one is spent.
    again = await world.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=backpack.auth,
    )
    assert again.json()["error"] == "invalid_grant"


async def test_ob_api_expired_code_is_refused(world: World, clock: Clock) -> None:
    backpack = await register(world)
    code, verifier = await backpack.code()
    clock.now = NOW + timedelta(minutes=3)
    answer = await backpack.exchange(code, verifier)
    assert answer.json()["error"] == "invalid_grant"
    assert "expired" in answer.json()["error_description"]


async def test_ob_api_unknown_token_session_cookie_and_api_token_are_401(world: World) -> None:
    _imsx(await world.client.get(f"{API}/credentials"), 401)
    _imsx(await world.client.get(f"{API}/credentials", headers={"Authorization": "Bearer mboat_nope"}), 401)
    # A browser session is not an OAuth token.
    _imsx(await world.client.get(f"{API}/credentials", headers=world.headers("student")), 401)
    created = await world.client.post(
        "/api/tokens", json={"name": "script", "scopes": ["record:read"]}, headers=world.headers("student")
    )
    api_token = created.json()["token"]
    _imsx(await world.client.get(f"{API}/credentials", headers={"Authorization": f"Bearer {api_token}"}), 401)


async def test_ob_api_revoked_token_stops_working(world: World) -> None:
    backpack = await register(world)
    tokens = await backpack.tokens()
    revoked = await world.client.post(
        "/oauth/revoke", data={"token": tokens["access_token"]}, headers=backpack.auth
    )
    assert revoked.status_code == 200
    _imsx(await world.client.get(f"{API}/profile", headers=bearer(tokens)), 401)
    refresh = await world.client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=backpack.auth,
    )
    assert refresh.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("change", "error", "named"),
    [
        ({"redirect_uris": ["http://backpack.example.org/cb"]}, "invalid_redirect_uri", "loopback"),
        ({"redirect_uris": ["https://backpack.example.org/cb#frag"]}, "invalid_redirect_uri", "fragment"),
        ({"redirect_uris": []}, "invalid_redirect_uri", "redirect_uris"),
        ({"client_name": ""}, "invalid_client_metadata", "client_name"),
        ({"scope": "openid profile"}, "invalid_client_metadata", "scope"),
        (
            {"token_endpoint_auth_method": "client_secret_post"},
            "invalid_client_metadata",
            "token_endpoint_auth_method",
        ),
        ({"grant_types": ["client_credentials"]}, "invalid_client_metadata", "grant_types"),
        ({"client_uri": "http://backpack.example.org"}, "invalid_client_metadata", "client_uri"),
        # Not URLs at all (urlsplit refuses a broken IPv6 host, a port that is not a number).
        ({"redirect_uris": ["https://[::1/cb"]}, "invalid_redirect_uri", "not a URL"),
        ({"redirect_uris": ["https://backpack.example.org:port/cb"]}, "invalid_redirect_uri", "not a URL"),
        ({"client_uri": "https://[::1"}, "invalid_client_metadata", "client_uri"),
        ({"logo_uri": "https://[::1/logo.png"}, "invalid_client_metadata", "logo_uri"),
        ({"policy_uri": "https://x.example:99999/"}, "invalid_client_metadata", "policy_uri"),
    ],
)
async def test_ob_api_malformed_registration_is_refused_naming_the_field(
    world: World, change: dict[str, Any], error: str, named: str
) -> None:
    metadata = {
        "client_name": "Backpack",
        "client_uri": "https://backpack.example.org",
        "redirect_uris": [REDIRECT],
        "scope": READ,
        **change,
    }
    answer = await world.client.post("/oauth/register", json=metadata)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == error
    assert named in answer.json()["error_description"]
    from issuer.db.models import OAuthClient

    async with world.services.sessions() as session:  # nothing registered
        assert (await session.execute(select(OAuthClient))).scalars().all() == []


async def test_ob_api_registration_takes_loopback_http_and_refuses_non_json(world: World) -> None:
    loopback = await world.client.post(
        "/oauth/register",
        json={"client_name": "Desktop", "redirect_uris": ["http://127.0.0.1:8123/cb"], "scope": READ},
    )
    assert loopback.status_code == 201, loopback.text
    assert loopback.json()["client_secret"].startswith("mbcs_")
    not_json = await world.client.post(
        "/oauth/register", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert (not_json.status_code, not_json.json()["error"]) == (400, "invalid_client_metadata")


async def test_ob_api_bad_authorization_requests(world: World) -> None:
    backpack = await register(world)
    _, challenge = pkce()
    student = world.headers("student")
    # An unknown redirect URI is shown to the learner, never redirected to.
    bad_redirect = await world.client.get(
        backpack.authorize_url(challenge).replace("backpack.example.org%2Fcallback", "evil.example.com%2Fcb"),
        headers=student,
        follow_redirects=False,
    )
    assert bad_redirect.status_code == 400
    assert "location" not in bad_redirect.headers
    assert "redirect_uri" in bad_redirect.text
    unknown_client = await world.client.get(
        "/oauth/authorize?client_id=nobody&response_type=code", headers=student
    )
    assert unknown_client.status_code == 400
    # Without PKCE: back to the client with invalid_request.
    no_pkce = await world.client.get(
        backpack.authorize_url(challenge).replace(
            "code_challenge_method=S256", "code_challenge_method=plain"
        ),
        headers=student,
        follow_redirects=False,
    )
    assert no_pkce.status_code == 303
    assert query_of(no_pkce.headers["location"])["error"] == "invalid_request"


async def test_ob_api_profile_read_and_update(world: World) -> None:
    backpack = await register(world)
    tokens = await backpack.tokens()
    profile = (await world.client.get(f"{API}/profile", headers=bearer(tokens))).json()
    assert schema_errors(ob_validator("profile"), profile) == []
    assert schema_errors(openapi_validator("Profile"), profile) == []
    assert profile["email"] == "ana@students.example.edu"
    updated = await world.client.put(
        f"{API}/profile", json={**profile, "name": "Ana María"}, headers=bearer(tokens)
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Ana María"
    assert schema_errors(ob_validator("profile"), updated.json()) == []
    me = await world.client.get("/api/me", headers=world.headers("student"))
    assert me.json()["displayName"] == "Ana María"
    body = _imsx(
        await world.client.put(
            f"{API}/profile", json={**profile, "email": "x@example.org"}, headers=bearer(tokens)
        ),
        400,
    )
    assert "email" in body["imsx_description"]
    _imsx(
        await world.client.put(f"{API}/profile", json={**profile, "phone": "555"}, headers=bearer(tokens)),
        400,
    )
    _imsx(
        await world.client.put(f"{API}/profile", json={**profile, "name": " "}, headers=bearer(tokens)), 400
    )


async def test_ob_api_upsert_verifies_stores_and_replaces(world: World) -> None:
    ldp, _ = await badge_from_elsewhere(world)
    backpack = await register(world)
    tokens = await backpack.tokens()
    headers = {**bearer(tokens), "Content-Type": "application/json"}
    created = await world.client.post(f"{API}/credentials", content=ldp, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json() == json.loads(ldp)
    assert credential_errors(created.json()) == []
    replaced = await world.client.post(f"{API}/credentials", content=ldp, headers=headers)
    assert replaced.status_code == 200
    listed = (await world.client.get(f"{API}/credentials", headers=bearer(tokens))).json()
    assert [c["id"] for c in listed["credential"]] == [json.loads(ldp)["id"]]

    tampered = json.loads(ldp)
    tampered["credentialSubject"]["result"] = [{"type": ["Result"], "value": "4"}]
    body = _imsx(
        await world.client.post(f"{API}/credentials", content=json.dumps(tampered), headers=headers), 400
    )
    assert "proof" in body["imsx_description"]
    assert "INVALID_SIGNATURE" in body["imsx_description"]
    _imsx(
        await world.client.post(
            f"{API}/credentials",
            content=b"<xml/>",
            headers={**bearer(tokens), "Content-Type": "application/xml"},
        ),
        415,
    )
    _imsx(await world.client.post(f"{API}/credentials", content=b"{not json", headers=headers), 400)


async def test_ob_api_upsert_refuses_another_learners_badge(world: World) -> None:
    ldp, _ = await badge_from_elsewhere(world, "student2")
    backpack = await register(world)
    tokens = await backpack.tokens()
    body = _imsx(
        await world.client.post(
            f"{API}/credentials", content=ldp, headers={**bearer(tokens), "Content-Type": "application/json"}
        ),
        400,
    )
    assert "RECIPIENT_MISMATCH" in body["imsx_description"]


async def test_ob_api_registration_is_rate_limited_per_address(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import litestar.middleware.rate_limit

    monkeypatch.setattr(litestar.middleware.rate_limit, "time", lambda: 1_900_000_000.0)
    metadata = {"client_name": "Backpack", "redirect_uris": [REDIRECT], "scope": READ}
    for attempt in range(10):
        assert (await world.client.post("/oauth/register", json=metadata)).status_code == 201, attempt
    limited = await world.client.post("/oauth/register", json=metadata)
    assert limited.status_code == 429
