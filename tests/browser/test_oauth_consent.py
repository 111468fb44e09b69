"""The Open Badges 3.0 API's consent page in a real browser: a backpack sends the learner here, they sign
in, read what it asks for, allow it, and the browser lands back at the backpack with a code, which the
backpack trades for a token and reads the learner's badges with (against the running demo service)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.browser.conftest import check_accessibility, screenshots, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

    from tests.browser.conftest import Service

SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
# A loopback redirect URI (a desktop backpack): nothing listens there, the browser's request is caught.
REDIRECT = "http://127.0.0.1:9/callback"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback test service
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_backpack_connects_through_the_consent_page(page: Page, service: Service) -> None:
    status, client = _post(
        f"{service.base_url}/oauth/register",
        json.dumps(
            {
                "client_name": "Desktop Backpack",
                "redirect_uris": [REDIRECT],
                "scope": f"{SCOPE}credential.readonly {SCOPE}profile.readonly",
            }
        ).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 201, client
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT,
        "scope": f"{SCOPE}credential.readonly",
        "state": "s-42",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    landed: list[str] = []

    def backpack(route: Route) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>Backpack</title><p>Connected</p>")

    page.route(f"{REDIRECT}*", backpack)
    page.goto(f"/oauth/authorize?{urlencode(query)}")
    assert "/sign-in" in page.url  # not signed in: the sign-in page first
    page.get_by_label("E-mail").fill("ana@students.lincoln.demo")
    page.get_by_label("Password").fill("demo-password-2026")
    page.get_by_role("button", name="Sign in").click()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Allow Desktop Backpack to use your badges?"
    assert page.get_by_text("See your badges, including those you added from elsewhere").is_visible()
    assert page.get_by_text("See your name and e-mail address").count() == 0  # not asked for this time
    check_accessibility(page)
    screenshots(page, "oauth-consent")
    page.get_by_role("button", name="Allow").click()
    # The page's CSP lets the form's answer lead to the backpack (form-action governs that redirect).
    page.wait_for_url(f"{REDIRECT}?*")
    assert len(landed) == 1
    answer = {key: values[0] for key, values in parse_qs(urlsplit(landed[0]).query).items()}
    assert answer["state"] == "s-42"

    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    status, tokens = _post(
        f"{service.base_url}/oauth/token",
        urlencode(
            {
                "grant_type": "authorization_code",
                "code": answer["code"],
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            }
        ).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
    )
    assert status == 200, tokens
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{service.base_url}/ims/ob/v3p0/credentials",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as listed:  # noqa: S310 - loopback test service
        body = json.loads(listed.read())
        assert int(listed.headers["X-Total-Count"]) == len(body["credential"]) + len(body["compactJwsString"])
    assert body["credential"] or body["compactJwsString"]  # the demo gives Ana badges


def test_denying_sends_the_backpack_access_denied(page: Page, service: Service) -> None:
    status, client = _post(
        f"{service.base_url}/oauth/register",
        json.dumps(
            {"client_name": "Nosy", "redirect_uris": [REDIRECT], "scope": f"{SCOPE}profile.readonly"}
        ).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 201
    landed: list[str] = []

    def backpack(route: Route) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, body="ok")

    page.route(f"{REDIRECT}*", backpack)
    # Signed in before the backpack sends the learner over: sign_in waits for the form's answer (going
    # on at once raced the sign-in's cookie, and the consent page asked to sign in again).
    sign_in(page, "ben@students.lincoln.demo")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"x" * 43).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT,
        "state": "s-7",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page.goto(f"/oauth/authorize?{urlencode(query)}")
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(f"{REDIRECT}?*")
    assert len(landed) == 1
    answer = parse_qs(urlsplit(landed[0]).query)
    assert answer["error"] == ["access_denied"]
    assert answer["state"] == ["s-7"]
    assert "code" not in answer
