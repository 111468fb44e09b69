"""The DCC Learner Credential Wallet's VC-API exchange through the app, on SQLite and PostgreSQL: the
request link, ``{}`` -> DIDAuthentication request, a presentation signed by the wallet's did:key ->
the badge bound to that DID; and the refusals (wrong challenge or domain, another signer, a replayed
challenge, a used or unknown exchange), each issuing nothing.

The wallet here signs with eddsa-rdfc-2022 in Python; Digital Bazaar's Ed25519Signature2020 suite (what
the DCC wallet uses) signs in tests/wallet/test_wallet_clients.py.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import func, select

from keys.encoding import did_key_from_public_key
from tests.conftest import NOW
from tests.integration.issuer.conftest import BASE_URL
from verifier.model.ob import VC_V2_CONTEXT
from verifier.proofs import data_integrity

if TYPE_CHECKING:
    from httpx import Response

    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio


def did_auth(
    key: Ed25519PrivateKey,
    *,
    challenge: str,
    domain: str,
    holder_key: Ed25519PrivateKey | None = None,
    purpose: str = "authentication",
    credentials: list[Any] | None = None,
) -> dict[str, Any]:
    """A DIDAuthentication presentation of ``holder_key``'s did:key (default ``key``), signed by ``key``."""
    holder = did_key_from_public_key((holder_key or key).public_key())
    presentation: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder,
    }
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verificationMethod": f"{holder}#{holder.removeprefix('did:key:')}",
        "proofPurpose": purpose,
        "challenge": challenge,
        "domain": domain,
    }
    signed = data_integrity.add_proof(
        presentation, options, key.sign(data_integrity.signing_input(presentation, options))
    )
    if credentials:  # added after signing: the service refuses them before looking at the proof
        signed["verifiableCredential"] = credentials
    return signed


async def _exchange_path(world: World, who: str = "student") -> str:
    credential = await world.issue("student")
    response = await world.client.post(
        f"/api/me/credentials/{credential.id}/wallet-offers"
        if who == "student"
        else f"/api/orgs/lincoln-hs/credentials/{credential.id}/wallet-offers",
        json={},
        headers=world.headers(who),
    )
    assert response.status_code == 201, response.text
    request = json.loads(parse_qs(urlsplit(response.json()["dccRequestUri"]).query)["request"][0])
    url = request["protocols"]["vcapi"]
    assert url.startswith(BASE_URL + "/orgs/lincoln-hs/exchanges/")
    return str(url.removeprefix(BASE_URL))


async def _start(world: World, path: str) -> dict[str, Any]:
    response = await world.client.post(path, json={})
    assert response.status_code == 200, response.text
    request = response.json()["verifiablePresentationRequest"]
    assert request["query"][0]["type"] == "DIDAuthentication"
    return dict(request)


async def _deliveries(world: World) -> int:
    from issuer.db.models import WalletDelivery

    async with world.services.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(WalletDelivery))).scalar_one())


def _refused(response: Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    return str(response.json()["detail"])


async def test_dcc_exchange_delivers_the_badge_bound_to_the_wallet_did(world: World) -> None:
    path = await _exchange_path(world)
    request = await _start(world, path)
    assert request["domain"] == BASE_URL
    wallet = Ed25519PrivateKey.generate()
    presentation = did_auth(wallet, challenge=request["challenge"], domain=request["domain"])
    response = await world.client.post(path, json={"verifiablePresentation": presentation})
    assert response.status_code == 200, response.text
    (badge,) = response.json()["verifiablePresentation"]["verifiableCredential"]
    assert badge["credentialSubject"]["id"] == did_key_from_public_key(wallet.public_key())
    report = await world.verify(json.dumps(badge))
    assert report.verdict == "valid", report.to_json()
    assert await _deliveries(world) == 1
    # Used: the exchange is over, for the wallet and for anyone replaying it.
    _refused(await world.client.post(path, json={}), 410, "WALLET_OFFER_INVALID")
    _refused(
        await world.client.post(path, json={"verifiablePresentation": presentation}),
        410,
        "WALLET_OFFER_INVALID",
    )
    assert await _deliveries(world) == 1


async def test_dcc_exchange_started_by_a_teacher_for_a_student(world: World) -> None:
    path = await _exchange_path(world, who="teacher")
    request = await _start(world, path)
    wallet = Ed25519PrivateKey.generate()
    response = await world.client.post(
        path,
        json={
            "verifiablePresentation": did_auth(
                wallet, challenge=request["challenge"], domain=request["domain"]
            )
        },
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong_challenge", "challenge"),
        ("wrong_domain", "domain"),
        ("another_signer", "signature"),  # signed by one key, naming another's did:key
        ("assertion_purpose", "purpose"),
        ("unsigned", "no proof"),
        ("with_credentials", "carries no credentials"),
        ("not_an_object", "JSON object"),
    ],
)
async def test_dcc_exchange_refuses_a_bad_presentation_and_issues_nothing(
    world: World, case: str, message: str
) -> None:
    path = await _exchange_path(world)
    request = await _start(world, path)
    wallet = Ed25519PrivateKey.generate()
    challenge, domain = request["challenge"], request["domain"]
    presentation: Any
    if case == "wrong_challenge":
        presentation = did_auth(wallet, challenge="a-challenge-we-never-gave", domain=domain)
    elif case == "wrong_domain":
        presentation = did_auth(wallet, challenge=challenge, domain="https://elsewhere.example")
    elif case == "another_signer":
        presentation = did_auth(
            Ed25519PrivateKey.generate(), challenge=challenge, domain=domain, holder_key=wallet
        )
    elif case == "assertion_purpose":
        presentation = did_auth(wallet, challenge=challenge, domain=domain, purpose="assertionMethod")
    elif case == "unsigned":
        presentation = {"@context": [VC_V2_CONTEXT], "type": ["VerifiablePresentation"]}
    elif case == "with_credentials":
        presentation = did_auth(
            wallet, challenge=challenge, domain=domain, credentials=[{"id": "urn:uuid:x"}]
        )
    else:
        presentation = ["not", "a", "presentation"]
    detail = _refused(
        await world.client.post(path, json={"verifiablePresentation": presentation}),
        422,
        "INVALID_PRESENTATION",
    )
    assert message in detail
    assert await _deliveries(world) == 0
    # The challenge was used up by the refused answer: answering it again needs a new start.
    good = did_auth(wallet, challenge=challenge, domain=domain)
    _refused(await world.client.post(path, json={"verifiablePresentation": good}), 409, "INVALID_STATE")
    again = await _start(world, path)
    assert again["challenge"] != challenge
    fresh = did_auth(wallet, challenge=again["challenge"], domain=domain)
    assert (await world.client.post(path, json={"verifiablePresentation": fresh})).status_code == 200


async def test_dcc_exchange_answer_before_start_and_malformed_bodies_are_refused(world: World) -> None:
    path = await _exchange_path(world)
    wallet = Ed25519PrivateKey.generate()
    early = did_auth(wallet, challenge="guess", domain=BASE_URL)
    assert "POST {}" in _refused(
        await world.client.post(path, json={"verifiablePresentation": early}), 409, "INVALID_STATE"
    )
    _refused(
        await world.client.post(path, content=b"{not json", headers={"Content-Type": "application/json"}),
        422,
        "INVALID_REQUEST",
    )
    _refused(await world.client.post(path, json={"something": "else"}), 422, "INVALID_REQUEST")
    _refused(
        await world.client.post("/orgs/lincoln-hs/exchanges/made-up", json={}), 410, "WALLET_OFFER_INVALID"
    )
    assert await _deliveries(world) == 0


async def test_dcc_exchange_of_a_badge_revoked_after_the_offer_is_refused(world: World) -> None:
    credential = await world.issue("student")
    offer = await world.client.post(
        f"/api/me/credentials/{credential.id}/wallet-offers", json={}, headers=world.headers("student")
    )
    request_json = json.loads(parse_qs(urlsplit(offer.json()["dccRequestUri"]).query)["request"][0])
    path = request_json["protocols"]["vcapi"].removeprefix(BASE_URL)
    request = await _start(world, path)
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{credential.id}/revoke",
        json={"reason": "x"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200
    wallet = Ed25519PrivateKey.generate()
    response = await world.client.post(
        path,
        json={
            "verifiablePresentation": did_auth(
                wallet, challenge=request["challenge"], domain=request["domain"]
            )
        },
    )
    assert "revoked" in _refused(response, 409, "INVALID_STATE")
    assert await _deliveries(world) == 0


async def test_an_offer_with_a_pin_has_no_dcc_link_and_its_exchange_is_refused(world: World) -> None:
    """The DCC exchange cannot carry a PIN: a PIN offer hands out no exchange link, and an exchange of an
    offer with a PIN (a leaked or guessed token) is refused before any challenge, issuing nothing."""
    from issuer.db.models import WalletOfferRow

    credential = await world.issue("student")
    offer = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{credential.id}/wallet-offers",
        json={"txCode": True},
        headers=world.headers("teacher"),
    )
    assert offer.status_code == 201, offer.text
    assert offer.json()["txCode"] is not None
    assert (offer.json()["dccRequestUri"], offer.json()["lcwUrl"]) == (None, None)
    # Defence in depth: an offer whose exchange link is known gets a PIN afterwards.
    plain = await world.client.post(
        f"/api/me/credentials/{credential.id}/wallet-offers", json={}, headers=world.headers("student")
    )
    request = json.loads(parse_qs(urlsplit(plain.json()["dccRequestUri"]).query)["request"][0])
    path = str(request["protocols"]["vcapi"]).removeprefix(BASE_URL)
    async with world.services.sessions() as session:
        rows = (await session.execute(select(WalletOfferRow))).scalars().all()
        for row in rows:
            row.tx_code_hash = row.tx_code_hash or "0" * 64
        await session.commit()
    detail = _refused(await world.client.post(path, json={}), 410, "WALLET_OFFER_INVALID")
    assert "PIN" in detail
    wallet = Ed25519PrivateKey.generate()
    presentation = did_auth(wallet, challenge="guessed", domain=BASE_URL)
    _refused(
        await world.client.post(path, json={"verifiablePresentation": presentation}),
        410,
        "WALLET_OFFER_INVALID",
    )
    assert await _deliveries(world) == 0


async def test_the_wallet_page_with_a_pin_offers_no_learner_credential_wallet_code(world: World) -> None:
    credential = await world.issue("student")
    page = await world.client.get(f"/me/badges/{credential.id}", headers=world.headers("student"))
    csrf = world.sessions["student"][1]
    made = await world.client.post(
        f"/me/badges/{credential.id}/wallet",
        data={"pin": "yes", "csrf_token": csrf},
        headers=world.headers("student"),
    )
    assert page.status_code == 200
    assert made.status_code == 201, made.text
    assert 'id="wallet-pin"' in made.text
    assert "dccrequest://" not in made.text
    assert "lcw.app" not in made.text
    assert "cannot ask for a PIN" in made.text
