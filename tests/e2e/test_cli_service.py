"""``badges serve`` as an operator runs it: it refuses to start on an invalid badge definition."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from tests.conftest import BADGE_DEFS
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
