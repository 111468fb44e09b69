"""``badges org create``: the row, the keys, and the DID document the service then publishes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from litestar.testing import TestClient
from typer.testing import CliRunner

from issuer.cli import app as badges
from issuer.settings import Settings
from tests.conftest import TEST_PASSPHRASE
from tests.integration.issuer.conftest import BASE_URL

if TYPE_CHECKING:
    from pathlib import Path


def test_cli_org_create_publishes_new_keys(tmp_path: Path) -> None:
    # The command runs its own event loop, so this test is sync and on SQLite only.
    database_url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {
        "ISSUER_BASE_URL": BASE_URL,
        "ISSUER_DATA_DIR": str(tmp_path / "data"),
        "ISSUER_DATABASE_URL": database_url,
        "BADGES_KEY_PASSPHRASE": TEST_PASSPHRASE,
    }
    args = ["org", "create", "acme-fab", "--name", "Acme Fabrication", "--kind", "employer"]
    result = CliRunner().invoke(badges, args, env=env)
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(badges, args, env=env)
    assert again.exit_code == 1
    assert "exists already" in again.output
    from issuer.web import create_app  # after the greenlet check (conftest)

    settings = Settings(base_url=BASE_URL, data_dir=tmp_path / "data", database_url=database_url)
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        document = json.loads(client.get("/orgs/acme-fab/did.json").content)
    types = sorted(method["type"] for method in document["verificationMethod"])
    assert types == ["JsonWebKey", "Multikey"]
    assert document["id"] == "did:web:badges.example.edu:orgs:acme-fab"


def test_cli_org_create_refuses_a_bad_slug_or_kind_before_touching_anything(tmp_path: Path) -> None:
    env = {
        "ISSUER_BASE_URL": BASE_URL,
        "ISSUER_DATA_DIR": str(tmp_path / "data"),
        "BADGES_KEY_PASSPHRASE": TEST_PASSPHRASE,
    }
    bad_slug = CliRunner().invoke(
        badges, ["org", "create", "Bad/Slug", "--name", "X", "--kind", "school"], env=env
    )
    bad_kind = CliRunner().invoke(badges, ["org", "create", "ok", "--name", "X", "--kind", "club"], env=env)
    assert (bad_slug.exit_code, bad_kind.exit_code) == (2, 2)
    assert "slug" in bad_slug.output
    assert "kind" in bad_kind.output
    assert not (tmp_path / "data").exists()
