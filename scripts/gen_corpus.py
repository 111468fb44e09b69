"""Write the corpus of valid and invalid credentials in tests/vectors/credentials/, or check it is current.

The corpus is built with the project's own issuance (``build_credential``, ``sign_data_integrity``,
``sign_vc_jwt``) and the test-only keys in tests/vectors/keys/, at a fixed clock, with fixed ids and
salts. Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic, so every file comes out byte for byte
the same, except the ES256 token (ECDSA signatures are randomized): it is kept as committed while its
header and payload still match, and re-signed only with ``--es256``.

Layout (relative to tests/vectors/credentials/):

- ``valid/*.json|.jwt``: must verify as valid at the fixed clock;
- ``invalid/<ERROR_CODE>/*``: must fail with exactly that code. A case that legitimately fails a second
  check would be listed in an ``expected.json`` beside it, ``{"<file>": {"also": ["CODE"], "why": "..."}}``;
  there is none today;
- ``documents/``: the did:web DID documents and status list credentials the cases need;
- ``resolve-map.json``: URL -> document file, relative to the map (the CLI's ``--resolve`` format);
- ``README.md``: every case and what it is, generated from the same table.

Two MALFORMED_CREDENTIAL inputs are not committed: a 50 MB input and JSON nested 100,000 levels deep;
the test builds them at run time.

Usage (from the repository root):
    .venv/bin/python scripts/gen_corpus.py           # (re)write the corpus
    .venv/bin/python scripts/gen_corpus.py --check   # exit 1 if a committed file differs or is missing
    .venv/bin/python scripts/gen_corpus.py --es256   # also re-sign the ES256 token
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key

from issuer.definitions import BadgeCatalog, load_catalog
from issuer.issuance import Attester, Award, IssuerProfile, build_credential, sign_data_integrity, sign_vc_jwt
from keys.encoding import did_key_from_public_key, did_web_to_url, jwk_thumbprint, public_key_to_jwk
from keys.publish import did_document
from keys.signer import Ed25519Signer, P256Signer, RsaSigner, Signer
from keys.store import KeyRecord
from verifier.proofs import data_integrity, vc_jwt
from verifier.status import BitstringStatusList, status_entry, status_list_credential

if TYPE_CHECKING:
    from collections.abc import Mapping

REPO = Path(__file__).resolve().parents[1]
KEYS_DIR = REPO / "tests" / "vectors" / "keys"
CORPUS_DIR = REPO / "tests" / "vectors" / "credentials"
BADGE_DEFS = REPO / "badge_defs"

#: The corpus clock: every case is judged at this moment.
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
WEB_DID = "did:web:corpus.example"
ROTATED_DID = "did:web:corpus.example:rotated"
UNMAPPED_DID = "did:web:unmapped.example"
STATUS_BASE = "https://corpus.example/status/revocation"
LEARNER_EMAIL = "learner@example.org"
# A learner DID for the VC-JWT cases (a JWT needs credentialSubject.id for its sub claim).
LEARNER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
ES256_CASE = "valid/jwt-es256-did-web.jwt"

_ID_NAMESPACE = uuid.UUID("6f0b5c8e-3d4a-4c1b-9e2f-0a7d6c5b4e3f")
_REVOKED_INDEX = 4242
_CLEAR_INDEX = 1337
_FORGED_INDEX = 777


@dataclass(frozen=True)
class CorpusKeys:
    """The test-only keys, as signers (and the raw Ed25519 key, for the "jwk with d" case)."""

    ed_signer: Signer
    other_signer: Signer
    rsa_signer: Signer
    p256_signer: Signer
    ed_private: ed25519.Ed25519PrivateKey
    rsa_public_pem: bytes


@dataclass
class Corpus:
    """Generated files (relative path -> bytes) and one line per case for the README."""

    files: dict[str, bytes] = field(default_factory=dict)
    cases: list[tuple[str, str]] = field(default_factory=list)

    def add(self, path: str, content: bytes, description: str) -> None:
        """Add a case file and its description."""
        self.files[path] = content
        self.cases.append((path, description))


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _key_id(signer_key: Any) -> str:
    return jwk_thumbprint(public_key_to_jwk(signer_key.public_key()))


def load_keys(directory: Path) -> CorpusKeys:
    """Read the test-only keys of tests/vectors/keys/ and wrap them in signers (key id = JWK thumbprint).

    Args:
        directory: the keys folder.

    Returns:
        The signers.

    Raises:
        OSError: a key file is missing.
        KeysError: a key file holds an unusable key.
    """
    seed = bytes.fromhex((directory / "ed25519.seed.hex").read_text(encoding="ascii").strip())
    other_seed = bytes.fromhex((directory / "ed25519-other.seed.hex").read_text(encoding="ascii").strip())
    ed_key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    other_key = ed25519.Ed25519PrivateKey.from_private_bytes(other_seed)
    rsa_key = load_pem_private_key((directory / "rsa2048.pem").read_bytes(), password=None)
    p256_key = load_pem_private_key((directory / "p256.pem").read_bytes(), password=None)
    if not isinstance(rsa_key, rsa.RSAPrivateKey) or not isinstance(p256_key, ec.EllipticCurvePrivateKey):
        raise TypeError("rsa2048.pem must hold an RSA key and p256.pem a P-256 key")
    return CorpusKeys(
        ed_signer=Ed25519Signer(ed_key, key_id=_key_id(ed_key)),
        other_signer=Ed25519Signer(other_key, key_id=_key_id(other_key)),
        rsa_signer=RsaSigner(rsa_key, key_id=_key_id(rsa_key)),
        p256_signer=P256Signer(p256_key, key_id=_key_id(p256_key)),
        ed_private=ed_key,
        rsa_public_pem=rsa_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
    )


def _record(signer: Signer) -> KeyRecord:
    return KeyRecord(
        key_id=signer.key_id,
        algorithm=signer.algorithm,
        status="active",
        created=NOW - timedelta(days=365),
        public_jwk=public_key_to_jwk(signer.public_key()),
    )


def corpus_did_document(keys: CorpusKeys) -> dict[str, Any]:
    """The DID document of ``did:web:corpus.example``.

    Its Ed25519, RSA and P-256 keys are listed for assertions; the second Ed25519 key only under
    ``authentication`` (a key the issuer controls but does not issue with).

    Args:
        keys: the test keys.

    Returns:
        The DID document.
    """
    records = [
        _record(keys.ed_signer),
        _record(keys.rsa_signer),
        _record(keys.p256_signer),
        _record(keys.other_signer),
    ]
    document = did_document(WEB_DID, records)
    other = f"{WEB_DID}#{keys.other_signer.key_id}"
    document["assertionMethod"] = [m for m in _str_list(document["assertionMethod"]) if m != other]
    return document


def _str_list(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _method(did: str, signer: Signer) -> str:
    if did.startswith("did:key:"):
        return f"{did}#{did.removeprefix('did:key:')}"
    return f"{did}#{signer.key_id}"


class _Builder:
    """Builds every case; one instance per generation."""

    def __init__(self, keys: CorpusKeys, catalog: BadgeCatalog, stored: Mapping[str, bytes], *, resign: bool):
        self.keys = keys
        self.catalog = catalog
        self.stored = stored
        self.resign = resign
        self.corpus = Corpus()
        self.did_key = did_key_from_public_key(keys.ed_signer.public_key())

    # ---- credentials ---------------------------------------------------------------------------

    def credential(
        self,
        case: str,
        *,
        issuer: str = WEB_DID,
        slug: str = "math-7rp-proportional",
        recipient: str = LEARNER_EMAIL,
        issued: datetime = NOW - timedelta(days=7),
        status: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An unsigned credential whose id and salt are fixed by the case name."""
        definition = self.catalog.get(slug)
        attester = (
            Attester(id="https://corpus.example/staff/okafor", name="R. Okafor", role="supervisor")
            if slug.startswith("weld")
            else None
        )
        award = Award(definition=definition, level=3, recipient=recipient, attester=attester)
        profile = IssuerProfile(id=issuer, name="Corpus Test Issuer", url="https://corpus.example")
        return build_credential(
            award,
            profile,
            credential_id=f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, case)}",
            now=issued,
            salt=hashlib.sha256(case.encode("utf-8")).hexdigest()[:16],
            status=status,
        )

    def ldp(
        self,
        credential: dict[str, Any],
        *,
        signer: Signer | None = None,
        method: str | None = None,
        cryptosuite: Any = "eddsa-rdfc-2022",
        created: datetime | None = None,
        purpose: str = "assertionMethod",
    ) -> dict[str, Any]:
        """Sign with a Data Integrity proof; by default the issuer's Ed25519 key."""
        signer = signer or self.keys.ed_signer
        issuer = credential["issuer"]["id"] if isinstance(credential.get("issuer"), dict) else WEB_DID
        method = method or _method(issuer, signer)
        moment = created or datetime.fromisoformat(str(credential.get("validFrom", NOW.isoformat())))
        if purpose == "assertionMethod":
            return sign_data_integrity(
                credential, signer, verification_method=method, created=moment, cryptosuite=cryptosuite
            )
        # sign_data_integrity always states assertionMethod; another purpose needs the bare steps.
        options = {
            "type": "DataIntegrityProof",
            "cryptosuite": cryptosuite,
            "created": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "verificationMethod": method,
            "proofPurpose": purpose,
        }
        signature = signer.sign(data_integrity.signing_input(credential, options))
        return data_integrity.add_proof(credential, options, signature)

    def jwt(self, credential: dict[str, Any], signer: Signer, *, kid: str | None = None) -> str:
        """Sign as an OB 3.0 VC-JWT with the issuer's key of the signer's algorithm."""
        return sign_vc_jwt(credential, signer, kid=kid or _method(WEB_DID, signer))

    def raw_jwt(
        self,
        header: Mapping[str, Any],
        claims: Mapping[str, Any],
        *,
        signer: Signer | None = None,
        hmac_key: bytes | None = None,
    ) -> str:
        """A JWS with any header: signed by ``signer``, with HMAC-SHA256, or unsigned."""
        signing_input = vc_jwt.signing_input(header, claims)
        if signer is not None:
            signature = signer.sign(signing_input)
        elif hmac_key is not None:
            signature = hmac.new(hmac_key, signing_input, hashlib.sha256).digest()
        else:
            signature = b""
        return vc_jwt.assemble(signing_input, signature)

    # ---- output --------------------------------------------------------------------------------

    def add_json(self, path: str, value: Any, description: str) -> None:
        self.corpus.add(path, _json_bytes(value), description)

    def add_text(self, path: str, text: str, description: str) -> None:
        self.corpus.add(path, (text + "\n").encode("utf-8"), description)

    def add_es256(self, path: str, credential: dict[str, Any], description: str) -> None:
        """The ES256 token: kept as committed while its signing input is unchanged (ECDSA is randomized)."""
        kid = _method(WEB_DID, self.keys.p256_signer)
        signing_input = vc_jwt.signing_input(
            vc_jwt.jose_header("ES256", kid=kid), vc_jwt.jwt_claims(credential)
        ).decode("ascii")
        stored = self.stored.get(path, b"").decode("utf-8", "replace").strip()
        if not self.resign and stored.rpartition(".")[0] == signing_input:
            token = stored
        else:
            token = self.jwt(credential, self.keys.p256_signer)
        self.add_text(path, token, description)


def _flip_hex(text: str) -> str:
    """Change the last hex digit of ``text`` (a hash stays a well-formed hash)."""
    last = text[-1]
    return text[:-1] + ("0" if last != "0" else "1")


def _tamper_jwt_payload(token: str, change: Mapping[str, Any]) -> str:
    header_b64, payload_b64, signature_b64 = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    payload.update(change)
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    return vc_jwt.signing_input(header, payload).decode("ascii") + "." + signature_b64


def _status_list(
    builder: _Builder,
    *,
    url: str,
    revoked: set[int],
    issuer: str = WEB_DID,
    signer: Signer | None = None,
) -> dict[str, Any]:
    bits = BitstringStatusList()
    for index in revoked:
        bits.set(index, 1)
    unsigned = status_list_credential(
        list_url=url,
        issuer=issuer,
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from=NOW - timedelta(days=30),
    )
    return builder.ldp(unsigned, signer=signer, method=_method(issuer, signer or builder.keys.ed_signer))


def _documents(builder: _Builder) -> dict[str, str]:
    """Write documents/ and return the resolve map (URL -> relative file)."""
    keys = builder.keys
    resolve: dict[str, str] = {}

    def document(url: str, file: str, value: dict[str, Any], description: str) -> None:
        builder.add_json(f"documents/{file}", value, description)
        resolve[url] = f"documents/{file}"

    document(
        did_web_to_url(WEB_DID),
        "did-web-corpus.json",
        corpus_did_document(keys),
        f"DID document of {WEB_DID}: Ed25519, RSA and P-256 keys for assertions, a second Ed25519 key "
        "for authentication only",
    )
    # The issuer rotated its Ed25519 key out: the document no longer lists the key older badges name.
    rotated = did_document(ROTATED_DID, [_record(keys.rsa_signer)])
    document(
        did_web_to_url(ROTATED_DID),
        "did-web-corpus-rotated.json",
        rotated,
        f"DID document of {ROTATED_DID}: lists only the RSA key, not the Ed25519 key its badge names",
    )
    document(
        f"{STATUS_BASE}/1",
        "status-revocation-1.json",
        _status_list(builder, url=f"{STATUS_BASE}/1", revoked={_REVOKED_INDEX}),
        f"revocation list of {WEB_DID} (131,072 entries; index {_REVOKED_INDEX} set)",
    )
    # Forged: the issuer's signed list with the bits cleared afterwards, to un-revoke a badge.
    forged = _status_list(builder, url=f"{STATUS_BASE}/forged", revoked={_FORGED_INDEX})
    forged["credentialSubject"]["encodedList"] = BitstringStatusList().encode()
    document(
        f"{STATUS_BASE}/forged",
        "status-revocation-forged.json",
        forged,
        f"forged revocation list: signed with index {_FORGED_INDEX} set, then every bit cleared",
    )
    document(
        f"{STATUS_BASE}/foreign",
        "status-revocation-foreign-issuer.json",
        _status_list(builder, url=f"{STATUS_BASE}/foreign", revoked=set(), issuer=builder.did_key),
        "a well-signed revocation list, but issued by a did:key, not by the badge's issuer",
    )
    return dict(sorted(resolve.items()))


def _valid(builder: _Builder) -> None:
    b = builder
    b.add_json(
        "valid/ldp-rdfc-did-web.json",
        b.ldp(b.credential("ldp-rdfc-did-web")),
        "eddsa-rdfc-2022, did:web issuer, hashed e-mail recipient",
    )
    did_key_credential = b.credential("ldp-rdfc-did-key", issuer=b.did_key, slug="weld-smaw-3f")
    b.add_json(
        "valid/ldp-rdfc-did-key.json",
        b.ldp(did_key_credential),
        "eddsa-rdfc-2022, did:key issuer, a badge valid for 3 years with an attester",
    )
    b.add_json(
        "valid/ldp-jcs-did-web.json",
        b.ldp(b.credential("ldp-jcs-did-web"), cryptosuite="eddsa-jcs-2022"),
        "eddsa-jcs-2022, did:web issuer",
    )
    entry = status_entry(list_url=f"{STATUS_BASE}/1", index=_CLEAR_INDEX, purpose="revocation")
    b.add_json(
        "valid/ldp-rdfc-status-clear.json",
        b.ldp(b.credential("ldp-rdfc-status-clear", status=entry)),
        f"eddsa-rdfc-2022 with a BitstringStatusListEntry whose bit ({_CLEAR_INDEX}) is clear",
    )
    b.add_text(
        "valid/jwt-rs256-did-web.jwt",
        b.jwt(b.credential("jwt-rs256-did-web", recipient=LEARNER_DID), b.keys.rsa_signer),
        "VC-JWT RS256, kid = the did:web RSA key (JsonWebKey)",
    )
    b.add_text(
        "valid/jwt-eddsa-did-web.jwt",
        b.jwt(
            b.credential("jwt-eddsa-did-web", recipient=LEARNER_DID, slug="weld-smaw-3f"), b.keys.ed_signer
        ),
        "VC-JWT EdDSA, kid = the did:web Ed25519 key, with exp (validUntil)",
    )
    b.add_es256(
        ES256_CASE,
        b.credential("jwt-es256-did-web", recipient=LEARNER_DID),
        "VC-JWT ES256 (signed once and kept: ECDSA signatures are randomized; re-sign with --es256)",
    )


def _invalid_signature(b: _Builder) -> None:
    code = "invalid/INVALID_SIGNATURE"
    signed = b.ldp(b.credential("tampered"))

    def tampered(edit: Any) -> dict[str, Any]:
        copied = copy.deepcopy(signed)
        edit(copied)
        return copied

    b.add_json(
        f"{code}/ldp-tampered-name.json",
        tampered(lambda c: c.update(name=c["name"] + " (Honours)")),
        "credential name changed after signing",
    )

    def raise_level(c: dict[str, Any]) -> None:
        result = c["credentialSubject"]["result"][0]
        result["achievedLevel"] = result["achievedLevel"].replace("level-3", "level-4")

    b.add_json(f"{code}/ldp-tampered-level.json", tampered(raise_level), "achieved level 3 changed to 4")

    def other_recipient(c: dict[str, Any]) -> None:
        identity = c["credentialSubject"]["identifier"][0]
        identity["identityHash"] = _flip_hex(identity["identityHash"])

    b.add_json(
        f"{code}/ldp-tampered-recipient-hash.json",
        tampered(other_recipient),
        "recipient identityHash changed (the badge handed to someone else)",
    )
    b.add_json(
        f"{code}/ldp-tampered-valid-from.json",
        tampered(lambda c: c.update(validFrom=c["validFrom"].replace("2026-", "2025-", 1))),
        "validFrom moved a year earlier (still in the past, so only the signature fails)",
    )
    b.add_json(
        f"{code}/ldp-proof-from-another-key.json",
        b.ldp(
            b.credential("another-key"), signer=b.keys.other_signer, method=_method(WEB_DID, b.keys.ed_signer)
        ),
        "signed by another Ed25519 key, naming the issuer's key as verificationMethod",
    )
    token = b.jwt(b.credential("jwt-tampered", recipient=LEARNER_DID), b.keys.rsa_signer)
    b.add_text(
        f"{code}/jwt-rs256-tampered-payload.jwt",
        _tamper_jwt_payload(token, {"name": "Proportional Relationships (Honours)"}),
        "RS256 VC-JWT whose payload name was changed after signing",
    )
    b.add_text(
        f"{code}/jwt-eddsa-another-key.jwt",
        b.jwt(
            b.credential("jwt-another-key", recipient=LEARNER_DID),
            b.keys.other_signer,
            kid=_method(WEB_DID, b.keys.ed_signer),
        ),
        "EdDSA VC-JWT signed by another key, naming the issuer's key as kid",
    )


def _unsupported_proof(b: _Builder) -> None:
    code = "invalid/UNSUPPORTED_PROOF"
    signed = b.ldp(b.credential("unsupported"))
    unknown_suite = copy.deepcopy(signed)
    unknown_suite["proof"][0]["cryptosuite"] = "eddsa-2099"
    b.add_json(f"{code}/ldp-unknown-cryptosuite.json", unknown_suite, "cryptosuite 'eddsa-2099'")
    old_type = copy.deepcopy(signed)
    old_type["proof"][0]["type"] = "Ed25519Signature2020"
    del old_type["proof"][0]["cryptosuite"]
    b.add_json(
        f"{code}/ldp-proof-type-ed25519-signature-2020.json",
        old_type,
        "proof type Ed25519Signature2020 (not DataIntegrityProof)",
    )
    credential = b.credential("jwt-unsupported", recipient=LEARNER_DID)
    claims = vc_jwt.jwt_claims(credential)
    kid = _method(WEB_DID, b.keys.rsa_signer)
    b.add_text(
        f"{code}/jwt-alg-none.jwt", b.raw_jwt({"alg": "none", "typ": "JWT"}, claims), "alg none, no signature"
    )
    b.add_text(
        f"{code}/jwt-hs256-rsa-public-key-as-secret.jwt",
        b.raw_jwt({"alg": "HS256", "kid": kid, "typ": "JWT"}, claims, hmac_key=b.keys.rsa_public_pem),
        "HS256 keyed with the issuer's RSA public key PEM (algorithm confusion)",
    )
    private_jwk = {
        **public_key_to_jwk(b.keys.ed_signer.public_key()),
        "d": base64.urlsafe_b64encode(b.keys.ed_private.private_bytes_raw()).rstrip(b"=").decode(),
    }
    b.add_text(
        f"{code}/jwt-jwk-header-with-private-key.jwt",
        b.raw_jwt({"alg": "EdDSA", "jwk": private_jwk, "typ": "JWT"}, claims, signer=b.keys.ed_signer),
        "EdDSA, key embedded as jwk with its private member d",
    )
    b.add_text(
        f"{code}/jwt-extra-jose-header-jku.jwt",
        b.raw_jwt(
            {"alg": "RS256", "kid": kid, "typ": "JWT", "jku": "https://attacker.example/jwks.json"},
            claims,
            signer=b.keys.rsa_signer,
        ),
        "RS256 with an extra jku header (OB 3.0 allows only alg, kid, jwk, typ)",
    )


def _context_and_canonicalization(b: _Builder) -> None:
    signed = b.ldp(b.credential("context"))
    injected = copy.deepcopy(signed)
    injected["@context"].append("https://attacker.example/contexts/redefine.jsonld")
    b.add_json(
        "invalid/CONTEXT_NOT_ALLOWED/ldp-injected-context.json",
        injected,
        "a context URL that is not pinned, appended after signing",
    )
    code = "invalid/CANONICALIZATION_ERROR"
    undefined = copy.deepcopy(signed)
    undefined["favouriteColour"] = "teal"
    b.add_json(
        f"{code}/ldp-undefined-term.json",
        undefined,
        "a property no context defines (dropped outside safe mode)",
    )
    relative = copy.deepcopy(signed)
    relative["credentialSubject"]["achievement"]["type"].append("MicroCredential")
    b.add_json(f"{code}/ldp-relative-type.json", relative, "an undefined type, a relative @type IRI")


def _validity_and_status(b: _Builder) -> None:
    expired = b.credential("expired", slug="weld-smaw-3f", issued=NOW - timedelta(days=4 * 365))
    b.add_json(
        "invalid/EXPIRED/ldp-expired.json",
        b.ldp(expired),
        "a 3-year badge issued four years before the clock",
    )
    expired_jwt = b.credential(
        "jwt-expired", slug="weld-smaw-3f", recipient=LEARNER_DID, issued=NOW - timedelta(days=4 * 365)
    )
    b.add_text(
        "invalid/EXPIRED/jwt-rs256-expired.jwt",
        b.jwt(expired_jwt, b.keys.rsa_signer),
        "RS256 VC-JWT whose exp (validUntil) has passed",
    )
    future = b.credential("not-yet-valid", issued=NOW + timedelta(days=30))
    b.add_json(
        "invalid/NOT_YET_VALID/ldp-valid-from-next-month.json",
        b.ldp(future),
        "validFrom 30 days after the clock",
    )
    revoked = status_entry(list_url=f"{STATUS_BASE}/1", index=_REVOKED_INDEX, purpose="revocation")
    b.add_json(
        "invalid/REVOKED/ldp-revoked.json",
        b.ldp(b.credential("revoked", status=revoked)),
        f"its bit ({_REVOKED_INDEX}) is set in the issuer's revocation list",
    )
    code = "invalid/STATUS_LIST_ERROR"
    forged = status_entry(list_url=f"{STATUS_BASE}/forged", index=_FORGED_INDEX, purpose="revocation")
    b.add_json(
        f"{code}/ldp-forged-status-list.json",
        b.ldp(b.credential("forged-list", status=forged)),
        "points at documents/status-revocation-forged.json, whose proof no longer verifies",
    )
    foreign = status_entry(list_url=f"{STATUS_BASE}/foreign", index=_CLEAR_INDEX, purpose="revocation")
    b.add_json(
        f"{code}/ldp-status-list-of-another-issuer.json",
        b.ldp(b.credential("foreign-list", status=foreign)),
        "points at a valid list issued by someone else (documents/status-revocation-foreign-issuer.json)",
    )
    out_of_range = status_entry(list_url=f"{STATUS_BASE}/1", index=200_000, purpose="revocation")
    b.add_json(
        f"{code}/ldp-status-index-out-of-range.json",
        b.ldp(b.credential("index-out-of-range", status=out_of_range)),
        "statusListIndex 200000 in a list of 131,072 entries",
    )


def _keys_and_claims(b: _Builder) -> None:
    rotated = b.credential("rotated", issuer=ROTATED_DID)
    b.add_json(
        "invalid/INVALID_VERIFICATION_METHOD/ldp-did-web-document-without-the-key.json",
        b.ldp(rotated, method=_method(ROTATED_DID, b.keys.ed_signer)),
        f"names {ROTATED_DID}#<Ed25519 key>, which that DID document does not list",
    )
    b.add_text(
        "invalid/INVALID_VERIFICATION_METHOD/jwt-kid-not-in-did-document.jwt",
        b.jwt(
            b.credential("jwt-missing-kid", recipient=LEARNER_DID),
            b.keys.rsa_signer,
            kid=f"{WEB_DID}#rsa-2019",
        ),
        f"RS256 VC-JWT whose kid ({WEB_DID}#rsa-2019) the DID document does not list",
    )
    code = "invalid/ISSUER_KEY_MISMATCH"
    b.add_json(
        f"{code}/ldp-key-not-under-assertion-method.json",
        b.ldp(b.credential("authentication-key"), signer=b.keys.other_signer),
        "signed with the issuer's key that is listed only under authentication",
    )
    b.add_json(
        f"{code}/ldp-did-key-proof-for-did-web-issuer.json",
        b.ldp(b.credential("did-key-for-did-web"), method=_method(b.did_key, b.keys.ed_signer)),
        "issuer did:web, proof by a did:key (another controller) that signs correctly",
    )
    b.add_text(
        f"{code}/jwt-kid-of-another-controller.jwt",
        b.jwt(
            b.credential("jwt-did-key-kid", recipient=LEARNER_DID),
            b.keys.ed_signer,
            kid=_method(b.did_key, b.keys.ed_signer),
        ),
        "EdDSA VC-JWT with iss = the did:web issuer but kid = a did:key",
    )
    b.add_json(
        "invalid/INVALID_PROOF_PURPOSE/ldp-proof-purpose-authentication.json",
        b.ldp(b.credential("purpose"), purpose="authentication"),
        "a valid signature whose proofPurpose is authentication, not assertionMethod",
    )
    code = "invalid/JWT_CLAIMS_MISMATCH"
    credential = b.credential("jwt-claims", recipient=LEARNER_DID)
    claims = vc_jwt.jwt_claims(credential)
    header = vc_jwt.jose_header("RS256", kid=_method(WEB_DID, b.keys.rsa_signer))
    b.add_text(
        f"{code}/jwt-jti-differs-from-id.jwt",
        b.raw_jwt(
            header,
            {**claims, "jti": f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, 'other')}"},
            signer=b.keys.rsa_signer,
        ),
        "signed RS256 VC-JWT whose jti is not the credential id",
    )
    b.add_text(
        f"{code}/jwt-nbf-differs-from-valid-from.jwt",
        b.raw_jwt(header, {**claims, "nbf": claims["nbf"] - 86_400}, signer=b.keys.rsa_signer),
        "signed RS256 VC-JWT whose nbf is a day before validFrom",
    )
    b.add_json(
        "invalid/KEY_RESOLUTION_ERROR/ldp-did-web-not-retrievable.json",
        b.ldp(b.credential("unmapped", issuer=UNMAPPED_DID)),
        f"issuer {UNMAPPED_DID}: its DID document is not in the resolve map and the network is off "
        "(verdict indeterminate)",
    )
    b.add_text(
        "invalid/KEY_RESOLUTION_ERROR/jwt-did-web-not-retrievable.jwt",
        b.jwt(
            b.credential("jwt-unmapped", issuer=UNMAPPED_DID, recipient=LEARNER_DID),
            b.keys.rsa_signer,
            kid=_method(UNMAPPED_DID, b.keys.rsa_signer),
        ),
        f"RS256 VC-JWT whose kid is under {UNMAPPED_DID} (verdict indeterminate)",
    )


def _malformed(b: _Builder) -> None:
    code = "invalid/MALFORMED_CREDENTIAL"
    signed = b.ldp(b.credential("malformed"))
    text = json.dumps(signed, indent=2, ensure_ascii=False)
    b.corpus.add(
        f"{code}/malformed-json.json",
        text[: len(text) // 2].encode("utf-8"),
        "a signed credential cut off half-way",
    )
    b.add_json(
        f"{code}/not-a-credential.json", corpus_did_document(b.keys), "a DID document, not a credential"
    )
    without_subject = b.credential("no-subject")
    del without_subject["credentialSubject"]
    b.add_json(
        f"{code}/missing-credential-subject.json",
        b.ldp(without_subject),
        "validly signed, but without credentialSubject",
    )
    b.add_json(f"{code}/array-instead-of-object.json", [signed], "a valid credential wrapped in a JSON array")


def _readme(corpus: Corpus, resolve: Mapping[str, str]) -> bytes:
    lines = [
        "# Credential corpus (generated: do not edit)",
        "",
        "Written by `scripts/gen_corpus.py` from the test-only keys in `tests/vectors/keys/`; checked by",
        "`tests/unit/verifier/test_corpus.py` (each file yields exactly its folder's code) and compared",
        "with the JavaScript stack by `tests/interop/test_corpus_agreement.py`.",
        "",
        f"Clock: `{NOW.strftime('%Y-%m-%dT%H:%M:%SZ')}`. Resolution: `resolve-map.json` only, network off.",
        "Not committed, built by the test at run time (MALFORMED_CREDENTIAL): a 50 MB input, and JSON",
        "nested 100,000 levels deep. No case fails a second check, so there is no `expected.json`.",
        "",
        "| file | what it is |",
        "| --- | --- |",
    ]
    lines += [f"| `{path}` | {description} |" for path, description in sorted(corpus.cases)]
    lines += ["", "## Resolve map", "", "| URL | file |", "| --- | --- |"]
    lines += [f"| `{url}` | `{file}` |" for url, file in resolve.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def build_corpus(
    keys: CorpusKeys, *, stored: Mapping[str, bytes], resign_es256: bool = False
) -> dict[str, bytes]:
    """Build every corpus file in memory.

    Args:
        keys: the test-only keys.
        stored: the files committed now (relative path -> bytes); the ES256 token is kept from here.
        resign_es256: sign the ES256 token afresh even if the stored one still matches.

    Returns:
        Relative path (under tests/vectors/credentials/) -> file content.
    """
    catalog = load_catalog(BADGE_DEFS / "badges", lock_path=BADGE_DEFS / "published.lock.json")
    builder = _Builder(keys, catalog, stored, resign=resign_es256)
    resolve = _documents(builder)
    _valid(builder)
    _invalid_signature(builder)
    _unsupported_proof(builder)
    _context_and_canonicalization(builder)
    _validity_and_status(builder)
    _keys_and_claims(builder)
    _malformed(builder)
    files = dict(builder.corpus.files)
    files["resolve-map.json"] = _json_bytes(resolve)
    files["README.md"] = _readme(builder.corpus, resolve)
    return dict(sorted(files.items()))


def read_tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory``, by path relative to it (POSIX separators).

    Args:
        directory: the corpus folder (it may not exist yet).

    Returns:
        Relative path -> bytes.
    """
    if not directory.is_dir():
        return {}
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def main(argv: list[str] | None = None) -> int:
    """Generate or check the corpus.

    Args:
        argv: Command-line arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        0 when the corpus was written or is current, 1 when ``--check`` finds a file stale, missing or extra.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if a file differs")
    parser.add_argument("--es256", action="store_true", help="re-sign the ES256 token (it changes)")
    args = parser.parse_args(argv)
    corpus_dir = CORPUS_DIR
    stored = read_tree(corpus_dir)
    generated = build_corpus(load_keys(KEYS_DIR), stored=stored, resign_es256=args.es256)
    stale = sorted(path for path, content in generated.items() if stored.get(path) != content)
    extra = sorted(set(stored) - set(generated))
    if args.check:
        for path in stale:
            print(f"{path}: {'differs' if path in stored else 'missing'}", file=sys.stderr)
        for path in extra:
            print(f"{path}: not generated (remove it or regenerate the corpus)", file=sys.stderr)
        return 1 if stale or extra else 0
    for path in stale:
        target = corpus_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(generated[path])
    for path in extra:
        (corpus_dir / path).unlink()
    print(f"{len(generated)} files, {len(stale)} written, {len(extra)} removed under {corpus_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
