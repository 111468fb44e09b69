"""``issuer.settings.Settings``: defaults in dev, refusals in prod, the passphrase kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from issuer.organisations import organisation_did
from issuer.settings import DEV_BASE_URL, Settings


@pytest.fixture(autouse=True)
def fx_clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "ISSUER_ENV",
        "ISSUER_BASE_URL",
        "ISSUER_DATABASE_URL",
        "ISSUER_KEYS_DIR",
        "ISSUER_DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("BADGES_KEY_PASSPHRASE", raising=False)


def test_settings_dev_defaults_derive_from_the_data_dir() -> None:
    settings = Settings(data_dir=Path("/srv/badges"))
    assert settings.base_url == DEV_BASE_URL
    assert settings.database_url == "sqlite+aiosqlite:////srv/badges/badges.db"
    assert settings.org_keys_dir("lincoln-hs") == Path("/srv/badges/keys/lincoln-hs")


def test_settings_read_the_environment_when_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_ENV", "prod")
    monkeypatch.setenv("ISSUER_BASE_URL", "https://badges.example.edu/")
    monkeypatch.setenv("BADGES_KEY_PASSPHRASE", "correct horse")
    settings = Settings()
    assert settings.base_url == "https://badges.example.edu"
    assert settings.key_passphrase is not None
    assert settings.key_passphrase.get_secret_value() == "correct horse"
    assert "correct horse" not in repr(settings)


def test_settings_prod_refuses_a_missing_passphrase() -> None:
    with pytest.raises(ValidationError, match="BADGES_KEY_PASSPHRASE"):
        Settings(env="prod", base_url="https://badges.example.edu")


def test_settings_prod_refuses_an_http_base_url() -> None:
    with pytest.raises(ValidationError, match="https"):
        Settings(env="prod", base_url="http://badges.example.edu", key_passphrase="p")


def test_settings_prod_refuses_a_missing_base_url() -> None:
    with pytest.raises(ValidationError, match="ISSUER_BASE_URL"):
        Settings(env="prod", key_passphrase="p")


def test_organisation_did_is_the_did_web_of_its_url() -> None:
    assert organisation_did("https://badges.example.edu", "lincoln-hs") == (
        "did:web:badges.example.edu:orgs:lincoln-hs"
    )
    assert organisation_did("https://badges.example.edu:8443", "acme") == (
        "did:web:badges.example.edu%3A8443:orgs:acme"
    )
