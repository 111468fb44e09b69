"""Data Integrity EdDSA cryptosuites: ``eddsa-rdfc-2022`` and ``eddsa-jcs-2022``.

https://www.w3.org/TR/vc-di-eddsa/ (§3.2 eddsa-rdfc-2022, §3.3 eddsa-jcs-2022) on top of
https://www.w3.org/TR/vc-data-integrity/.

One definition of "the bytes that get signed" (:func:`signing_input`) serves both sides: the issuer
signs those bytes with its own key and calls :func:`add_proof`; the verifier recomputes them in
:func:`verify_proof`. Nothing here can sign. Looking up the key named by ``verificationMethod`` is the
caller's job.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from keys.encoding import base58btc_decode, base58btc_encode
from keys.errors import KeysError
from verifier.canonical import jcs, rdfc_1_0
from verifier.document_loader import DEFAULT_LOADER, PinnedDocumentLoader
from verifier.errors import (
    ContextNotAllowedError,
    InvalidSignatureError,
    MalformedCredentialError,
    ProofError,
    ProofPurposeError,
    UnsupportedProofError,
)

__all__ = [
    "CRYPTOSUITES",
    "PROOF_TYPE",
    "add_proof",
    "hashing",
    "iter_proofs",
    "proof_configuration",
    "signing_input",
    "transformation",
    "verify_proof",
]

PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITES: Final = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
_RDFC: Final = "eddsa-rdfc-2022"
_JCS: Final = "eddsa-jcs-2022"
_SIGNATURE_LENGTH: Final = 64  # Ed25519 (RFC 8032)

# XML Schema 1.1 Part 2, dateTime lexical space (§3.3.7.2), years of 4+ digits, optional timezone.
_XSD_DATETIME: Final = re.compile(
    r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)"
    r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
)


def _check_suite(proof: Mapping[str, Any]) -> str:
    """Return the cryptosuite of a proof of an allowed type and suite, or raise."""
    proof_type = proof.get("type")
    if proof_type != PROOF_TYPE:
        raise UnsupportedProofError(f"unsupported proof type {proof_type!r} (allowed: {PROOF_TYPE})")
    suite = proof.get("cryptosuite")
    if suite not in CRYPTOSUITES:
        raise UnsupportedProofError(f"unsupported cryptosuite {suite!r} (allowed: {', '.join(CRYPTOSUITES)})")
    return str(suite)


def _as_mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedCredentialError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def proof_configuration(proof_options: Mapping[str, Any], *, document_context: Any) -> dict[str, Any]:
    """Build the proof configuration that gets canonicalized and hashed with the document.

    https://www.w3.org/TR/vc-di-eddsa/#proof-configuration-eddsa-rdfc-2022 and
    https://www.w3.org/TR/vc-di-eddsa/#proof-configuration-eddsa-jcs-2022

    Args:
        proof_options: the proof without ``proofValue`` (a ``proofValue`` is ignored).
        document_context: the ``@context`` of the unsecured document (``None`` if it has none).

    Returns:
        A new dict: the options, with ``@context`` set to ``document_context`` (eddsa-rdfc-2022 always;
        eddsa-jcs-2022 when the document has a context).

    Raises:
        UnsupportedProofError: ``type`` is not ``DataIntegrityProof`` or the cryptosuite is not allowed.
        MalformedCredentialError: ``created`` is present and not an XSD dateTime.
    """
    options = _as_mapping(proof_options, "proof")
    suite = _check_suite(options)
    created = options.get("created")
    if created is not None and not (isinstance(created, str) and _XSD_DATETIME.fullmatch(created)):
        raise MalformedCredentialError(f"proof 'created' is not an XSD dateTime: {created!r}")
    config = {key: copy.deepcopy(value) for key, value in options.items() if key != "proofValue"}
    if suite == _RDFC or document_context is not None:
        config["@context"] = copy.deepcopy(document_context)
    return config


def transformation(
    unsecured_document: Mapping[str, Any],
    *,
    cryptosuite: str,
    loader: PinnedDocumentLoader = DEFAULT_LOADER,
) -> str | bytes:
    """Canonicalize a document (or a proof configuration) the way the cryptosuite says.

    https://www.w3.org/TR/vc-di-eddsa/#transformation-eddsa-rdfc-2022 (RDFC-1.0 N-Quads) and
    https://www.w3.org/TR/vc-di-eddsa/#transformation-eddsa-jcs-2022 (JCS)

    Args:
        unsecured_document: the JSON-LD document without ``proof``.
        cryptosuite: ``"eddsa-rdfc-2022"`` or ``"eddsa-jcs-2022"``.
        loader: serves the pinned ``@context`` documents (RDFC only).

    Returns:
        The canonical N-Quads text (rdfc) or the JCS bytes (jcs).

    Raises:
        UnsupportedProofError: another cryptosuite.
        CanonicalizationError: the document cannot be canonicalized (undefined term, relative IRI,
            context not pinned, poison graph, non-JCS value).
    """
    document = _as_mapping(unsecured_document, "document")
    if cryptosuite == _RDFC:
        return rdfc_1_0(document, loader=loader)
    if cryptosuite == _JCS:
        return jcs(document)
    raise UnsupportedProofError(f"unsupported cryptosuite {cryptosuite!r}")


def _utf8(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def hashing(transformed_document: str | bytes, *, canonical_proof_config: str | bytes) -> bytes:
    """SHA-256 of the canonical proof configuration, then SHA-256 of the canonical document.

    https://www.w3.org/TR/vc-di-eddsa/#hashing-eddsa-rdfc-2022 and
    https://www.w3.org/TR/vc-di-eddsa/#hashing-eddsa-jcs-2022

    Args:
        transformed_document: the output of :func:`transformation` for the document.
        canonical_proof_config: the output of :func:`transformation` for the proof configuration.

    Returns:
        64 bytes: ``SHA-256(canonical_proof_config) || SHA-256(transformed_document)`` (UTF-8).
    """
    return (
        hashlib.sha256(_utf8(canonical_proof_config)).digest()
        + hashlib.sha256(_utf8(transformed_document)).digest()
    )


def _without_proof(document: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "proof"}


def signing_input(
    unsecured_document: Mapping[str, Any],
    proof_options: Mapping[str, Any],
    *,
    loader: PinnedDocumentLoader = DEFAULT_LOADER,
) -> bytes:
    """The bytes an Ed25519 key signs for a Data Integrity proof (steps 1 to 4 of proof creation).

    https://www.w3.org/TR/vc-di-eddsa/#create-proof-eddsa-rdfc-2022 and
    https://www.w3.org/TR/vc-di-eddsa/#create-proof-eddsa-jcs-2022

    Any ``proof`` already in the document is left out, so each proof of a proof set signs the same
    document (Data Integrity, "Proof Sets").

    Args:
        unsecured_document: the credential to sign.
        proof_options: ``type``, ``cryptosuite``, ``created``, ``verificationMethod``,
            ``proofPurpose`` (and optionally ``challenge``, ``domain``, ...), no ``proofValue``.
        loader: serves the pinned ``@context`` documents.

    Returns:
        The 64-byte hash data to sign (see :func:`hashing`).

    Raises:
        UnsupportedProofError: wrong proof type or cryptosuite.
        MalformedCredentialError: ``created`` is not an XSD dateTime, or the inputs are not objects.
        CanonicalizationError: the document or proof cannot be canonicalized.
    """
    document = _without_proof(_as_mapping(unsecured_document, "document"))
    config = proof_configuration(proof_options, document_context=document.get("@context"))
    suite = str(config["cryptosuite"])
    canonical_config = transformation(config, cryptosuite=suite, loader=loader)
    canonical_document = transformation(document, cryptosuite=suite, loader=loader)
    return hashing(canonical_document, canonical_proof_config=canonical_config)


def add_proof(
    unsecured_document: Mapping[str, Any],
    proof_options: Mapping[str, Any],
    signature: bytes,
) -> dict[str, Any]:
    """Attach a proof made from an Ed25519 signature over :func:`signing_input` (proof serialization).

    https://www.w3.org/TR/vc-di-eddsa/#proof-serialization-eddsa-rdfc-2022

    Args:
        unsecured_document: the document that was signed (existing proofs are kept: a proof set).
        proof_options: the same options given to :func:`signing_input`.
        signature: the 64-byte Ed25519 signature.

    Returns:
        A new document whose ``proof`` is a list ending with the new proof; its ``proofValue`` is
        ``"z"`` + base58btc(signature). An eddsa-jcs-2022 proof carries a copy of the document's
        ``@context``, as the W3C test vectors do.

    Raises:
        UnsupportedProofError: wrong proof type or cryptosuite.
        MalformedCredentialError: ``created`` is not an XSD dateTime.
        InvalidSignatureError: the signature is not 64 bytes.
    """
    document = _as_mapping(unsecured_document, "document")
    options = _as_mapping(proof_options, "proof options")
    config = proof_configuration(options, document_context=document.get("@context"))
    if len(signature) != _SIGNATURE_LENGTH:
        raise InvalidSignatureError(f"an Ed25519 signature is 64 bytes, got {len(signature)}")
    proof = {key: copy.deepcopy(value) for key, value in options.items() if key != "proofValue"}
    if config["cryptosuite"] == _JCS and "@context" in config:
        proof.setdefault("@context", config["@context"])
    proof["proofValue"] = "z" + base58btc_encode(signature)
    secured = copy.deepcopy(dict(document))
    secured["proof"] = [*iter_proofs(document), proof]
    return secured


def iter_proofs(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The proofs of a secured document (``proof`` may be one object or an array).

    https://www.w3.org/TR/vc-data-integrity/#proofs

    Args:
        document: a secured (or unsecured) document.

    Returns:
        The proof objects, in document order; empty when there is no ``proof``.

    Raises:
        MalformedCredentialError: ``proof`` is neither an object nor an array of objects.
    """
    proof = _as_mapping(document, "document").get("proof")
    if proof is None:
        return []
    if isinstance(proof, Mapping):
        return [proof]
    if isinstance(proof, list):
        return [_as_mapping(item, "each proof") for item in proof]
    raise MalformedCredentialError(f"proof must be an object or an array, got {type(proof).__name__}")


def _context_list(context: Any) -> list[Any]:
    if context is None:
        return []
    return list(context) if isinstance(context, list) else [context]


def decode_proof_value(proof_value: object) -> bytes:
    """The 64-byte Ed25519 signature in a ``proofValue`` (multibase base58btc); InvalidSignatureError otherwise."""
    if not isinstance(proof_value, str) or not proof_value.startswith("z"):
        raise InvalidSignatureError("proofValue must be a base58btc multibase string (starting with 'z')")
    try:
        signature = base58btc_decode(proof_value[1:])
    except KeysError as err:
        raise InvalidSignatureError(f"proofValue is not base58btc: {err}") from err
    if len(signature) != _SIGNATURE_LENGTH:
        raise InvalidSignatureError(f"proofValue must decode to 64 bytes, got {len(signature)}")
    return signature


def _check_challenge_and_domain(proof: Mapping[str, Any], challenge: str | None, domain: str | None) -> None:
    if challenge is not None and proof.get("challenge") != challenge:
        raise ProofError("proof challenge does not match the expected challenge")
    if domain is not None:
        proof_domain = proof.get("domain")
        domains = proof_domain if isinstance(proof_domain, list) else [proof_domain]
        if domain not in domains:
            raise ProofError("proof domain does not match the expected domain")


def verify_proof(
    secured_document: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: Ed25519PublicKey,
    *,
    expected_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
    loader: PinnedDocumentLoader = DEFAULT_LOADER,
) -> None:
    """Verify one eddsa-rdfc-2022 or eddsa-jcs-2022 proof of a secured document.

    https://www.w3.org/TR/vc-di-eddsa/#verify-proof-eddsa-rdfc-2022,
    https://www.w3.org/TR/vc-di-eddsa/#verify-proof-eddsa-jcs-2022 and
    https://www.w3.org/TR/vc-data-integrity/#verify-proof

    If the proof carries an ``@context`` (eddsa-jcs-2022 proofs do), the document's ``@context`` must
    start with it, and the document is checked with that context only.

    Args:
        secured_document: the document with its ``proof`` (one object or an array).
        proof: the proof to check, one of :func:`iter_proofs` of the document.
        public_key: the key the caller resolved from ``proof["verificationMethod"]``.
        expected_purpose: the proof purpose the caller requires.
        challenge: if given, ``proof["challenge"]`` must equal it.
        domain: if given, ``proof["domain"]`` must equal it or list it.
        loader: serves the pinned ``@context`` documents.

    Raises:
        UnsupportedProofError: the proof type or cryptosuite is not allowed, a proof chain
            (``previousProof``), or a key that is not Ed25519.
        MalformedCredentialError: ``verificationMethod``, ``proofPurpose`` or ``proofValue`` missing,
            or ``created`` not an XSD dateTime.
        ProofPurposeError: ``proofPurpose`` differs from ``expected_purpose``.
        ProofError: challenge or domain mismatch, or the proof's ``@context`` is not a prefix of
            the document's.
        InvalidSignatureError: ``proofValue`` is not base58btc multibase of 64 bytes, or the
            Ed25519 signature does not verify.
        CanonicalizationError: the document cannot be canonicalized.
    """
    document = _as_mapping(secured_document, "document")
    proof = _as_mapping(proof, "proof")
    _check_suite(proof)
    for member in ("verificationMethod", "proofPurpose", "proofValue"):
        if not proof.get(member):
            raise MalformedCredentialError(f"proof has no {member}")
    if "previousProof" in proof:
        raise UnsupportedProofError("proof chains (previousProof) are not supported")
    if proof["proofPurpose"] != expected_purpose:
        raise ProofPurposeError(
            f"proof purpose {proof['proofPurpose']!r} is not the expected {expected_purpose!r}"
        )
    _check_challenge_and_domain(proof, challenge, domain)
    if not isinstance(public_key, Ed25519PublicKey):
        raise UnsupportedProofError(
            f"eddsa cryptosuites need an Ed25519 key, got {type(public_key).__name__}"
        )
    signature = decode_proof_value(proof["proofValue"])

    unsecured = _without_proof(document)
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    if "@context" in options:
        proof_context = _context_list(options["@context"])
        document_context = _context_list(unsecured.get("@context"))
        if document_context[: len(proof_context)] != proof_context:
            raise ProofError("the document @context does not start with the proof's @context")
        # Entries after the proof's context are not signed (VC-DI-EDDSA §3.3.2 step 4), yet a reader of
        # the document would apply them: only pinned contexts may stand there, as everywhere else.
        for entry in document_context[len(proof_context) :]:
            if not isinstance(entry, str) or entry not in loader.urls:
                raise ContextNotAllowedError(
                    f"unsigned @context entry {entry!r} is not one of the pinned contexts"
                )
        unsecured["@context"] = options["@context"]
    data = signing_input(unsecured, options, loader=loader)
    try:
        public_key.verify(signature, data)
    except InvalidSignature as err:
        raise InvalidSignatureError("Ed25519 signature does not verify") from err
