"""The service's public documents, driven through the real HTTP app on SQLite (and PostgreSQL)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from issuer.issuance import Award, IssuerProfile, build_credential, sign_data_integrity, sign_vc_jwt
from keys.encoding import did_web_to_url
from keys.store import FileKeyStore
from tests.conftest import NOW, TEST_PASSPHRASE
from tests.integration.issuer.conftest import BASE_URL, AppFetcher, verify_through

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from issuer.db import Organisation
    from issuer.definitions import BadgeCatalog
    from issuer.settings import Settings

pytestmark = pytest.mark.anyio


def _credential(catalog: BadgeCatalog, organisation: Organisation) -> dict[str, Any]:
    award = Award(definition=catalog.get("weld-smaw-3f"), level=3, recipient="did:example:learner-1")
    profile = IssuerProfile(id=organisation.did, name=organisation.name)
    return build_credential(award, profile, credential_id="urn:uuid:8f0e1b7c-1", now=NOW, salt="5a1t")


async def test_healthz_answers_ok_once_migrated(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_did_document_lists_the_organisation_keys_for_assertions(
    client: AsyncTestClient[Litestar], organisation: Organisation, settings: Settings
) -> None:
    assert did_web_to_url(organisation.did) == f"{BASE_URL}/orgs/lincoln-hs/did.json"
    response = await client.get("/orgs/lincoln-hs/did.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/did+json")
    document = response.json()
    assert document["id"] == "did:web:badges.example.edu:orgs:lincoln-hs"
    store = FileKeyStore(settings.org_keys_dir("lincoln-hs"), TEST_PASSPHRASE)
    expected = {f"{organisation.did}#{record.key_id}" for record in store.published_records()}
    assert set(document["assertionMethod"]) == expected
    assert len(expected) == 3


async def test_credential_signed_by_the_organisation_verifies_through_the_service(
    client: AsyncTestClient[Litestar], organisation: Organisation, settings: Settings, catalog: BadgeCatalog
) -> None:
    store = FileKeyStore(settings.org_keys_dir(organisation.slug), TEST_PASSPHRASE)
    signer = store.active_signer("EdDSA")
    rsa_signer = store.active_signer("RS256")
    credential = _credential(catalog, organisation)
    ldp = sign_data_integrity(
        credential, signer, verification_method=f"{organisation.did}#{signer.key_id}", created=NOW
    )
    jwt = sign_vc_jwt(credential, rsa_signer, kid=f"{organisation.did}#{rsa_signer.key_id}")
    fetcher = AppFetcher(client)
    for signed in (ldp, jwt):
        report = await verify_through(fetcher, signed)
        assert report.verdict == "valid", report.failures()
    assert f"{BASE_URL}/orgs/lincoln-hs/did.json" in fetcher.fetched


async def test_credential_of_an_unknown_organisation_is_indeterminate(
    client: AsyncTestClient[Litestar], organisation: Organisation, settings: Settings, catalog: BadgeCatalog
) -> None:
    # Same keys, but a DID the service does not know: the DID document cannot be fetched.
    store = FileKeyStore(settings.org_keys_dir(organisation.slug), TEST_PASSPHRASE)
    signer = store.active_signer("EdDSA")
    stranger = organisation.model_copy(update={"did": "did:web:badges.example.edu:orgs:nobody"})
    credential = _credential(catalog, stranger)
    ldp = sign_data_integrity(
        credential, signer, verification_method=f"{stranger.did}#{signer.key_id}", created=NOW
    )
    report = await verify_through(AppFetcher(client), ldp)
    assert report.verdict == "indeterminate"


async def test_jwks_and_profile_describe_the_organisation(
    client: AsyncTestClient[Litestar], organisation: Organisation
) -> None:
    keys = (await client.get("/orgs/lincoln-hs/jwks.json")).json()["keys"]
    assert {key["alg"] for key in keys} == {"EdDSA", "RS256", "ES256"}
    assert all(key["kid"].startswith(organisation.did + "#") for key in keys)
    profile = (await client.get("/orgs/lincoln-hs/profile")).json()
    assert profile["id"] == organisation.did
    assert profile["type"] == ["Profile"]
    assert profile["name"] == "Lincoln High School"


@pytest.mark.parametrize("document", ["did.json", "jwks.json", "profile"])
async def test_public_documents_are_cacheable(
    client: AsyncTestClient[Litestar], organisation: Organisation, document: str
) -> None:
    response = await client.get(f"/orgs/{organisation.slug}/{document}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize("document", ["did.json", "jwks.json", "profile"])
async def test_unknown_organisation_is_a_404_problem(
    client: AsyncTestClient[Litestar], document: str
) -> None:
    response = await client.get(f"/orgs/nobody/{document}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "ORGANISATION_NOT_FOUND"
    assert body["status"] == 404
    assert "nobody" in body["detail"]


async def test_unknown_route_is_a_problem_without_internals(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
    assert response.json()["code"] == "NOT_FOUND"


async def test_openapi_document_lists_the_routes(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/healthz",
        "/orgs/{slug}/did.json",
        "/orgs/{slug}/jwks.json",
        "/orgs/{slug}/profile",
    } <= set(paths)
