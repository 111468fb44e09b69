"""Verifications per second for a mixed batch of 1,000 credentials, with status checks.

``run()`` builds the batch at run time with the test-only keys of tests/vectors/keys/ (nothing is
committed), verifies every credential with ``verify_credential`` (all checks: proof, issuer key,
structure, validity, status) and returns one line with the rate. The batch:

- 40% eddsa-rdfc-2022, 20% eddsa-jcs-2022, 20% VC-JWT RS256, 20% VC-JWT EdDSA, interleaved;
- every fourth credential carries a ``BitstringStatusListEntry`` into one of four revocation lists
  (131,072 entries each, signed eddsa-rdfc-2022 by the same did:web issuer);
- the did:web DID document and the lists are served from memory, as a verifier's cache would after the
  first fetch. Each status check still verifies the list credential's proof: ``verify_credential``
  does that every time.

One process, one core, after one warm-up verification of each format (the pinned contexts load once).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from issuer.definitions import load_catalog
from issuer.issuance import Award, IssuerProfile, build_credential, sign_data_integrity, sign_vc_jwt
from keys.encoding import did_key_from_public_key, did_web_to_url, jwk_thumbprint, public_key_to_jwk
from keys.publish import did_document
from keys.signer import Ed25519Signer, RsaSigner, Signer
from keys.store import KeyRecord
from verifier.errors import RetrievalError
from verifier.resolve import Resolver
from verifier.status import BitstringStatusList, status_entry, status_list_credential
from verifier.verify import verify_credential

REPO = Path(__file__).resolve().parents[1]
KEYS_DIR = REPO / "tests" / "vectors" / "keys"
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
ISSUER_DID = "did:web:bench.example"
STATUS_BASE = "https://bench.example/status/revocation"
N_LISTS = 4
# (format, share of the batch), interleaved in this order.
FORMATS = (("rdfc", 2), ("jcs", 1), ("rs256", 1), ("eddsa", 1))


class MemoryFetcher:
    """Serve documents from memory (a verifier's warm cache) and count what was asked."""

    def __init__(self, documents: dict[str, bytes]) -> None:
        """Serve ``documents`` (URL -> bytes)."""
        self._documents = documents
        self.fetches: Counter[str] = Counter()

    def knows(self, url: str) -> bool:
        """Whether ``url`` is held."""
        return url in self._documents

    def fetch(self, url: str) -> bytes:
        """Return the held document.

        Raises:
            RetrievalError: ``url`` is not held.
        """
        body = self._documents.get(url)
        if body is None:
            raise RetrievalError(f"{url}: not held in memory")
        self.fetches[url] += 1
        return body


def _signers() -> tuple[Signer, Signer]:
    seed = bytes.fromhex((KEYS_DIR / "ed25519.seed.hex").read_text(encoding="ascii").strip())
    ed_key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    rsa_key = load_pem_private_key((KEYS_DIR / "rsa2048.pem").read_bytes(), password=None)
    if not isinstance(rsa_key, rsa.RSAPrivateKey):
        raise TypeError("tests/vectors/keys/rsa2048.pem must hold an RSA key")
    return (
        Ed25519Signer(ed_key, key_id=jwk_thumbprint(public_key_to_jwk(ed_key.public_key()))),
        RsaSigner(rsa_key, key_id=jwk_thumbprint(public_key_to_jwk(rsa_key.public_key()))),
    )


def _record(signer: Signer) -> KeyRecord:
    return KeyRecord(
        key_id=signer.key_id,
        algorithm=signer.algorithm,
        status="active",
        created=NOW - timedelta(days=365),
        public_jwk=public_key_to_jwk(signer.public_key()),
    )


def build_batch(
    n: int = 1000, *, seed: int = 4
) -> tuple[list[tuple[str, str | dict[str, Any]]], MemoryFetcher]:
    """Build ``n`` signed credentials and the documents that verify them.

    Args:
        n: batch size.
        seed: seeds the ids, salts, recipients, levels and status indexes (the randomness is ours).

    Returns:
        ``[(format, credential or token)]`` and a fetcher serving the DID document and status lists.
    """
    rng = random.Random(seed)
    ed_signer, rsa_signer = _signers()
    catalog = load_catalog(
        REPO / "badge_defs" / "badges", lock_path=REPO / "badge_defs" / "published.lock.json"
    )
    definitions = [catalog.get(slug) for slug in ("math-7rp-proportional", "weld-smaw-3f", "weld-smaw-4f")]
    profile = IssuerProfile(id=ISSUER_DID, name="Bench Issuer", url="https://bench.example")
    ed_method, rsa_method = (f"{ISSUER_DID}#{s.key_id}" for s in (ed_signer, rsa_signer))

    documents = {
        did_web_to_url(ISSUER_DID): json.dumps(
            did_document(ISSUER_DID, [_record(ed_signer), _record(rsa_signer)])
        )
    }
    for number in range(N_LISTS):
        url = f"{STATUS_BASE}/{number}"
        unsigned = status_list_credential(
            list_url=url,
            issuer=ISSUER_DID,
            purpose="revocation",
            encoded_list=BitstringStatusList().encode(),
            valid_from=NOW - timedelta(days=1),
        )
        signed_list = sign_data_integrity(unsigned, ed_signer, verification_method=ed_method, created=NOW)
        documents[url] = json.dumps(signed_list)

    kinds = [kind for kind, share in FORMATS for _ in range(share)]
    batch: list[tuple[str, str | dict[str, Any]]] = []
    for index in range(n):
        kind = kinds[index % len(kinds)]
        definition = definitions[index % len(definitions)]
        is_jwt = kind in ("rs256", "eddsa")
        recipient = (
            did_key_from_public_key(
                ed25519.Ed25519PrivateKey.from_private_bytes(rng.randbytes(32)).public_key()
            )
            if is_jwt
            else f"learner{index}@example.org"
        )
        status = None
        if index % 4 == 0:
            status = status_entry(
                list_url=f"{STATUS_BASE}/{index // 4 % N_LISTS}",
                index=rng.randrange(131_072),
                purpose="revocation",
            )
        credential = build_credential(
            Award(
                definition=definition, level=rng.randint(definition.required_level, 4), recipient=recipient
            ),
            profile,
            credential_id=f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            now=NOW - timedelta(days=rng.randrange(1, 300)),
            salt=rng.randbytes(8).hex(),
            status=status,
        )
        signed: str | dict[str, Any]
        if kind == "rdfc":
            signed = sign_data_integrity(credential, ed_signer, verification_method=ed_method, created=NOW)
        elif kind == "jcs":
            signed = sign_data_integrity(
                credential,
                ed_signer,
                verification_method=ed_method,
                created=NOW,
                cryptosuite="eddsa-jcs-2022",
            )
        elif kind == "rs256":
            signed = sign_vc_jwt(credential, rsa_signer, kid=rsa_method)
        else:
            signed = sign_vc_jwt(credential, ed_signer, kid=ed_method)
        batch.append((kind, signed))
    return batch, MemoryFetcher({url: body.encode("utf-8") for url, body in documents.items()})


def run(n: int = 1000) -> str:
    """Verify a mixed batch of ``n`` credentials and describe the rate in one line.

    Args:
        n: batch size (1,000 for ``make bench``).

    Returns:
        The line to print.

    Raises:
        RuntimeError: a credential of the batch did not verify (the figure would be meaningless).
    """
    batch, fetcher = build_batch(n)
    resolver = Resolver(fetcher)
    counts: Counter[str] = Counter(kind for kind, _ in batch)
    warmed: set[str] = set()
    for kind, credential in batch:
        if kind not in warmed:
            verify_credential(credential, resolver=resolver, now=NOW)
            warmed.add(kind)
    elapsed: dict[str, float] = dict.fromkeys(counts, 0.0)
    with_status = 0
    start = time.perf_counter()
    for kind, credential in batch:
        began = time.perf_counter()
        report = verify_credential(credential, resolver=resolver, now=NOW)
        elapsed[kind] += time.perf_counter() - began
        if report.verdict != "valid":
            bad = [c.message for c in report.checks if not c.passed]
            raise RuntimeError(f"a {kind} credential of the batch did not verify: {bad}")
        if report.credential is not None and "credentialStatus" in report.credential:
            with_status += 1
    total = time.perf_counter() - start
    per_format = ", ".join(f"{kind} {counts[kind] / elapsed[kind]:,.0f}/s" for kind, _ in FORMATS)
    return (
        f"verify_credential, mixed batch of {n:,} ({', '.join(f'{counts[k]} {k}' for k, _ in FORMATS)}; "
        f"{with_status} with status over {N_LISTS} lists served from memory): "
        f"{n / total:,.0f} verifications/s ({1000 * total / n:.1f} ms each; {per_format})"
    )


if __name__ == "__main__":
    print(run())
