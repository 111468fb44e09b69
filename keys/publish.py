"""Publish the store's public keys: a did:web DID document and a JWKS.

Active and retired keys are published (old badges must keep verifying); revoked keys never are.
Active keys come first, then retired ones, newest first within each group, so a consumer that
takes the first entry gets the key that signs today.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import rsa

from keys.encoding import public_key_to_multikey
from keys.errors import InvalidKeyError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from keys.store import KeyRecord

__all__ = ["DID_DOCUMENT_CONTEXT", "did_document", "jwks"]

DID_DOCUMENT_CONTEXT = (
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/jwk/v1",
)
"""The ``@context`` of the DID documents built here (DID core, Multikey, JsonWebKey)."""


def _published(records: Sequence[KeyRecord]) -> list[KeyRecord]:
    published = [record for record in records if record.is_published]
    # Newest first, then a stable sort puts active keys ahead of retired ones.
    published.sort(key=lambda record: record.created, reverse=True)
    published.sort(key=lambda record: record.status != "active")
    return published


def _check_did(did: str) -> None:
    if not did.startswith("did:") or did.count(":") < 2 or any(char in did for char in "/?#"):
        raise InvalidKeyError(f"not a DID (no path, query or fragment allowed): {did[:80]!r}")


def did_document(
    did: str, records: Sequence[KeyRecord], *, also_known_as: str | None = None
) -> dict[str, object]:
    """Build the DID document that lists the published keys as verification methods.

    https://www.w3.org/TR/did-core/#verification-methods and https://www.w3.org/TR/cid-1.0/#Multikey

    Ed25519 and P-256 keys appear as ``Multikey`` (``publicKeyMultibase``), RSA keys as
    ``JsonWebKey`` (``publicKeyJwk``). Each method id is ``did#<key_id>``. ``assertionMethod`` and
    ``authentication`` reference every published key.

    Args:
        did: the DID the document describes (e.g. a did:web).
        records: key records from the store; revoked ones are left out.
        also_known_as: an optional URL or identifier the subject is also known as (``alsoKnownAs``).

    Returns:
        The DID document as a JSON-ready dict.

    Raises:
        InvalidKeyError: ``did`` is not a DID, or a record holds an unusable key.
    """
    _check_did(did)
    methods: list[dict[str, object]] = []
    for record in _published(records):
        public_key = record.public_key()
        method: dict[str, object] = {"id": f"{did}#{record.key_id}", "controller": did}
        if isinstance(public_key, rsa.RSAPublicKey):
            method["type"] = "JsonWebKey"
            method["publicKeyJwk"] = dict(record.public_jwk)
        else:
            method["type"] = "Multikey"
            method["publicKeyMultibase"] = public_key_to_multikey(public_key)
        methods.append(method)
    method_ids = [method["id"] for method in methods]
    document: dict[str, object] = {"@context": list(DID_DOCUMENT_CONTEXT), "id": did}
    if also_known_as is not None:
        document["alsoKnownAs"] = [also_known_as]
    document["verificationMethod"] = methods
    document["authentication"] = list(method_ids)
    document["assertionMethod"] = list(method_ids)
    return document


def jwks(records: Sequence[KeyRecord], *, did: str | None = None) -> dict[str, list[dict[str, str]]]:
    """Build a JSON Web Key Set of the published keys (RFC 7517 §5).

    Args:
        records: key records from the store; revoked ones are left out.
        did: when given, each ``kid`` is the DID URL ``did#<key_id>`` (matching :func:`did_document`);
            otherwise it is the bare key id.

    Returns:
        ``{"keys": [...]}``, each key with ``kid``, ``alg`` and ``use: "sig"``.

    Raises:
        InvalidKeyError: ``did`` is not a DID.
    """
    if did is not None:
        _check_did(did)
    keys: list[dict[str, str]] = []
    for record in _published(records):
        kid = record.key_id if did is None else f"{did}#{record.key_id}"
        keys.append({**record.public_jwk, "kid": kid, "alg": record.algorithm, "use": "sig"})
    return {"keys": keys}
