"""The service's configuration (STYLE.md §3.8): environment variables ``ISSUER_*``, read only when the
caller builds :class:`Settings`, never at import time.

The key store passphrase comes from ``BADGES_KEY_PASSPHRASE`` (the same variable as the ``badges keys``
commands) and is a :class:`~pydantic.SecretStr`, so it never appears in a ``repr`` or a log line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from keys.store import PASSPHRASE_ENV

__all__ = ["DEV_BASE_URL", "Settings"]

DEV_BASE_URL = "http://127.0.0.1:8000"
"""The base URL in ``dev`` when none is configured."""


class Settings(BaseSettings):
    """Where the service lives, where it keeps its data and how it unlocks its keys.

    Attributes:
        env: ``dev`` (defaults allowed) or ``prod`` (https base URL and a passphrase required).
        base_url: the public URL of the service, without a trailing slash; organisations' did:web
            identifiers live under it (``<base_url>/orgs/<slug>``).
        data_dir: the folder for the SQLite database and, by default, the key stores.
        keys_dir: the folder holding one key store per organisation (default ``<data_dir>/keys``).
        database_url: SQLAlchemy URL (default ``sqlite+aiosqlite:///<data_dir>/badges.db``);
            ``postgresql://`` and ``sqlite://`` get their async drivers.
        key_passphrase: the key stores' passphrase, from ``BADGES_KEY_PASSPHRASE``.
        defs_dir: the ``badge_defs`` folder (``badges/*.yaml`` and ``published.lock.json``).
        evidence_dir: where uploaded evidence files live (default ``<data_dir>/evidence``).
        cookie_secure: send the session cookie only over https (on by default; tests on http turn it off).
        login_rate_per_minute: sign-ins, and invitation links accepted, per client IP address and
            minute (``ISSUER_LOGIN_RATE_PER_MINUTE``); more get 429.
        terms_url, privacy_url: the operator's terms of service and privacy policy, named in the Open
            Badges 3.0 API's service description (``ISSUER_TERMS_URL``, ``ISSUER_PRIVACY_URL``;
            default: the base URL).
        verify_rate_per_minute: verifications on the public verifier page per client IP a minute.
        wallet_rate_per_minute: requests to the wallet endpoints that write (OpenID4VCI token, nonce and
            credential, the DCC exchange) per client IP a minute (``ISSUER_WALLET_RATE_PER_MINUTE``,
            default 600: a class picking up badges at once shares the school's one address).
        verifier_network: whether the service's verifier may fetch other issuers' DID documents and
            status lists over HTTPS (public addresses only); off: only this service's own badges verify.
        credit_rules: which rules file in the rules folder an organisation's registrar applies, by
            organisation slug (``{"riverbend-cc": "riverbend-community-college"}``, JSON in
            ``ISSUER_CREDIT_RULES``); an organisation not listed uses ``<slug>.yaml`` if there is one.
        credit_rules_dir: the institutions' credit rules files (default ``<defs_dir>/credit_rules``;
            ``ISSUER_CREDIT_RULES_DIR``).
        wallet_offer_minutes: how long a wallet offer (QR code, links) stays usable
            (``ISSUER_WALLET_OFFER_MINUTES``, default 10).
    """

    model_config = SettingsConfigDict(env_prefix="ISSUER_", extra="ignore", populate_by_name=True)

    env: Literal["dev", "prod"] = "dev"
    base_url: str = ""
    data_dir: Path = Path("data")
    keys_dir: Path | None = None
    database_url: str = ""
    key_passphrase: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("key_passphrase", PASSPHRASE_ENV)
    )
    defs_dir: Path = Path("badge_defs")
    evidence_dir: Path | None = None
    cookie_secure: bool = True
    login_rate_per_minute: int = Field(default=10, ge=1, le=10_000)
    terms_url: str = ""
    privacy_url: str = ""
    verify_rate_per_minute: int = Field(default=30, ge=1, le=100_000)
    wallet_rate_per_minute: int = Field(default=600, ge=1, le=100_000)
    verifier_network: bool = True
    credit_rules: dict[str, str] = Field(default_factory=dict)
    credit_rules_dir: Path | None = None
    wallet_offer_minutes: int = Field(default=10, ge=1, le=24 * 60)

    @model_validator(mode="after")
    def _complete_and_check(self) -> Self:
        """Fill the defaults that depend on other fields; refuse an unsafe production set-up."""
        if not self.base_url:
            if self.env == "prod":
                raise ValueError("ISSUER_BASE_URL is required when ISSUER_ENV=prod")
            self.base_url = DEV_BASE_URL
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL: {self.base_url!r}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("base_url must not carry user info, a query or a fragment")
        if self.env == "prod" and parts.scheme != "https":
            raise ValueError("base_url must be https:// when ISSUER_ENV=prod (did:web resolves over https)")
        if self.env == "prod" and (self.key_passphrase is None or not self.key_passphrase.get_secret_value()):
            raise ValueError(f"{PASSPHRASE_ENV} is required when ISSUER_ENV=prod")
        self.base_url = self.base_url.rstrip("/")
        if self.keys_dir is None:
            self.keys_dir = self.data_dir / "keys"
        if self.evidence_dir is None:
            self.evidence_dir = self.data_dir / "evidence"
        if self.credit_rules_dir is None:
            self.credit_rules_dir = self.defs_dir / "credit_rules"
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'badges.db'}"
        return self

    def org_keys_dir(self, slug: str) -> Path:
        """The key store directory of one organisation: ``<keys_dir>/<slug>``."""
        return (self.keys_dir or self.data_dir / "keys") / slug
