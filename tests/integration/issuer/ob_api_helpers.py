"""Helpers for the Open Badges 3.0 API tests: a backpack that registers, asks consent and gets tokens
through the app, the 1EdTech schemas and the OpenAPI description as validators, and badges from
"elsewhere" (signed by another organisation of the test service, whose record this service does not hold)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jsonschema
from sqlalchemy import delete

from tests.conftest import SPEC

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

OB_SCHEMAS = SPEC / "schemas" / "ob"
OPENAPI = SPEC / "openapi" / "ob_v3p0_openapi.preview-2024-07.json"
SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
READ, UPSERT, PROFILE_READ, PROFILE_UPDATE = (
    SCOPE + name
    for name in ("credential.readonly", "credential.upsert", "profile.readonly", "profile.update")
)
ALL_SCOPES = (READ, UPSERT, PROFILE_READ, PROFILE_UPDATE)
REDIRECT = "https://backpack.example.org/callback"
API = "/ims/ob/v3p0"


@cache
def ob_validator(name: str) -> jsonschema.protocols.Validator:
    """A validator for one of the 1EdTech OB 3.0 JSON schemas (``ob_v3p0_<name>_schema.json``)."""
    schema = json.loads((OB_SCHEMAS / f"ob_v3p0_{name}_schema.json").read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


@cache
def openapi_validator(component: str) -> jsonschema.protocols.Validator:
    """A validator for ``#/components/schemas/<component>`` of the OB 3.0 OpenAPI description (its schemas
    are OpenAPI 3.0 Schema Objects, a JSON Schema draft 4 dialect; references resolve inside the file)."""
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    schema = {**document, "$ref": f"#/components/schemas/{component}"}
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def schema_errors(validator: jsonschema.protocols.Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def credential_errors(credential: dict[str, Any]) -> list[str]:
    """Errors of one credential, whole, under the 1EdTech AchievementCredential schema and the OpenAPI's."""
    errors = schema_errors(ob_validator("achievementcredential"), credential)
    errors += schema_errors(openapi_validator("AchievementCredential"), credential)
    return errors


def credentials_response_errors(body: dict[str, Any]) -> list[str]:
    """Errors of a getCredentials body, whole, under the 1EdTech response schema and the OpenAPI's,
    and of each credential in it (:func:`credential_errors`)."""
    errors = schema_errors(ob_validator("getopenbadgecredentialsresponse"), body)
    errors += schema_errors(openapi_validator("GetOpenBadgeCredentialsResponse"), body)
    for credential in body.get("credential", []):
        errors += credential_errors(credential)
    return errors


def pkce() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page's form, as the browser would send them (entities decoded)."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in found}


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@dataclass
class Backpack:
    """A registered client, driving the flow as a backpack and a learner's browser would."""

    world: World
    client_id: str
    secret: str

    @property
    def auth(self) -> dict[str, str]:
        return basic(self.client_id, self.secret)

    def authorize_url(self, challenge: str, *, scope: str | None = None, state: str = "xyz") -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": state,
        }
        if scope is not None:
            params["scope"] = scope
        return "/oauth/authorize?" + urlencode(params)

    async def consent_page(self, challenge: str, *, who: str = "student", scope: str | None = None) -> str:
        page = await self.world.client.get(
            self.authorize_url(challenge, scope=scope), headers=self.world.headers(who)
        )
        assert page.status_code == 200, page.text
        return page.text

    async def decide(self, html: str, *, who: str = "student", decision: str = "approve") -> dict[str, str]:
        """Submit the consent form; returns the query the browser is redirected to."""
        answer = await self.world.client.post(
            "/oauth/authorize",
            data={**hidden_fields(html), "decision": decision},
            headers={**self.world.headers(who), "Origin": "https://badges.example.edu"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        assert location.startswith(REDIRECT + "?")
        return query_of(location)

    async def code(self, *, who: str = "student", scope: str | None = None) -> tuple[str, str]:
        """A fresh authorization code after the learner approved, and its PKCE verifier."""
        verifier, challenge = pkce()
        answer = await self.decide(await self.consent_page(challenge, who=who, scope=scope), who=who)
        assert answer["state"] == "xyz"
        return answer["code"], verifier

    async def exchange(self, code: str, verifier: str, *, redirect_uri: str = REDIRECT) -> Any:
        return await self.world.client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            headers=self.auth,
        )

    async def tokens(self, *, who: str = "student", scope: str | None = None) -> dict[str, Any]:
        code, verifier = await self.code(who=who, scope=scope)
        answer = await self.exchange(code, verifier)
        assert answer.status_code == 200, answer.text
        tokens: dict[str, Any] = answer.json()
        return tokens


async def register(
    world: World, *, scopes: tuple[str, ...] = ALL_SCOPES, name: str = "Open Backpack"
) -> Backpack:
    answer = await world.client.post(
        "/oauth/register",
        json={
            "client_name": name,
            "client_uri": "https://backpack.example.org",
            "redirect_uris": [REDIRECT],
            "scope": " ".join(scopes),
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return Backpack(world, body["client_id"], body["client_secret"])


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def give_did(
    world: World, who: str, did: str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
) -> None:
    async with world.services.sessions() as session:
        person = await session.merge(world.people[who])
        person.did = did
        await session.commit()
        world.people[who] = person


async def badge_from_elsewhere(
    world: World, who: str = "student", *, badge: str = "weld-smaw-3f"
) -> tuple[str, str | None]:
    """A badge Riverside High signed for this learner, whose record this service does not hold: the
    credential row is removed (its status list stays published). Returns (JSON-LD text, VC-JWT or None)."""
    from issuer.db.models import Credential

    credential = await world.issue(who, badge=badge, org="riverside-hs", attester="other_teacher")
    async with world.services.sessions() as session:
        await session.execute(delete(Credential).where(Credential.id == credential.id))  # type: ignore[arg-type]
        await session.commit()
    assert credential.ldp is not None
    return credential.ldp, credential.jwt
