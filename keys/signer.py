"""Signers: the only objects in the project that hold a private key and sign with it.

A signer signs bytes it is given (a Data Integrity hash, a JWS signing input) and reports the JOSE
algorithm name and its key id. It never hands its private key back: there is no attribute or method
that returns it, and ``repr()`` shows only the algorithm and key id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final, NoReturn, Protocol, TypeAlias

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from keys.encoding import MIN_RSA_BITS, PublicKey
from keys.errors import InvalidKeyError, UnsupportedKeyTypeError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "ALGORITHMS",
    "Ed25519Signer",
    "P256Signer",
    "PrivateKey",
    "PublicKey",
    "RsaSigner",
    "Signer",
    "generate_private_key",
    "signer_for",
]

PrivateKey: TypeAlias = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""The private key types a signer can wrap."""

ALGORITHMS: Final = ("EdDSA", "ES256", "RS256")
"""The JOSE algorithm names this project signs with."""

# New RSA keys are 3072 bits (NIST SP 800-57: 128-bit security); 2048 is the floor we accept.
_RSA_GENERATED_BITS = 3072
_P256_FIELD_BYTES = 32


class Signer(Protocol):
    """Something that signs bytes with one private key it keeps to itself."""

    @property
    def key_id(self) -> str:
        """The key id (in the key store, the RFC 7638 thumbprint of the public JWK)."""
        ...

    @property
    def algorithm(self) -> str:
        """The JOSE algorithm name: ``"EdDSA"``, ``"RS256"`` or ``"ES256"``."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` and return the signature in the form JWS and Data Integrity use."""
        ...

    def public_key(self) -> PublicKey:
        """Return the public key that verifies this signer's signatures."""
        ...


class _BaseSigner:
    """Shared key-id / repr handling. The private key lives only in the ``_sign`` closure's target."""

    __slots__ = ("_key_id", "_public_key", "_sign")
    _algorithm: ClassVar[str] = ""

    def __init__(self, key_id: str, public_key: PublicKey, sign: Callable[[bytes], bytes]) -> None:
        if not key_id:
            raise InvalidKeyError("a signer needs a non-empty key id")
        self._key_id = key_id
        self._public_key = public_key
        self._sign = sign

    @property
    def key_id(self) -> str:
        """The key id this signer was created with."""
        return self._key_id

    @property
    def algorithm(self) -> str:
        """The JOSE algorithm name."""
        return self._algorithm

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``.

        Args:
            data: the exact bytes to sign.

        Returns:
            The signature bytes.
        """
        return self._sign(data)

    def public_key(self) -> PublicKey:
        """Return the public key matching this signer's private key."""
        return self._public_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(algorithm={self._algorithm!r}, key_id={self._key_id!r})"

    def __reduce__(self) -> NoReturn:
        # Pickling would copy the private key out of the process (e.g. into a cache or a queue).
        raise TypeError(f"{type(self).__name__} cannot be pickled: it holds a private key")


class Ed25519Signer(_BaseSigner):
    """EdDSA with Ed25519 (RFC 8032, pure): 64-byte signatures, used by eddsa-rdfc-2022 and JWS EdDSA."""

    __slots__ = ()
    _algorithm = "EdDSA"

    def __init__(self, private_key: ed25519.Ed25519PrivateKey, *, key_id: str) -> None:
        """Wrap an Ed25519 private key.

        Args:
            private_key: the Ed25519 private key.
            key_id: the key id to report.

        Raises:
            InvalidKeyError: not an Ed25519 private key, or an empty key id.
        """
        if not isinstance(private_key, ed25519.Ed25519PrivateKey):
            raise InvalidKeyError(
                f"Ed25519Signer needs an Ed25519 private key, got {type(private_key).__name__}"
            )
        super().__init__(key_id, private_key.public_key(), private_key.sign)


class RsaSigner(_BaseSigner):
    """RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), the OB 3.0 VC-JWT baseline."""

    __slots__ = ()
    _algorithm = "RS256"

    def __init__(self, private_key: rsa.RSAPrivateKey, *, key_id: str) -> None:
        """Wrap an RSA private key of at least 2048 bits.

        Args:
            private_key: the RSA private key.
            key_id: the key id to report.

        Raises:
            InvalidKeyError: not an RSA private key, under 2048 bits, or an empty key id.
        """
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise InvalidKeyError(f"RsaSigner needs an RSA private key, got {type(private_key).__name__}")
        if private_key.key_size < MIN_RSA_BITS:
            raise InvalidKeyError(
                f"RSA key of {private_key.key_size} bits is too small; at least {MIN_RSA_BITS} bits are required"
            )

        def sign(data: bytes) -> bytes:
            return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

        super().__init__(key_id, private_key.public_key(), sign)


class P256Signer(_BaseSigner):
    """ES256: ECDSA on P-256 with SHA-256, signature as the raw 64-byte r || s JWS wants (RFC 7518 §3.4)."""

    __slots__ = ()
    _algorithm = "ES256"

    def __init__(self, private_key: ec.EllipticCurvePrivateKey, *, key_id: str) -> None:
        """Wrap a P-256 private key.

        Args:
            private_key: the EC private key; its curve must be P-256 (secp256r1).
            key_id: the key id to report.

        Raises:
            InvalidKeyError: not an EC key, another curve, or an empty key id.
        """
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise InvalidKeyError(f"P256Signer needs an EC private key, got {type(private_key).__name__}")
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise InvalidKeyError(f"P256Signer needs a P-256 key, got curve {private_key.curve.name}")

        def sign(data: bytes) -> bytes:
            # cryptography returns a DER SEQUENCE { r, s }; JWS wants fixed-width big-endian r || s.
            r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(_P256_FIELD_BYTES, "big") + s.to_bytes(_P256_FIELD_BYTES, "big")

        super().__init__(key_id, private_key.public_key(), sign)


def generate_private_key(algorithm: str) -> PrivateKey:
    """Generate a new private key for a JOSE algorithm, from the operating system's CSPRNG.

    Args:
        algorithm: ``"EdDSA"`` (Ed25519), ``"RS256"`` (RSA 3072 bits, e = 65537) or ``"ES256"`` (P-256).

    Returns:
        The new private key.

    Raises:
        UnsupportedKeyTypeError: another algorithm name.
    """
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_GENERATED_BITS)
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise UnsupportedKeyTypeError(
        f"unsupported algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}"
    )


def signer_for(private_key: PrivateKey, *, key_id: str) -> Signer:
    """Wrap a private key in the signer class for its type.

    Args:
        private_key: an Ed25519, RSA (>= 2048 bits) or P-256 private key.
        key_id: the key id the signer reports.

    Returns:
        An :class:`Ed25519Signer`, :class:`RsaSigner` or :class:`P256Signer`.

    Raises:
        InvalidKeyError: an RSA key under 2048 bits or an EC curve other than P-256.
        UnsupportedKeyTypeError: any other key type.
    """
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return Ed25519Signer(private_key, key_id=key_id)
    if isinstance(private_key, rsa.RSAPrivateKey):
        return RsaSigner(private_key, key_id=key_id)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return P256Signer(private_key, key_id=key_id)
    raise UnsupportedKeyTypeError(f"unsupported private key type {type(private_key).__name__}")
