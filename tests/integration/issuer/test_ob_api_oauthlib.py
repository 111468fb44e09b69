"""The OAuth 2.0 flow driven by an independent client implementation, oauthlib (PyPI): it builds the
authorization request and the PKCE S256 challenge, reads the redirect, prepares the token requests and
parses our token and error responses by RFC 6749 / RFC 7636 as it understands them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from oauthlib.oauth2 import WebApplicationClient
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError

from tests.integration.issuer.conftest import BASE_URL
from tests.integration.issuer.ob_api_helpers import (
    API,
    PROFILE_READ,
    READ,
    REDIRECT,
    credentials_response_errors,
    hidden_fields,
    register,
)

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_ob_api_oauthlib_client_runs_the_whole_flow(world: World) -> None:
    issued = await world.issue("student")
    backpack = await register(world)
    client = WebApplicationClient(backpack.client_id, code_challenge_method="S256")
    verifier = client.create_code_verifier(64)
    challenge = client.create_code_challenge(verifier, "S256")
    url = client.prepare_request_uri(
        f"{BASE_URL}/oauth/authorize",
        redirect_uri=REDIRECT,
        scope=[READ, PROFILE_READ],
        state="state-from-oauthlib",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    consent = await world.client.get(url, headers=world.headers("student"))
    assert consent.status_code == 200, consent.text
    decided = await world.client.post(
        "/oauth/authorize",
        data={**hidden_fields(consent.text), "decision": "approve"},
        headers=world.headers("student"),
        follow_redirects=False,
    )
    assert decided.status_code == 303
    code = client.parse_request_uri_response(decided.headers["location"], state="state-from-oauthlib")["code"]

    body = client.prepare_request_body(
        code=code, redirect_uri=REDIRECT, code_verifier=verifier, include_client_id=False
    )
    answer = await world.client.post("/oauth/token", content=body, headers={**FORM, **backpack.auth})
    assert answer.status_code == 200, answer.text
    token = client.parse_request_body_response(answer.text, scope=[READ, PROFILE_READ])
    assert token["token_type"] == "Bearer"
    assert set(token["scope"]) == {READ, PROFILE_READ}

    uri, headers, _ = client.add_token(f"{BASE_URL}{API}/credentials")
    listed = await world.client.get(uri, headers=headers)
    assert listed.status_code == 200, listed.text
    assert credentials_response_errors(listed.json()) == []
    assert [c["id"] for c in listed.json()["credential"]] == [issued.id]

    refresh = client.prepare_refresh_body(refresh_token=token["refresh_token"])
    renewed = await world.client.post("/oauth/token", content=refresh, headers={**FORM, **backpack.auth})
    assert renewed.status_code == 200, renewed.text
    client.parse_request_body_response(renewed.text, scope=[READ, PROFILE_READ])
    uri, headers, _ = client.add_token(f"{BASE_URL}{API}/profile")
    profile = await world.client.get(uri, headers=headers)
    assert profile.status_code == 200
    assert json.loads(profile.text)["email"] == "ana@students.example.edu"

    # The spent code again: oauthlib reads our error response as the RFC's invalid_grant.
    replay = await world.client.post("/oauth/token", content=body, headers={**FORM, **backpack.auth})
    with pytest.raises(InvalidGrantError):
        client.parse_request_body_response(replay.text)
