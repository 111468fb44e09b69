"""Wallet offers and the OpenID4VCI 1.0 pre-authorized code flow, through the app on SQLite and
PostgreSQL: metadata, offer by reference, token (with and without a PIN), nonce, credential with a
proof of possession, the DID binding, the shared status, and every refusal leaving nothing issued.

The wallet here is written with pyjwt and an Ed25519 key; a real OpenID4VCI client library drives the
same flow against a running server in tests/wallet/test_wallet_clients.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import func, select

from keys.encoding import did_key_from_public_key, public_key_to_jwk
from tests.conftest import NOW
from tests.integration.issuer.conftest import BASE_URL

if TYPE_CHECKING:
    from httpx import Response

    from issuer.db.models import Credential
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

ISSUER = f"{BASE_URL}/orgs/lincoln-hs"
LDP = "OpenBadgeCredential_ldp_vc"
JWT = "OpenBadgeCredential_jwt_vc_json"
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


class Wallet:
    """A wallet's key (Ed25519 or P-256) and the proofs of possession it signs."""

    def __init__(self, curve: str = "Ed25519") -> None:
        self.key: Any = (
            Ed25519PrivateKey.generate() if curve == "Ed25519" else ec.generate_private_key(ec.SECP256R1())
        )
        self.alg = "EdDSA" if curve == "Ed25519" else "ES256"
        self.did = did_key_from_public_key(self.key.public_key())

    def proof(
        self,
        nonce: str | None,
        *,
        aud: str = ISSUER,
        iat: float | None = None,
        by: str = "jwk",
        signing_key: Any = None,
        typ: str = "openid4vci-proof+jwt",
    ) -> str:
        header: dict[str, Any] = {"typ": typ}
        if by == "jwk":
            header["jwk"] = public_key_to_jwk(self.key.public_key())
        else:
            header["kid"] = f"{self.did}#{self.did.removeprefix('did:key:')}"
        claims: dict[str, Any] = {"aud": aud, "iat": int(NOW.timestamp()) if iat is None else int(iat)}
        if nonce is not None:
            claims["nonce"] = nonce
        return jwt.encode(claims, signing_key or self.key, algorithm=self.alg, headers=header)


def _unsigned_jwt(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWS with ``alg: none`` and no signature (what an attacker would send)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def _path(url: str) -> str:
    assert url.startswith(BASE_URL + "/"), url
    return url.removeprefix(BASE_URL)


async def _offer(
    world: World, credential: Credential, *, who: str = "student", tx_code: bool = False
) -> dict[str, Any]:
    path = (
        f"/api/me/credentials/{credential.id}/wallet-offers"
        if who == "student"
        else f"/api/orgs/lincoln-hs/credentials/{credential.id}/wallet-offers"
    )
    response = await world.client.post(path, json={"txCode": tx_code}, headers=world.headers(who))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _resolved_offer(world: World, offer: dict[str, Any]) -> dict[str, Any]:
    uri = urlsplit(offer["oid4vciUri"])
    assert uri.scheme == "openid-credential-offer"
    (reference,) = parse_qs(uri.query)["credential_offer_uri"]
    response = await world.client.get(_path(reference))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return dict(response.json())


async def _token(world: World, code: str, tx_code: str | None = None, **extra: str) -> Response:
    form = {"grant_type": GRANT, "pre-authorized_code": code, **extra}
    if tx_code is not None:
        form["tx_code"] = tx_code
    return await world.client.post("/orgs/lincoln-hs/oid4vci/token", data=form)


async def _nonce(world: World) -> str:
    response = await world.client.post("/orgs/lincoln-hs/oid4vci/nonce")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return str(response.json()["c_nonce"])


async def _credential(world: World, access_token: str | None, body: Any) -> Response:
    headers = {} if access_token is None else {"Authorization": f"Bearer {access_token}"}
    return await world.client.post("/orgs/lincoln-hs/oid4vci/credential", json=body, headers=headers)


async def _access_token(world: World, credential: Credential) -> str:
    offer = await _resolved_offer(world, await _offer(world, credential))
    token = await _token(world, offer["grants"][GRANT]["pre-authorized_code"])
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


async def _deliveries(world: World) -> int:
    from issuer.db.models import WalletDelivery

    async with world.services.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(WalletDelivery))).scalar_one())


def _oauth_error(response: Response, error: str, status: int = 400) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    assert response.headers["cache-control"] == "no-store"
    return str(body["error_description"])


# --------------------------------------------------------------------------------------------------
# metadata
# --------------------------------------------------------------------------------------------------


async def test_oid4vci_metadata_is_served_with_the_well_known_inserted_before_the_path(world: World) -> None:
    response = await world.client.get("/.well-known/openid-credential-issuer/orgs/lincoln-hs")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["credential_issuer"] == ISSUER
    assert metadata["credential_endpoint"] == f"{ISSUER}/oid4vci/credential"
    assert metadata["nonce_endpoint"] == f"{ISSUER}/oid4vci/nonce"
    configurations = metadata["credential_configurations_supported"]
    assert configurations[LDP]["format"] == "ldp_vc"
    assert configurations[LDP]["credential_definition"]["type"] == [
        "VerifiableCredential",
        "OpenBadgeCredential",
    ]
    assert configurations[JWT]["format"] == "jwt_vc_json"
    assert configurations[JWT]["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
        "EdDSA",
        "ES256",
    ]
    appended = await world.client.get("/orgs/lincoln-hs/.well-known/openid-credential-issuer")
    assert appended.json() == metadata
    server = (await world.client.get("/.well-known/oauth-authorization-server/orgs/lincoln-hs")).json()
    assert server["issuer"] == ISSUER
    assert server["token_endpoint"] == f"{ISSUER}/oid4vci/token"
    unknown = await world.client.get("/.well-known/openid-credential-issuer/orgs/nowhere")
    assert unknown.status_code == 404


# --------------------------------------------------------------------------------------------------
# the whole flow
# --------------------------------------------------------------------------------------------------


async def test_oid4vci_pre_authorized_flow_delivers_a_copy_bound_to_the_wallet_did(world: World) -> None:
    from issuer.db.models import AuditEvent, WalletDelivery, WalletOfferRow

    original = await world.issue("student")
    offer = await _offer(world, original)
    assert offer["txCode"] is None
    assert offer["qrSvg"].lstrip().startswith("<?xml")
    assert "<svg" in offer["qrSvg"]
    assert offer["dccRequestUri"].startswith("dccrequest://request?request=")
    assert offer["lcwUrl"].startswith("https://lcw.app/request?request=")
    resolved = await _resolved_offer(world, offer)
    assert resolved["credential_issuer"] == ISSUER
    assert resolved["credential_configuration_ids"] == [LDP, JWT]
    assert "tx_code" not in resolved["grants"][GRANT]
    token = await _token(world, resolved["grants"][GRANT]["pre-authorized_code"])
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "Bearer"
    wallet = Wallet()
    issued = await _credential(
        world,
        token.json()["access_token"],
        {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(await _nonce(world))]}},
    )
    assert issued.status_code == 200, issued.text
    (entry,) = issued.json()["credentials"]
    copy = entry["credential"]
    first = json.loads(original.ldp or "")
    assert copy["credentialSubject"]["id"] == wallet.did
    assert (
        copy["credentialSubject"]["identifier"] == first["credentialSubject"]["identifier"]
    )  # hashed e-mail kept
    assert (
        copy["credentialStatus"] == first["credentialStatus"]
    )  # the original's entries: one status for both
    assert copy["id"] != first["id"]
    assert copy["issuer"] == first["issuer"]
    report = await world.verify(json.dumps(copy))
    assert report.verdict == "valid", report.to_json()
    async with world.services.sessions() as session:
        delivery = (await session.execute(select(WalletDelivery))).scalar_one()
        stored = await session.get(WalletOfferRow, delivery.offer_id)
        actions = (
            (await session.execute(select(AuditEvent.action).where(AuditEvent.subject_id == original.id)))
            .scalars()
            .all()
        )
    assert (delivery.holder_did, delivery.protocol, delivery.format) == (wallet.did, "oid4vci", "ldp_vc")
    assert json.loads(delivery.text) == copy  # what was handed out, verbatim
    assert stored is not None
    assert stored.state == "delivered"
    assert {"wallet.offer", "wallet.deliver"} <= set(actions)
    # Revoking the original revokes the wallet's copy too: they share the status entry.
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{original.id}/revoke",
        json={"reason": "test"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200, revoked.text
    after = await world.verify(json.dumps(copy))
    assert after.verdict == "invalid"
    assert "REVOKED" in {check.code for check in after.checks}


async def test_oid4vci_jwt_vc_json_with_a_pin_and_a_kid_proof_from_a_teacher_offer(world: World) -> None:
    original = await world.issue("student")
    offer = await _offer(world, original, who="teacher", tx_code=True)
    pin = offer["txCode"]
    assert isinstance(pin, str)
    assert len(pin) == 6
    assert pin.isdigit()
    resolved = await _resolved_offer(world, offer)
    assert resolved["grants"][GRANT]["tx_code"]["length"] == 6
    token = await _token(world, resolved["grants"][GRANT]["pre-authorized_code"], pin)
    assert token.status_code == 200, token.text
    wallet = Wallet("P-256")
    issued = await _credential(
        world,
        token.json()["access_token"],
        {
            "credential_configuration_id": JWT,
            "proofs": {"jwt": [wallet.proof(await _nonce(world), by="kid")]},
        },
    )
    assert issued.status_code == 200, issued.text
    token_text = issued.json()["credentials"][0]["credential"]
    assert isinstance(token_text, str)
    assert token_text.count(".") == 2
    assert jwt.decode(token_text, options={"verify_signature": False})["sub"] == wallet.did
    report = await world.verify(token_text)
    assert report.verdict == "valid", report.to_json()


# --------------------------------------------------------------------------------------------------
# who may make an offer
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "route", "status"),
    [
        ("student2", "me", 404),  # another learner: not theirs (not found, like an unknown id)
        ("other_student", "me", 404),
        ("teacher", "me", 404),  # staff use the organisation's route
        ("supervisor", "org", 403),
        ("other_teacher", "org", 403),
        ("student", "org", 403),
        (None, "me", 401),
    ],
)
async def test_wallet_offer_is_refused_to_others(
    world: World, who: str | None, route: str, status: int
) -> None:
    credential = await world.issue("student")
    path = (
        f"/api/me/credentials/{credential.id}/wallet-offers"
        if route == "me"
        else f"/api/orgs/lincoln-hs/credentials/{credential.id}/wallet-offers"
    )
    response = await world.client.post(path, json={}, headers=world.headers(who))
    assert response.status_code == status, response.text


async def test_wallet_offer_of_another_schools_badge_through_ones_own_path_is_not_found(world: World) -> None:
    credential = await world.issue("student")
    response = await world.client.post(
        f"/api/orgs/riverside-hs/credentials/{credential.id}/wallet-offers",
        json={},
        headers=world.headers("other_admin"),
    )
    assert response.status_code == 404


async def test_wallet_offer_of_a_revoked_badge_is_refused(world: World) -> None:
    credential = await world.issue("student")
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{credential.id}/revoke",
        json={"reason": "x"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200
    response = await world.client.post(
        f"/api/me/credentials/{credential.id}/wallet-offers", json={}, headers=world.headers("student")
    )
    assert response.status_code == 409
    assert response.json()["code"] == "INVALID_STATE"
    assert "revoked" in response.json()["detail"]


async def test_wallet_offer_body_is_optional_and_checked(world: World) -> None:
    credential = await world.issue("student")
    path = f"/api/me/credentials/{credential.id}/wallet-offers"
    assert (await world.client.post(path, headers=world.headers("student"))).status_code == 201
    wrong = await world.client.post(
        path, json={"txCode": "yes please", "pin": 1}, headers=world.headers("student")
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "VALIDATION_ERROR"


# --------------------------------------------------------------------------------------------------
# refusals: clear errors, nothing issued
# --------------------------------------------------------------------------------------------------


async def test_oid4vci_replayed_code_and_replayed_access_token_are_refused(world: World) -> None:
    credential = await world.issue("student")
    resolved = await _resolved_offer(world, (offer := await _offer(world, credential)))
    code = resolved["grants"][GRANT]["pre-authorized_code"]
    first = await _token(world, code)
    assert first.status_code == 200
    assert "used" in _oauth_error(await _token(world, code), "invalid_grant")
    # The offer itself is used up: its link answers 410, and the DCC exchange of the same offer too.
    (reference,) = parse_qs(urlsplit(offer["oid4vciUri"]).query)["credential_offer_uri"]
    gone = await world.client.get(_path(reference))
    assert (gone.status_code, gone.json()["code"]) == (410, "WALLET_OFFER_INVALID")
    wallet = Wallet()
    access = first.json()["access_token"]
    body = {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(await _nonce(world))]}}
    assert (await _credential(world, access, body)).status_code == 200
    body = {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(await _nonce(world))]}}
    again = await _credential(world, access, body)
    _oauth_error(again, "invalid_token", 401)
    assert again.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert await _deliveries(world) == 1


async def test_oid4vci_wrong_or_missing_pin_is_refused_and_burns_the_offer_after_five(world: World) -> None:
    credential = await world.issue("student")
    offer = await _offer(world, credential, tx_code=True)
    code = (await _resolved_offer(world, offer))["grants"][GRANT]["pre-authorized_code"]
    assert "tx_code is missing" in _oauth_error(await _token(world, code), "invalid_request")
    wrong = "000000" if offer["txCode"] != "000000" else "111111"
    for _ in range(4):
        assert _oauth_error(await _token(world, code, wrong), "invalid_grant") == "wrong transaction code"
    assert "too many times" in _oauth_error(await _token(world, code, wrong), "invalid_grant")
    # Burnt: even the right PIN no longer works.
    _oauth_error(await _token(world, code, offer["txCode"]), "invalid_grant")
    assert await _deliveries(world) == 0


async def test_oid4vci_token_request_errors_are_oauth_errors(world: World) -> None:
    credential = await world.issue("student")
    code = (await _resolved_offer(world, await _offer(world, credential)))["grants"][GRANT][
        "pre-authorized_code"
    ]
    token_url = "/orgs/lincoln-hs/oid4vci/token"
    _oauth_error(await world.client.post(token_url, data={"pre-authorized_code": code}), "invalid_request")
    _oauth_error(
        await world.client.post(token_url, data={"grant_type": "authorization_code", "code": code}),
        "unsupported_grant_type",
    )
    _oauth_error(
        await world.client.post(token_url, json={"grant_type": GRANT, "pre-authorized_code": code}),
        "invalid_request",
    )
    _oauth_error(await _token(world, "not-a-code"), "invalid_grant")
    assert "do not send tx_code" in _oauth_error(await _token(world, code, "123456"), "invalid_request")
    repeated = await world.client.post(
        token_url,
        content=f"grant_type={GRANT}&pre-authorized_code={code}&pre-authorized_code=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "pre-authorized_code" in _oauth_error(repeated, "invalid_request")
    # None of these used the code up.
    assert (await _token(world, code)).status_code == 200


async def test_oid4vci_expired_offer_is_refused(world: World) -> None:
    from issuer.roles import Principal
    from issuer.services.wallet_offers import create_wallet_offer

    credential = await world.issue("student")
    async with world.services.sessions() as session:
        offer = await create_wallet_offer(
            session,
            world.services,
            credential,
            created_by=Principal(person_id=world.people["student"].id, display_name="Student"),
            want_tx_code=False,
            now=NOW - timedelta(minutes=world.services.settings.wallet_offer_minutes, seconds=1),
        )
    (reference,) = parse_qs(urlsplit(offer.oid4vci_uri).query)["credential_offer_uri"]
    gone = await world.client.get(_path(reference))
    assert (gone.status_code, gone.json()["code"]) == (410, "WALLET_OFFER_INVALID")
    code_of = reference.rsplit("/", 1)[1]
    from issuer.services.wallet_offers import pre_authorized_code

    _oauth_error(await _token(world, pre_authorized_code(code_of)), "invalid_grant")
    assert offer.dcc_request_uri is not None
    request = json.loads(parse_qs(urlsplit(offer.dcc_request_uri).query)["request"][0])
    exchange = await world.client.post(_path(request["protocols"]["vcapi"]), json={})
    assert (exchange.status_code, exchange.json()["code"]) == (410, "WALLET_OFFER_INVALID")


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("another_key", "invalid_proof", "signature does not verify"),
        ("wrong_aud", "invalid_proof", "aud"),
        ("stale_iat", "invalid_proof", "too old"),
        ("future_iat", "invalid_proof", "future"),
        ("no_nonce", "invalid_proof", "no nonce"),
        ("unknown_nonce", "invalid_nonce", "nonce"),
        ("stale_nonce", "invalid_nonce", "expired"),
        ("wrong_typ", "invalid_proof", "typ"),
        ("alg_none", "invalid_proof", "alg"),
        ("hmac", "invalid_proof", "alg"),
        ("private_jwk", "invalid_proof", "private key"),
        ("kid_not_did_key", "invalid_proof", "did:key"),
        ("two_proofs", "invalid_proof", "exactly one"),
        ("legacy_proof", "invalid_credential_request", "proofs"),
        ("unknown_configuration", "unknown_credential_configuration", "credential_configuration_id"),
        ("configuration_list", "unknown_credential_configuration", "credential_configuration_id"),
        ("configuration_object", "unknown_credential_configuration", "credential_configuration_id"),
        ("no_configuration", "invalid_credential_request", "credential_configuration_id"),
        ("not_json", "invalid_credential_request", "JSON object"),
    ],
)
async def test_oid4vci_bad_credential_requests_are_refused_and_issue_nothing(
    world: World, case: str, error: str, message: str
) -> None:
    from issuer.services.wallet_offers import issue_nonce

    credential = await world.issue("student")
    access = await _access_token(world, credential)
    wallet = Wallet()
    nonce = await _nonce(world)
    proof = wallet.proof(nonce)
    body: Any = {"credential_configuration_id": LDP, "proofs": {"jwt": [proof]}}
    if case == "another_key":  # the header names the wallet's key, another key signed
        body["proofs"]["jwt"] = [wallet.proof(nonce, signing_key=Ed25519PrivateKey.generate())]
    elif case == "wrong_aud":
        body["proofs"]["jwt"] = [wallet.proof(nonce, aud=f"{BASE_URL}/orgs/riverside-hs")]
    elif case == "stale_iat":
        body["proofs"]["jwt"] = [wallet.proof(nonce, iat=(NOW - timedelta(minutes=6)).timestamp())]
    elif case == "future_iat":
        body["proofs"]["jwt"] = [wallet.proof(nonce, iat=(NOW + timedelta(minutes=5)).timestamp())]
    elif case == "no_nonce":
        body["proofs"]["jwt"] = [wallet.proof(None)]
    elif case == "unknown_nonce":
        body["proofs"]["jwt"] = [wallet.proof("made-up-nonce")]
    elif case == "stale_nonce":
        async with world.services.sessions() as session:
            old = await issue_nonce(
                session, world.organisations["lincoln-hs"], now=NOW - timedelta(minutes=6)
            )
        body["proofs"]["jwt"] = [wallet.proof(old)]
    elif case == "wrong_typ":
        body["proofs"]["jwt"] = [wallet.proof(nonce, typ="JWT")]
    elif case == "alg_none":
        body["proofs"]["jwt"] = [
            _unsigned_jwt(
                {
                    "alg": "none",
                    "typ": "openid4vci-proof+jwt",
                    "jwk": public_key_to_jwk(wallet.key.public_key()),
                },
                {"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": nonce},
            )
        ]
    elif case == "hmac":
        body["proofs"]["jwt"] = [
            jwt.encode(
                {"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": nonce},
                "a shared secret of 32 bytes!!!!!",
                algorithm="HS256",
                headers={"typ": "openid4vci-proof+jwt", "kid": wallet.did},
            )
        ]
    elif case == "private_jwk":
        from jwt.algorithms import OKPAlgorithm

        private = json.loads(OKPAlgorithm.to_jwk(wallet.key))
        body["proofs"]["jwt"] = [
            jwt.encode(
                {"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": nonce},
                wallet.key,
                algorithm="EdDSA",
                headers={"typ": "openid4vci-proof+jwt", "jwk": private},
            )
        ]
    elif case == "kid_not_did_key":
        body["proofs"]["jwt"] = [
            jwt.encode(
                {"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": nonce},
                wallet.key,
                algorithm="EdDSA",
                headers={"typ": "openid4vci-proof+jwt", "kid": "https://wallet.example/keys/1"},
            )
        ]
    elif case == "two_proofs":
        body["proofs"]["jwt"] = [proof, proof]
    elif case == "legacy_proof":
        body = {"credential_configuration_id": LDP, "proof": {"proof_type": "jwt", "jwt": proof}}
    elif case == "unknown_configuration":
        body["credential_configuration_id"] = "UniversityDegree"
    elif case == "configuration_list":
        body["credential_configuration_id"] = [LDP]
    elif case == "configuration_object":
        body["credential_configuration_id"] = {"id": LDP}
    elif case == "no_configuration":
        del body["credential_configuration_id"]
    elif case == "not_json":
        body = ["not", "an", "object"]
    assert message in _oauth_error(await _credential(world, access, body), error)
    assert await _deliveries(world) == 0
    if case not in ("unknown_nonce", "stale_nonce", "no_nonce"):
        # The refused request consumed nothing: the same nonce and access token still work.
        good = {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(nonce)]}}
        assert (await _credential(world, access, good)).status_code == 200


async def test_oid4vci_nonce_is_single_use(world: World) -> None:
    wallet = Wallet()
    nonce = await _nonce(world)
    first = await _credential(
        world,
        await _access_token(world, await world.issue("student")),
        {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(nonce)]}},
    )
    assert first.status_code == 200, first.text
    second = await _credential(
        world,
        await _access_token(world, await world.issue("student", level=4)),
        {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(nonce)]}},
    )
    assert "used" in _oauth_error(second, "invalid_nonce")
    assert await _deliveries(world) == 1


async def test_oid4vci_missing_or_unknown_access_token_is_refused(world: World) -> None:
    wallet = Wallet()
    body = {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(await _nonce(world))]}}
    for access in (None, "mbw_made-up"):
        response = await _credential(world, access, body)
        _oauth_error(response, "invalid_token", 401)
    assert await _deliveries(world) == 0


async def test_oid4vci_expired_access_token_is_refused_and_issues_nothing(world: World) -> None:
    from issuer.db.models import WalletOfferRow

    access = await _access_token(world, await world.issue("student"))
    async with world.services.sessions() as session:  # its 5 minutes are over (the app's clock is fixed)
        [offer] = (await session.execute(select(WalletOfferRow))).scalars().all()
        assert offer.access_token_expires_at is not None
        assert offer.access_token_expires_at > NOW
        offer.access_token_expires_at = NOW - timedelta(seconds=1)
        await session.commit()
    wallet = Wallet()
    body = {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(await _nonce(world))]}}
    response = await _credential(world, access, body)
    assert "expired" in _oauth_error(response, "invalid_token", 401)
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert await _deliveries(world) == 0


async def test_oid4vci_badge_revoked_after_the_offer_is_denied(world: World) -> None:
    credential = await world.issue("student")
    access = await _access_token(world, credential)
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{credential.id}/revoke",
        json={"reason": "x"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200
    wallet = Wallet()
    body = {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(await _nonce(world))]}}
    assert "revoked" in _oauth_error(await _credential(world, access, body), "credential_request_denied")
    assert await _deliveries(world) == 0


async def test_dcc_request_link_names_the_exchange(world: World) -> None:
    offer = await _offer(world, await world.issue("student"))
    request = json.loads(unquote(offer["dccRequestUri"].split("request=", 1)[1]).replace("+", " "))
    assert request["credentialRequestOrigin"] == BASE_URL
    assert request["protocols"]["vcapi"].startswith(f"{ISSUER}/exchanges/")
    lcw = json.loads(parse_qs(urlsplit(offer["lcwUrl"]).query)["request"][0])
    assert lcw == request


async def test_deleting_the_learner_removes_their_wallet_deliveries_and_the_copy_keeps_verifying(
    world: World,
) -> None:
    credential = await world.issue("student")
    wallet = Wallet()
    issued = await _credential(
        world,
        await _access_token(world, credential),
        {"credential_configuration_id": LDP, "proofs": {"jwt": [wallet.proof(await _nonce(world))]}},
    )
    assert issued.status_code == 200, issued.text
    assert await _deliveries(world) == 1
    deleted = await world.client.request(
        "DELETE",
        f"/api/learners/{world.person_id('student')}",
        json={"confirm": "ana@students.example.edu"},
        headers=world.headers("student"),
    )
    assert deleted.status_code == 204, deleted.text
    assert await _deliveries(world) == 0  # the wallet's DID is no longer linked to the learner here
    copy = issued.json()["credentials"][0]["credential"]
    assert (await world.verify(json.dumps(copy))).verdict == "valid"


async def test_oid4vci_code_redeemed_by_several_requests_at_once_gives_one_token(world: World) -> None:
    credential = await world.issue("student")
    code = (await _resolved_offer(world, await _offer(world, credential)))["grants"][GRANT][
        "pre-authorized_code"
    ]
    answers = await asyncio.gather(*(_token(world, code) for _ in range(5)))
    assert sorted(answer.status_code for answer in answers) == [200, 400, 400, 400, 400]


async def test_oid4vci_wrong_pins_sent_at_once_are_all_counted(world: World) -> None:
    credential = await world.issue("student")
    offer = await _offer(world, credential, tx_code=True)
    code = (await _resolved_offer(world, offer))["grants"][GRANT]["pre-authorized_code"]
    wrong = "000000" if offer["txCode"] != "000000" else "111111"
    answers = await asyncio.gather(*(_token(world, code, wrong) for _ in range(5)))
    assert {answer.json()["error"] for answer in answers} == {"invalid_grant"}
    _oauth_error(await _token(world, code, offer["txCode"]), "invalid_grant")  # burnt after five


async def test_oid4vci_writing_endpoints_are_rate_limited_per_address(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each nonce is a row: a flood from one address is cut off (429) before it writes anything more."""
    import litestar.middleware.rate_limit

    from issuer.db.models import WalletNonce

    monkeypatch.setattr(litestar.middleware.rate_limit, "time", lambda: 1_900_000_000.0)
    world.services.settings.wallet_rate_per_minute = 3
    for _ in range(3):
        assert (await world.client.post("/orgs/lincoln-hs/oid4vci/nonce")).status_code == 200
    limited = await world.client.post("/orgs/lincoln-hs/oid4vci/nonce")
    assert limited.status_code == 429
    async with world.services.sessions() as session:
        assert int((await session.execute(select(func.count()).select_from(WalletNonce))).scalar_one()) == 3
    # The token and credential endpoints share the count.
    assert (await world.client.post("/orgs/lincoln-hs/oid4vci/token", data={})).status_code == 429
