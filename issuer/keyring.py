"""The service's signers, one key store per organisation, unlocked once and kept in memory.

Unlocking a key costs a PBKDF2 derivation of 600,000 rounds (about half a second): doing it for every
award would make a bulk award of 10,000 badges take over an hour. The unlocked signers stay inside this
object (a :class:`keys.Signer` never shows its key in a ``repr`` and refuses to be pickled).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from issuer.errors import SigningUnavailableError
from keys.errors import KeysError
from keys.store import FileKeyStore

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from keys.signer import Signer

__all__ = ["KeyRing"]


class KeyRing:
    """Active signers per (organisation slug, algorithm), unlocked on first use."""

    def __init__(self, store_dir: Callable[[str], Path], passphrase: str | None) -> None:
        self._store_dir = store_dir
        self._passphrase = passphrase
        self._signers: dict[tuple[str, str], Signer] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyRing({len(self._signers)} unlocked signers)"

    def store(self, slug: str) -> FileKeyStore:
        """The organisation's key store (for rotation and listing).

        Raises:
            SigningUnavailableError: the service was started without BADGES_KEY_PASSPHRASE.
        """
        if not self._passphrase:
            raise SigningUnavailableError("the service has no key passphrase (set BADGES_KEY_PASSPHRASE)")
        return FileKeyStore(self._store_dir(slug), self._passphrase)

    def signer(self, slug: str, algorithm: str) -> Signer:
        """The organisation's active key for ``algorithm`` (EdDSA, RS256, ES256).

        Raises:
            SigningUnavailableError: no such active key, or the store cannot be unlocked; the key store's
                own message (which names paths) goes to the log, not to the caller.
        """
        key = (slug, algorithm)
        with self._lock:
            signer = self._signers.get(key)
            if signer is None:
                try:
                    signer = self.store(slug).active_signer(algorithm)
                except KeysError as err:
                    raise SigningUnavailableError(
                        f"organisation {slug!r} has no usable {algorithm} signing key"
                    ) from err
                self._signers[key] = signer
            return signer

    def forget(self, slug: str) -> None:
        """Drop an organisation's unlocked signers (after a rotation or revocation)."""
        with self._lock:
            for key in [k for k in self._signers if k[0] == slug]:
                del self._signers[key]
