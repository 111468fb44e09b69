"""Shared fixtures: a fixed clock, the example badge catalogue, and a did:web issuer with real keys."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from issuer.definitions import BadgeCatalog, load_catalog
from issuer.issuance import IssuerProfile, sign_data_integrity, sign_vc_jwt
from keys.encoding import did_web_to_url
from keys.publish import did_document
from keys.store import MIN_KDF_ROUNDS, FileKeyStore
from verifier.resolve import ChainFetcher, MapFetcher, OfflineFetcher, Resolver

if TYPE_CHECKING:
    from keys.signer import Signer

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO.parent / "shared" / "spec"
BADGE_DEFS = REPO / "badge_defs"
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
TEST_PASSPHRASE = "test-only passphrase, never used for real keys"


def require_in_ci(available: bool, reason: str) -> None:
    """Skip a test whose real component is missing here, but fail under CI=true: a skip there is a hole."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


@pytest.fixture(name="now")
def fx_now() -> datetime:
    return NOW


@pytest.fixture(name="catalog", scope="session")
def fx_catalog() -> BadgeCatalog:
    return load_catalog(BADGE_DEFS / "badges", lock_path=BADGE_DEFS / "published.lock.json")


@dataclass
class TestIssuer:
    """An organisation with a did:web identity, an encrypted key store and a published DID document."""

    did: str
    store: FileKeyStore
    site: Path  # where the DID document is "served" from (a --resolve map points at it)
    _signers: dict[str, Signer] = field(default_factory=dict)

    __test__ = False  # not a pytest test class

    @property
    def profile(self) -> IssuerProfile:
        return IssuerProfile(id=self.did, name="Lincoln High School", url="https://lincoln-hs.example.edu")

    @classmethod
    def copied_from(cls, store_dir: Path, directory: Path) -> TestIssuer:
        """The Lincoln High School issuer with a copy of the session's keys, its DID document published."""
        shutil.copytree(store_dir, directory / "keystore")
        (directory / "site").mkdir()
        issuer = cls(
            did="did:web:badges.example.edu:orgs:lincoln-hs",
            store=FileKeyStore(directory / "keystore", TEST_PASSPHRASE),
            site=directory / "site",
        )
        issuer.publish()
        return issuer

    def signer(self, algorithm: str = "EdDSA") -> Signer:
        # Unlocking a key costs ~0.1 s (PBKDF2): keep each active key's signer once unlocked.
        active = next(r for r in self.store.records() if r.algorithm == algorithm and r.status == "active")
        if active.key_id not in self._signers:
            self._signers[active.key_id] = self.store.signer(active.key_id)
        return self._signers[active.key_id]

    def method(self, signer: Signer) -> str:
        return f"{self.did}#{signer.key_id}"

    def publish(self) -> None:
        document = did_document(self.did, self.store.published_records())
        (self.site / "did.json").write_text(json.dumps(document), encoding="utf-8")

    def resolve_map(self, extra: dict[str, Path] | None = None) -> Path:
        mapping = {did_web_to_url(self.did): str(self.site / "did.json")}
        mapping.update({url: str(path) for url, path in (extra or {}).items()})
        path = self.site / "resolve-map.json"
        path.write_text(json.dumps(mapping), encoding="utf-8")
        return path

    def resolver(self, extra: dict[str, Path] | None = None) -> Resolver:
        return Resolver(ChainFetcher(MapFetcher.from_file(self.resolve_map(extra)), OfflineFetcher()))

    def sign_ldp(self, credential: dict[str, Any], *, cryptosuite: Any = "eddsa-rdfc-2022") -> dict[str, Any]:
        signer = self.signer("EdDSA")
        return sign_data_integrity(
            credential, signer, verification_method=self.method(signer), created=NOW, cryptosuite=cryptosuite
        )

    def sign_jwt(self, credential: dict[str, Any], algorithm: str = "RS256") -> str:
        signer = self.signer(algorithm)
        return sign_vc_jwt(credential, signer, kid=self.method(signer))


@pytest.fixture(name="issuer_store_dir", scope="session")
def fx_issuer_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # RSA generation is slow: one store of real keys per session, copied per test. The key files use the
    # PBKDF2 minimum (1,000 rounds) instead of 600,000: the service unlocks a fresh copy in almost every
    # integration test, and the measured default is tested in tests/unit/keys/test_store.py.
    directory = tmp_path_factory.mktemp("keystore")
    store = FileKeyStore(directory, TEST_PASSPHRASE, kdf_rounds=MIN_KDF_ROUNDS)
    for algorithm in ("EdDSA", "RS256", "ES256"):
        store.generate(algorithm, now=NOW)
    return directory


@pytest.fixture(name="issuer")
def fx_issuer(issuer_store_dir: Path, tmp_path: Path) -> TestIssuer:
    return TestIssuer.copied_from(issuer_store_dir, tmp_path)


@pytest.fixture
def clr_context(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The test-made CLR context stand-in, served for the official URL (tests/clr_context.py).

    Returns:
        The environment variables set (for a subprocess that must see the same stand-in).
    """
    from tests.clr_context import supply_stand_in

    env = supply_stand_in(tmp_path_factory.mktemp("operator-contexts"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def no_clr_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """No operator folder and no test pin: the CLR context is unavailable, as on a fresh install."""
    from verifier.document_loader import CONTEXTS_DIR_ENV, TEST_PINS_ENV, TEST_PINS_FLAG_ENV

    for name in (CONTEXTS_DIR_ENV, TEST_PINS_ENV, TEST_PINS_FLAG_ENV):
        monkeypatch.delenv(name, raising=False)
