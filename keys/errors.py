"""Errors raised by :mod:`keys`.

KeysError
  InvalidKeyError          bad encoding, wrong curve, too-small RSA key
  UnsupportedKeyTypeError  an algorithm or multicodec we do not handle
  KeyNotFoundError         store lookup by key id
  KeyStoreLockedError      passphrase missing or wrong
  KeyRevokedError          a revoked key was asked to sign
"""

from __future__ import annotations

from typing import ClassVar


class KeysError(Exception):
    """Base of every error raised by :mod:`keys`."""

    code: ClassVar[str] = "KEYS_ERROR"


class InvalidKeyError(KeysError):
    code: ClassVar[str] = "INVALID_KEY"


class UnsupportedKeyTypeError(KeysError):
    code: ClassVar[str] = "UNSUPPORTED_KEY_TYPE"


class KeyNotFoundError(KeysError):
    code: ClassVar[str] = "KEY_NOT_FOUND"


class KeyStoreLockedError(KeysError):
    code: ClassVar[str] = "KEY_STORE_LOCKED"


class KeyRevokedError(KeysError):
    code: ClassVar[str] = "KEY_REVOKED"
