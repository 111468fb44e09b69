"""``badges issue --csv``: the service's bulk-award job run from the command line, idempotent on re-run."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from issuer.cli import app as badges
from tests.conftest import TEST_PASSPHRASE
from tests.integration.issuer.conftest import BASE_URL

if TYPE_CHECKING:
    from pathlib import Path


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "ISSUER_BASE_URL": BASE_URL,
        "ISSUER_DATA_DIR": str(tmp_path / "data"),
        "ISSUER_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "BADGES_KEY_PASSPHRASE": TEST_PASSPHRASE,
    }


def _add_teacher(env: dict[str, str]) -> None:
    from issuer.db import create_engine, get_organisation, session_factory
    from issuer.services.people import add_member

    async def add() -> None:
        engine = create_engine(env["ISSUER_DATABASE_URL"])
        try:
            async with session_factory(engine)() as session:
                organisation = await get_organisation(session, "lincoln-hs")
                await add_member(
                    session,
                    organisation=organisation,
                    email="teacher@lincoln.example.edu",
                    display_name="Teacher",
                    role="teacher",
                    now=organisation.created_at,
                    actor=None,
                )
        finally:
            await engine.dispose()

    asyncio.run(add())


def test_cli_issue_csv_issues_reports_and_reruns_idempotently(tmp_path: Path) -> None:
    env = _env(tmp_path)
    runner = CliRunner()
    created = runner.invoke(
        badges, ["org", "create", "lincoln-hs", "--name", "Lincoln High School", "--kind", "school"], env=env
    )
    assert created.exit_code == 0, created.output
    sheet = tmp_path / "awards.csv"
    sheet.write_text(
        "student,badge,level\n"
        "ana@students.example.edu,weld-smaw-3f,3\n"
        "ben@students.example.edu,weld-smaw-3f,4\n"
        "ana@students.example.edu,weld-smaw-3f,9\n",
        encoding="utf-8",
    )
    no_admin = runner.invoke(badges, ["issue", "--csv", str(sheet), "--org", "lincoln-hs"], env=env)
    assert no_admin.exit_code == 2
    assert "--as" in no_admin.output
    _add_teacher(env)
    as_teacher = ["--org", "lincoln-hs", "--as", "teacher@lincoln.example.edu"]
    first = runner.invoke(badges, ["issue", "--csv", str(sheet), *as_teacher, "--enrol"], env=env)
    assert first.exit_code == 1, first.output  # one row rejected
    assert "2 issued" in first.output
    assert "1 rejected" in first.output
    report = (tmp_path / "awards.csv.rejected.csv").read_text(encoding="utf-8")
    assert '"4","level"' in report
    again = runner.invoke(badges, ["issue", "--csv", str(sheet), *as_teacher], env=env)
    assert again.exit_code == 1
    assert "0 issued, 2 already issued (skipped)" in again.output


def test_cli_issue_csv_usage_errors(tmp_path: Path) -> None:
    env = _env(tmp_path)
    runner = CliRunner()
    sheet = tmp_path / "awards.csv"
    sheet.write_text("student,badge,level\n", encoding="utf-8")
    both = runner.invoke(badges, ["issue", "--csv", str(sheet), "--org", "x", "--level", "3"], env=env)
    assert both.exit_code == 2
    no_org = runner.invoke(badges, ["issue", "--csv", str(sheet)], env=env)
    assert no_org.exit_code == 2
    missing = runner.invoke(badges, ["issue", "--csv", str(tmp_path / "nope.csv"), "--org", "x"], env=env)
    assert missing.exit_code == 2
    unknown_org = runner.invoke(badges, ["issue", "--csv", str(sheet), "--org", "nowhere"], env=env)
    assert unknown_org.exit_code == 2
    assert "nowhere" in unknown_org.output
