"""Wallet pickup with real wallet-side software against the service running under uvicorn, over TLS.

- The ``@openid4vc/openid4vci`` client library (npm, OpenID4VCI 1.0) runs the whole pre-authorized
  code flow: offer by reference, issuer and authorization server metadata (well-known URLs inserted
  before the issuer's path), token (with a PIN), nonce, proof of possession, credential.
- The DCC Learner Credential Wallet's exchange, done as the wallet does it: the ``dccrequest://`` link,
  ``{}``, a DIDAuthentication presentation signed ``Ed25519Signature2020`` by a did:key with Digital
  Bazaar's suite, the badge back.

Each delivered badge is then verified by Digital Bazaar's JavaScript stack (tests/interop/verify.mjs)
and by the installed ``badges verify``, with the DID document and status lists the server publishes.

The library insists on https URLs; the server gets a self-signed certificate for ``localhost`` made
here, and Node trusts it through ``NODE_EXTRA_CA_CERTS``: no insecure option of the library is used.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from keys.encoding import did_web_to_url
from tests.conftest import BADGE_DEFS, REPO, TEST_PASSPHRASE, require_in_ci
from tests.interop.js import did_key, js_verify, missing_reason, pinned_contexts
from tests.unit.verifier.tls_server import _self_signed

if TYPE_CHECKING:
    from collections.abc import Iterator

WALLET_DIR = Path(__file__).resolve().parent
BADGES = Path(sys.executable).parent / "badges"
SLUG = "lincoln-hs"
NODE_TIMEOUT_S = 180.0
SERVER_START_TRIES = 600  # 0.1 s apart: a cold start migrates the database and loads the catalogue
WALLET_SEED = bytes.fromhex("4f1c2b7a9e3d5c8f0a6b1e4d7c2a9f3e5b8d0c6a1f4e7b2d9c3a6f0e5b8d1c4a")
OTHER_SEED = bytes.fromhex("0a6b1e4d7c2a9f3e5b8d0c6a1f4e7b2d9c3a6f0e5b8d1c4a4f1c2b7a9e3d5c8f")


def _require_wallet_stack() -> None:
    require_in_ci(missing_reason() is None, f"interop: {missing_reason()}")
    package = json.loads((WALLET_DIR / "package.json").read_text(encoding="utf-8"))
    missing = [name for name in package["dependencies"] if not (WALLET_DIR / "node_modules" / name).is_dir()]
    require_in_ci(
        not missing, f"tests/wallet/node_modules lacks {', '.join(missing)} (run `make interop-deps`)"
    )


@dataclass
class Service:
    """The service under uvicorn at ``base_url`` (https://localhost:<port>), and its data."""

    base_url: str
    cert: Path
    data_dir: Path
    database_url: str
    keys_dir: Path

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, verify=ssl.create_default_context(cafile=self.cert), timeout=30.0
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(name="service", scope="module")
def fx_service(tmp_path_factory: pytest.TempPathFactory, issuer_store_dir: Path) -> Iterator[Service]:
    _require_wallet_stack()
    folder = tmp_path_factory.mktemp("wallet-service")
    cert, key, _ = _self_signed(folder)
    port = _free_port()
    service = Service(
        base_url=f"https://localhost:{port}",
        cert=cert,
        data_dir=folder / "data",
        database_url=f"sqlite+aiosqlite:///{folder / 'data' / 'badges.db'}",
        keys_dir=folder / "data" / "keys",
    )
    service.data_dir.mkdir()
    shutil.copytree(issuer_store_dir, service.keys_dir / SLUG)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ISSUER_", "BADGES_"))}
    environment.update(
        {
            "ISSUER_BASE_URL": service.base_url,
            "ISSUER_DATA_DIR": str(service.data_dir),
            "ISSUER_DATABASE_URL": service.database_url,
            "ISSUER_DEFS_DIR": str(BADGE_DEFS),
            "BADGES_KEY_PASSPHRASE": TEST_PASSPHRASE,
        }
    )
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.wallet.server:app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ssl-certfile",
            str(cert),
            "--ssl-keyfile",
            str(key),
        ],
        cwd=REPO,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with service.client() as client:
            for _ in range(SERVER_START_TRIES):
                if process.poll() is not None:
                    break
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)  # a bounded wait for the server to come up, not a timing assertion
            else:
                pytest.fail("the service did not become ready")
        if process.poll() is not None:
            pytest.fail(f"the service stopped: {(folder / 'server.log').read_text(encoding='utf-8')[-3000:]}")
        yield service
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _settings(service: Service) -> Any:
    from issuer.settings import Settings

    return Settings(
        base_url=service.base_url,
        data_dir=service.data_dir,
        database_url=service.database_url,
        defs_dir=BADGE_DEFS,
        key_passphrase=TEST_PASSPHRASE,
    )


async def _revoke(service: Service, credential_id: str) -> None:
    """Revoke the original badge as its organisation's admin would, in the service's database."""
    from sqlmodel import select

    from issuer.db.models import Organisation
    from issuer.services.context import build_services
    from issuer.services.revocation import change_status

    services = build_services(_settings(service))
    try:
        async with services.sessions() as session:
            organisation = (
                await session.execute(select(Organisation).where(Organisation.slug == SLUG))
            ).scalar_one()
            await change_status(
                session,
                services,
                organisation=organisation,
                credential_id=credential_id,
                change="revoke",
                reason="test",
                actor=None,
                roles=frozenset({"admin"}),
                now=datetime.now(UTC),
            )
    finally:
        await services.engine.dispose()


async def _award_and_offer(service: Service, *, email: str, want_tx_code: bool) -> tuple[dict[str, Any], Any]:
    """In the service's database: the organisation (once), a student and their badge, and an offer made
    with the service function the pages call; the clock is the real one, like the server's."""
    from sqlmodel import select

    from issuer.db import create_organisation
    from issuer.db.models import Organisation
    from issuer.organisations import organisation_did
    from issuer.services.catalogue import offered_badge
    from issuer.services.context import build_services
    from issuer.services.issuing import AttesterInfo, commit_award, issue_credential
    from issuer.services.people import add_member
    from issuer.services.status_lists import count_allocation
    from issuer.services.wallet_offers import create_wallet_offer, original_document

    services = build_services(_settings(service))
    now = datetime.now(UTC)
    try:
        async with services.sessions() as session:
            organisation = (
                await session.execute(select(Organisation).where(Organisation.slug == SLUG))
            ).scalar_one_or_none() or await create_organisation(
                session,
                slug=SLUG,
                name="Lincoln High School",
                kind="school",
                did=organisation_did(service.base_url, SLUG),
                now=now,
            )
            student, _ = await add_member(
                session,
                organisation=organisation,
                email=email,
                display_name="Ana",
                role="student",
                password=None,
                now=now,
                actor=None,
            )
            await session.commit()
            _, version = await offered_badge(
                session, services.catalog, "weld-smaw-3f", organisation_id=organisation.id
            )
            credential, slots = await issue_credential(
                session,
                services,
                organisation=organisation,
                badge=version,
                student=student,
                level=3,
                attester=AttesterInfo(person_id=None, name="R. Okafor", role="teacher"),
                actor=None,
                now=now,
            )
            await count_allocation(session, organisation, slots)
            await commit_award(session)
            offer = await create_wallet_offer(
                session, services, credential, created_by=None, want_tx_code=want_tx_code, now=now
            )
            return original_document(credential), offer
    finally:
        await services.engine.dispose()


def _published(service: Service, credential: dict[str, Any], folder: Path) -> tuple[dict[str, Any], Path]:
    """The issuer's DID document and the credential's status lists as the server publishes them: as
    ``documents`` for the JS stack, and as a ``--resolve`` map for ``badges verify``."""
    issuer = credential["issuer"]["id"] if isinstance(credential["issuer"], dict) else credential["issuer"]
    urls = {issuer: did_web_to_url(issuer)}
    status = credential.get("credentialStatus", [])
    for entry in status if isinstance(status, list) else [status]:
        urls[entry["statusListCredential"]] = entry["statusListCredential"]
    documents: dict[str, Any] = {}
    mapping: dict[str, str] = {}
    with service.client() as client:
        for name, url in urls.items():
            response = client.get(url.removeprefix(service.base_url))
            assert response.status_code == 200, (url, response.text)
            documents[name] = response.json()
            path = folder / f"published-{len(mapping)}.json"
            path.write_bytes(response.content)
            mapping[url] = str(path)
    resolve_map = folder / "resolve-map.json"
    resolve_map.write_text(json.dumps(mapping), encoding="utf-8")
    return documents, resolve_map


def _badges_verify(path: Path, resolve_map: Path) -> dict[str, Any]:
    result = subprocess.run(
        [str(BADGES), "verify", str(path), "--resolve", str(resolve_map), "--offline", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1, 3), result.stderr
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[0])
    return report


def _node(script: str, request: dict[str, Any], service: Service) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node is not None
    environment = dict(os.environ, NODE_EXTRA_CA_CERTS=str(service.cert))
    return subprocess.run(
        [node, str(WALLET_DIR / script)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=WALLET_DIR,
        env=environment,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )


def test_wallet_oid4vci_client_library_receives_a_bound_badge_that_verifies(
    service: Service, tmp_path: Path
) -> None:
    original, offer = asyncio.run(
        _award_and_offer(service, email="ana@students.example.edu", want_tx_code=True)
    )
    completed = _node(
        "oid4vci.mjs",
        {
            "offerUri": offer.oid4vci_uri,
            "txCode": offer.tx_code,
            "configurationId": "OpenBadgeCredential_ldp_vc",
            "seed_hex": WALLET_SEED.hex(),
            "did": did_key(WALLET_SEED),
            "keyMethod": "did",
        },
        service,
    )
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    assert answer["credentialIssuer"] == f"{service.base_url}/orgs/{SLUG}"
    assert answer["draftVersion"] == "V1"  # the library read the metadata as OpenID4VCI 1.0
    (entry,) = answer["credentials"]
    badge = entry["credential"]
    assert badge["credentialSubject"]["id"] == did_key(WALLET_SEED)
    assert badge["credentialStatus"] == original["credentialStatus"]
    documents, resolve_map = _published(service, badge, tmp_path)
    (js,) = js_verify([{"kind": "ldp", "credential": badge}], documents=documents)
    assert js["verified"] is True, js
    assert js["status"] == "valid"  # the status lists were checked, not skipped
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(badge), encoding="utf-8")
    report = _badges_verify(path, resolve_map)
    assert report["verdict"] == "valid", report
    # A second run of the same offer is refused: the offer is single-use.
    again = _node(
        "oid4vci.mjs",
        {
            "offerUri": offer.oid4vci_uri,
            "txCode": offer.tx_code,
            "configurationId": "OpenBadgeCredential_ldp_vc",
            "seed_hex": WALLET_SEED.hex(),
            "did": did_key(WALLET_SEED),
            "keyMethod": "did",
        },
        service,
    )
    assert again.returncode == 1
    assert "410" in again.stderr or "WALLET_OFFER_INVALID" in again.stderr, again.stderr


def test_wallet_oid4vci_client_library_gets_the_jwt_form_with_a_jwk_proof(
    service: Service, tmp_path: Path
) -> None:
    _, offer = asyncio.run(_award_and_offer(service, email="ben@students.example.edu", want_tx_code=False))
    completed = _node(
        "oid4vci.mjs",
        {
            "offerUri": offer.oid4vci_uri,
            "configurationId": "OpenBadgeCredential_jwt_vc_json",
            "seed_hex": OTHER_SEED.hex(),
            "did": did_key(OTHER_SEED),
            "keyMethod": "jwk",
        },
        service,
    )
    assert completed.returncode == 0, completed.stderr
    (entry,) = json.loads(completed.stdout)["credentials"]
    token = entry["credential"]
    assert isinstance(token, str)
    from verifier.proofs.vc_jwt import unverified_credential

    badge = unverified_credential(token)
    assert badge["credentialSubject"]["id"] == did_key(OTHER_SEED)
    # jose (JS) checks the signature with the key the organisation publishes in its JWKS.
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    with service.client() as client:
        published = client.get(f"/orgs/{SLUG}/jwks.json").json()["keys"]
    (jwk,) = [key for key in published if key.get("kid") == header["kid"]]
    (js,) = js_verify([{"kind": "jwt", "token": token, "jwk": jwk, "alg": header["alg"]}])
    assert js["verified"] is True, js
    assert js["payload"]["sub"] == did_key(OTHER_SEED)
    _, resolve_map = _published(service, badge, tmp_path)
    path = tmp_path / "badge.jwt"
    path.write_text(token, encoding="utf-8")
    report = _badges_verify(path, resolve_map)
    assert report["verdict"] == "valid", report


def test_wallet_dcc_exchange_with_an_ed25519signature2020_did_auth(service: Service, tmp_path: Path) -> None:
    original, offer = asyncio.run(
        _award_and_offer(service, email="cy@students.example.edu", want_tx_code=False)
    )
    contexts = pinned_contexts()
    # A wallet answering another challenge is refused, and gets nothing.
    refused = _node(
        "dcc_exchange.mjs",
        {
            "requestUri": offer.dcc_request_uri,
            "seed_hex": WALLET_SEED.hex(),
            "contexts": contexts,
            "challenge": "not-yours",
        },
        service,
    )
    assert refused.returncode == 0, refused.stderr
    wrong = json.loads(refused.stdout)
    assert wrong["status"] == 422, wrong
    assert wrong["response"]["code"] == "INVALID_PRESENTATION"
    assert "challenge" in wrong["response"]["detail"]
    # The wallet starts again and answers properly.
    completed = _node(
        "dcc_exchange.mjs",
        {"requestUri": offer.dcc_request_uri, "seed_hex": WALLET_SEED.hex(), "contexts": contexts},
        service,
    )
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    assert answer["presentation"]["proof"]["type"] == "Ed25519Signature2020"
    assert answer["request"]["query"][0]["type"] == "DIDAuthentication"
    assert answer["status"] == 200, answer["response"]
    (badge,) = answer["response"]["verifiablePresentation"]["verifiableCredential"]
    assert badge["credentialSubject"]["id"] == answer["holder"] == did_key(WALLET_SEED)
    assert badge["credentialStatus"] == original["credentialStatus"]
    documents, resolve_map = _published(service, badge, tmp_path)
    (js,) = js_verify([{"kind": "ldp", "credential": badge}], documents=documents)
    assert js["verified"] is True, js
    assert js["status"] == "valid"
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(badge), encoding="utf-8")
    assert _badges_verify(path, resolve_map)["verdict"] == "valid"
    # Revoking the original revokes the wallet's copy: both implementations read the shared entry.
    asyncio.run(_revoke(service, original["id"]))
    documents, resolve_map = _published(service, badge, tmp_path)
    (js,) = js_verify([{"kind": "ldp", "credential": badge}], documents=documents)
    assert js["verified"] is False
    assert js["status"] == "revocation"
    report = _badges_verify(path, resolve_map)
    assert report["verdict"] == "invalid"
    assert "REVOKED" in {check["code"] for check in report["checks"]}
