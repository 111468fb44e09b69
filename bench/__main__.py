"""Credentials signed and verified per second, per proof format, beside the raw signature rates.

Run with ``make bench``. One process, one core; each figure is the median of three rounds. The JS figure
(Digital Bazaar's stack, the one DCC uses) is measured in the same run when Node and
tests/interop/node_modules are present, so the comparison is on the same machine and moment.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from bench import bulk_award, credit, public_pages, verify_batch
from issuer.definitions import load_catalog
from issuer.issuance import (
    Attester,
    Award,
    EvidenceItem,
    IssuerProfile,
    build_credential,
    sign_data_integrity,
    sign_vc_jwt,
)
from keys.encoding import did_key_from_public_key, jwk_thumbprint, public_key_to_jwk
from keys.signer import Ed25519Signer, P256Signer, RsaSigner, Signer
from verifier.proofs import data_integrity, vc_jwt
from verifier.resolve import OfflineFetcher, Resolver
from verifier.verify import verify_credential

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LEARNER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def rate(operation: Callable[[], object], *, n: int, rounds: int = 3) -> float:
    """Operations per second: median over ``rounds`` of ``n`` calls, after one warm-up call."""
    operation()
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            operation()
        timings.append((time.perf_counter() - start) / n)
    return 1.0 / statistics.median(timings)


def _signer(private_key: Any) -> Signer:
    kid = jwk_thumbprint(public_key_to_jwk(private_key.public_key()))
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return Ed25519Signer(private_key, key_id=kid)
    if isinstance(private_key, rsa.RSAPrivateKey):
        return RsaSigner(private_key, key_id=kid)
    return P256Signer(private_key, key_id=kid)


def credential(issuer_did: str, *, recipient: str = LEARNER) -> dict[str, Any]:
    catalog = load_catalog(
        REPO / "badge_defs" / "badges", lock_path=REPO / "badge_defs" / "published.lock.json"
    )
    award = Award(
        definition=catalog.get("weld-smaw-3f"),
        level=3,
        recipient=recipient,
        attester=Attester(
            id=f"urn:uuid:{uuid.uuid4()}", name="R. Okafor", role="supervisor", organization="Acme"
        ),
        evidence=(EvidenceItem(name="Coupon photos", url="https://evidence.example.org/e/42"),),
    )
    return build_credential(
        award,
        IssuerProfile(id=issuer_did, name="Lincoln High School"),
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        now=NOW,
        salt="5a1t",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0

    def n(count: int) -> int:
        return max(5, int(count * scale))

    ed_key = ed25519.Ed25519PrivateKey.generate()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    p256_key = ec.generate_private_key(ec.SECP256R1())
    message = b"x" * 64
    ed_sig = ed_key.sign(message)
    rsa_sig = rsa_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    p256_sig = p256_key.sign(message, ec.ECDSA(hashes.SHA256()))
    raw = {
        "Ed25519": (
            rate(lambda: ed_key.sign(message), n=n(5000)),
            rate(lambda: ed_key.public_key().verify(ed_sig, message), n=n(3000)),
        ),
        "RSA-3072": (
            rate(lambda: rsa_key.sign(message, padding.PKCS1v15(), hashes.SHA256()), n=n(200)),
            rate(
                lambda: rsa_key.public_key().verify(rsa_sig, message, padding.PKCS1v15(), hashes.SHA256()),
                n=n(3000),
            ),
        ),
        "P-256": (
            rate(lambda: p256_key.sign(message, ec.ECDSA(hashes.SHA256())), n=n(3000)),
            rate(
                lambda: p256_key.public_key().verify(p256_sig, message, ec.ECDSA(hashes.SHA256())), n=n(3000)
            ),
        ),
    }

    ed_signer = _signer(ed_key)
    issuer_did = did_key_from_public_key(ed_key.public_key())
    method = f"{issuer_did}#{issuer_did.removeprefix('did:key:')}"
    unsigned = credential(issuer_did)
    size = len(str(unsigned).encode())
    resolver = Resolver(OfflineFetcher())
    rows: list[tuple[str, float, float, str]] = []

    for suite, raw_name in (("eddsa-rdfc-2022", "Ed25519"), ("eddsa-jcs-2022", "Ed25519")):

        def sign(suite: Any = suite) -> dict[str, Any]:
            return sign_data_integrity(
                unsigned, ed_signer, verification_method=method, created=NOW, cryptosuite=suite
            )

        signed = sign()
        proof = signed["proof"][0]
        count = n(300) if suite == "eddsa-rdfc-2022" else n(3000)
        rows.append(
            (
                suite,
                rate(sign, n=count),
                rate(
                    functools.partial(data_integrity.verify_proof, signed, proof, ed_key.public_key()),
                    n=count,
                ),
                raw_name,
            )
        )

    jwt_credential = credential(issuer_did)
    for alg, private_key, raw_name in (
        ("EdDSA", ed_key, "Ed25519"),
        ("ES256", p256_key, "P-256"),
        ("RS256", rsa_key, "RSA-3072"),
    ):
        signer = _signer(private_key)
        token = sign_vc_jwt(jwt_credential, signer, kid=f"https://issuer.example/keys#{signer.key_id}")
        count = n(200) if alg == "RS256" else n(2000)
        rows.append(
            (
                f"VC-JWT {alg}",
                rate(functools.partial(sign_vc_jwt, jwt_credential, signer, kid="k"), n=count),
                rate(functools.partial(vc_jwt.verify_jwt, token, private_key.public_key()), n=count),
                raw_name,
            )
        )

    full = sign_data_integrity(unsigned, ed_signer, verification_method=method, created=NOW)
    full_rate = rate(lambda: verify_credential(full, resolver=resolver, now=NOW), n=n(300))

    print(f"credential: OB 3.0 weld badge, {size:,} bytes unsigned; one core; median of 3 rounds\n")
    print(f"{'raw signature':<22}{'sign/s':>12}{'verify/s':>12}")
    for name, (signs, verifies) in raw.items():
        print(f"{name:<22}{signs:>12,.0f}{verifies:>12,.0f}")
    print(f"\n{'proof format':<22}{'sign/s':>12}{'verify/s':>12}   {'sign vs raw':>12}{'verify vs raw':>14}")
    for name, signs, verifies, raw_name in rows:
        raw_sign, raw_verify = raw[raw_name]
        print(
            f"{name:<22}{signs:>12,.0f}{verifies:>12,.0f}   {raw_sign / signs:>11.1f}x{raw_verify / verifies:>13.1f}x"
        )
    print(f"\nverify_credential (eddsa-rdfc-2022, did:key, all checks): {full_rate:,.0f}/s")

    print(_js_figures(unsigned, ed_key, issuer_did, method, n=n(200)))
    print()
    print(verify_batch.run(n=n(1000)))
    print(credit.run())
    print(bulk_award.run(n=200 if args.quick else None))  # BENCH_BULK_N sets a full run's size
    print(public_pages.run(requests=40 if args.quick else None))  # BENCH_PAGE_URLS adds pages
    return 0


def _js_figures(
    unsigned: dict[str, Any], key: ed25519.Ed25519PrivateKey, did: str, method: str, *, n: int
) -> str:
    """The same credential signed and verified by Digital Bazaar's JS stack, when it is installed."""
    try:
        from tests.interop import js
    except ImportError:  # pragma: no cover - the tests package is not installed with the wheel
        return "JS stack: not available (run from a checkout)"
    if not js.js_available():
        return f"JS stack: not available ({js.missing_reason()})"
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    figures = js.js_bench(unsigned, seed=seed, controller=did, verification_method=method, documents={}, n=n)
    return (
        f"JS stack (Digital Bazaar, eddsa-rdfc-2022, same credential): "
        f"{figures['sign_per_s']:,.0f} sign/s, {figures['verify_per_s']:,.0f} verify/s"
    )


if __name__ == "__main__":
    raise SystemExit(main())
