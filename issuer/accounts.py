"""Secrets of people: argon2id password hashes and random tokens stored only as SHA-256 (pure).

Tokens (session cookies, API tokens, invitation links) carry 256 bits from :mod:`secrets`; the database
keeps their SHA-256, so a leaked table opens nothing. A plain hash is enough for them (they are not
guessable), unlike passwords, which get argon2id (RFC 9106) from argon2-cffi.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "hash_password",
    "new_token",
    "password_needs_rehash",
    "token_digest",
    "verify_password",
]

MIN_PASSWORD_LENGTH: Final = 12
# argon2-cffi's defaults are RFC 9106's second recommendation (argon2id, 64 MiB, 3 passes).
_HASHER: Final = PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Compared against when the e-mail is unknown, so a wrong e-mail costs the same time as a wrong
    # password; made on first use, not at import (an argon2 hash costs ~0.2 s).
    return _HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; ``None`` (no password set) never matches, in the same time."""
    try:
        return _HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(password_hash)


def new_token(prefix: str) -> str:
    """A fresh secret token, e.g. ``mbt_…`` for API tokens (the prefix lets secret scanners find leaks)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    """What the database stores of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
