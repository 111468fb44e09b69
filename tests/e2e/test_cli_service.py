"""``badges serve`` as an operator runs it: it refuses to start on an invalid badge definition."""

from __future__ import annotations

import asyncio
import shutil
from typing import TYPE_CHECKING

from tests.conftest import BADGE_DEFS, NOW
from tests.e2e.test_cli import run

if TYPE_CHECKING:
    from pathlib import Path


def test_cli_serve_refuses_an_invalid_definition_naming_file_and_field(tmp_path: Path) -> None:
    defs = tmp_path / "badge_defs"
    shutil.copytree(BADGE_DEFS, defs)
    path = defs / "badges" / "weld-smaw-3f.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("required_level: 3", "required_level: 7"), encoding="utf-8"
    )
    result = run(
        "serve",
        "--port",
        "1",  # never bound: the check comes first
        cwd=tmp_path,
        env={"ISSUER_DEFS_DIR": str(defs), "ISSUER_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 1
    assert f"{path}: required_level:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "badges.db").exists()  # nothing was created before the check


async def _create_organisation(database_url: str) -> None:
    from issuer.db import create_engine, create_organisation, session_factory, upgrade

    await upgrade(database_url)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            did = "did:web:badges.example.edu:orgs:lincoln-hs"
            await create_organisation(
                session, slug="lincoln-hs", name="Lincoln", kind="school", did=did, now=NOW
            )
    finally:
        await engine.dispose()


def test_cli_org_add_member_gives_a_new_organisation_its_first_admin(tmp_path: Path) -> None:
    env = {"ISSUER_DATA_DIR": str(tmp_path / "data"), "ISSUER_BASE_URL": "https://badges.example.edu"}
    # The organisation row only (`badges org create` and its key generation are tested elsewhere).
    asyncio.run(_create_organisation(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'badges.db'}"))
    added = run(
        *[
            "org",
            "add-member",
            "lincoln-hs",
            "Dana@Lincoln.example.edu",
            "--name",
            "Dana",
            "--role",
            "admin",
            "--password-stdin",
        ],
        stdin="a long enough passphrase\n",
        cwd=tmp_path,
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert "dana@lincoln.example.edu is now admin of lincoln-hs" in added.stdout
    again = run(
        *[
            "org",
            "add-member",
            "lincoln-hs",
            "dana@lincoln.example.edu",
            "--name",
            "Dana",
            "--role",
            "admin",
            "--password-stdin",
        ],
        stdin="a long enough passphrase\n",
        cwd=tmp_path,
        env=env,
    )
    assert again.returncode == 2
    assert "already an admin" in again.stderr
    short = run(
        *[
            "org",
            "add-member",
            "lincoln-hs",
            "tom@lincoln.example.edu",
            "--name",
            "Tom",
            "--role",
            "teacher",
            "--password-stdin",
        ],
        stdin="short\n",
        cwd=tmp_path,
        env=env,
    )
    assert short.returncode == 2
    assert "password" in short.stderr
