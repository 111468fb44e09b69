"""Key custody and cryptography for Mastery Badges.

``keys.encoding`` and ``keys.errors`` hold everything a verifier needs (public keys only);
``keys.signer``, ``keys.store`` and ``keys.publish`` are for the issuer.
"""

from __future__ import annotations

from keys.encoding import (
    MIN_RSA_BITS,
    PublicKey,
    base58btc_decode,
    base58btc_encode,
    did_key_document,
    did_key_from_public_key,
    did_web_from_url,
    did_web_to_url,
    ed25519_private_key_from_multikey,
    jwk_thumbprint,
    jwk_to_public_key,
    multibase_decode,
    multibase_encode,
    multikey_to_public_key,
    public_key_from_did_key,
    public_key_to_jwk,
    public_key_to_multikey,
)
from keys.errors import (
    InvalidKeyError,
    KeyNotFoundError,
    KeyRevokedError,
    KeysError,
    KeyStoreLockedError,
    UnsupportedKeyTypeError,
)
from keys.publish import DID_DOCUMENT_CONTEXT, did_document, jwks
from keys.signer import (
    ALGORITHMS,
    Ed25519Signer,
    P256Signer,
    PrivateKey,
    RsaSigner,
    Signer,
    generate_private_key,
    signer_for,
)
from keys.store import KDF_ROUNDS, PASSPHRASE_ENV, FileKeyStore, KeyRecord, KeyStatus, read_index

__all__ = [
    "ALGORITHMS",
    "DID_DOCUMENT_CONTEXT",
    "KDF_ROUNDS",
    "MIN_RSA_BITS",
    "PASSPHRASE_ENV",
    "Ed25519Signer",
    "FileKeyStore",
    "InvalidKeyError",
    "KeyNotFoundError",
    "KeyRecord",
    "KeyRevokedError",
    "KeyStatus",
    "KeyStoreLockedError",
    "KeysError",
    "P256Signer",
    "PrivateKey",
    "PublicKey",
    "RsaSigner",
    "Signer",
    "UnsupportedKeyTypeError",
    "base58btc_decode",
    "base58btc_encode",
    "did_document",
    "did_key_document",
    "did_key_from_public_key",
    "did_web_from_url",
    "did_web_to_url",
    "ed25519_private_key_from_multikey",
    "generate_private_key",
    "jwk_thumbprint",
    "jwk_to_public_key",
    "jwks",
    "multibase_decode",
    "multibase_encode",
    "multikey_to_public_key",
    "public_key_from_did_key",
    "public_key_to_jwk",
    "public_key_to_multikey",
    "read_index",
    "signer_for",
]
