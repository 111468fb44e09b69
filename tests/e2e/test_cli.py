"""The installed ``badges`` command, run as a user runs it (subprocess, real key store, real files)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BADGE_DEFS, TEST_PASSPHRASE

BADGES = Path(sys.executable).parent / "badges"
DID = "did:web:badges.example.edu:orgs:lincoln-hs"
LEARNER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BADGES_")}
    environment.update(
        {
            "BADGES_KEY_PASSPHRASE": TEST_PASSPHRASE,
            "BADGES_KEY_STORE": str(cwd / "keystore"),
            "BADGES_DEFS_DIR": str(BADGE_DEFS),
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
    )
    environment.update(env or {})
    return subprocess.run(
        [str(BADGES), *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(name="prepared", scope="session")
def fx_prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keys generated and published once per session (RSA generation and key unlocking are slow)."""
    directory = tmp_path_factory.mktemp("cli")
    for alg in ("EdDSA", "RS256"):
        done = run("keys", "generate", "--alg", alg, cwd=directory)
        assert done.returncode == 0, done.stderr
    published = run("keys", "publish", "--did", DID, "--out", str(directory / "site"), cwd=directory)
    assert published.returncode == 0, published.stderr
    return directory


@pytest.fixture(name="workdir")
def fx_workdir(prepared: Path, tmp_path: Path) -> Path:
    shutil.copytree(prepared / "keystore", tmp_path / "keystore")
    shutil.copytree(prepared / "site", tmp_path / "site")
    return tmp_path


def test_cli_issue_both_formats_and_verify_offline(workdir: Path) -> None:
    issued = run(
        "issue",
        "--def",
        "weld-smaw-3f",
        "--level",
        "3",
        "--recipient",
        LEARNER_DID,
        "--format",
        "both",
        "--issuer",
        DID,
        "--attester-name",
        "R. Okafor",
        "--attester-role",
        "supervisor",
        "--out",
        "badge",
        cwd=workdir,
    )
    assert issued.returncode == 0, issued.stderr
    verified = run(
        "verify",
        "badge.json",
        "badge.jwt",
        "--json",
        "--offline",
        "--resolve",
        "site/resolve-map.json",
        cwd=workdir,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    reports = [json.loads(line) for line in verified.stdout.splitlines()]
    assert [r["verdict"] for r in reports] == ["valid", "valid"]
    assert {r["credential"]["format"] for r in reports} == {"ldp", "jwt"}
    assert reports[0]["credential"]["attester"] == "R. Okafor"
    assert set(reports[0]["checks"][0]) == {"id", "passed", "code", "message"}


def test_cli_issue_to_email_with_default_did_key_issuer(workdir: Path) -> None:
    issued = run(
        "issue",
        "--def",
        "math-7rp-proportional",
        "--level",
        "4",
        "--recipient",
        "ana@example.org",
        "--out",
        "math.json",
        cwd=workdir,
    )
    assert issued.returncode == 0, issued.stderr
    credential = json.loads((workdir / "math.json").read_text(encoding="utf-8"))
    assert credential["issuer"]["id"].startswith("did:key:z6Mk")
    assert "ana@example.org" not in json.dumps(credential)
    verified = run("verify", "math.json", "--offline", cwd=workdir)  # did:key needs no network
    assert verified.returncode == 0, verified.stdout
    assert "VALID" in verified.stdout


def test_cli_verify_tampered_is_exit_1(workdir: Path) -> None:
    run(
        "issue",
        "--def",
        "math-7rp-proportional",
        "--level",
        "3",
        "--recipient",
        "ana@example.org",
        "--out",
        "math.json",
        cwd=workdir,
    )
    credential = json.loads((workdir / "math.json").read_text(encoding="utf-8"))
    credential["credentialSubject"]["result"][0]["achievedLevel"] = credential["credentialSubject"]["result"][
        0
    ]["achievedLevel"].replace("level-3", "level-4")
    (workdir / "tampered.json").write_text(json.dumps(credential), encoding="utf-8")
    verified = run("verify", "tampered.json", "--json", "--offline", cwd=workdir)
    assert verified.returncode == 1
    report = json.loads(verified.stdout)
    assert report["verdict"] == "invalid"
    assert {"id": "proof", "passed": False, "code": "INVALID_SIGNATURE"}.items() <= report["checks"][
        0
    ].items()


def test_cli_verify_unresolvable_issuer_is_exit_3(workdir: Path) -> None:
    run(
        "issue",
        "--def",
        "weld-smaw-3f",
        "--level",
        "3",
        "--recipient",
        "ana@example.org",
        "--issuer",
        DID,
        "--out",
        "weld.json",
        cwd=workdir,
    )
    verified = run("verify", "weld.json", "--json", "--offline", cwd=workdir)
    assert verified.returncode == 3, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["verdict"] == "indeterminate"


def test_cli_verify_checks_validity_at_a_given_time(workdir: Path) -> None:
    run(
        "issue",
        "--def",
        "weld-smaw-3f",
        "--level",
        "3",
        "--recipient",
        "ana@example.org",
        "--out",
        "weld.json",
        cwd=workdir,
    )
    verified = run("verify", "weld.json", "--json", "--offline", "--at", "2099-01-01T00:00:00Z", cwd=workdir)
    assert verified.returncode == 1
    failed = [c for c in json.loads(verified.stdout)["checks"] if not c["passed"]]
    assert [c["code"] for c in failed] == ["EXPIRED"]


@pytest.mark.parametrize(
    "args",
    [
        ("verify",),
        ("verify", "missing-file.json"),
        ("verify", "x.json", "--at", "yesterday"),
        ("issue", "--def", "weld-smaw-3f", "--level", "3", "--recipient", "a@b.example", "--format", "pdf"),
    ],
)
def test_cli_usage_errors_are_exit_2_without_traceback(workdir: Path, args: tuple[str, ...]) -> None:
    done = run(*args, cwd=workdir)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--def", "no-such-badge", "--level", "3", "--recipient", "a@b.example"), "no-such-badge"),
        (("--def", "weld-smaw-3f", "--level", "2", "--recipient", "a@b.example"), "or above"),
        (
            (
                "--def",
                "weld-smaw-3f",
                "--level",
                "3",
                "--recipient",
                "a@b.example",
                "--format",
                "jwt",
                "--issuer",
                DID,
            ),
            "needs a DID recipient",
        ),
    ],
)
def test_cli_issue_refusals_name_the_problem(workdir: Path, args: tuple[str, ...], message: str) -> None:
    done = run("issue", *args, cwd=workdir)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_locked_key_store_says_which_variable(workdir: Path) -> None:
    done = run("keys", "list", cwd=workdir, env={"BADGES_KEY_PASSPHRASE": ""})
    assert done.returncode == 1
    assert "BADGES_KEY_PASSPHRASE" in done.stderr
    wrong = run(
        "issue",
        "--def",
        "weld-smaw-3f",
        "--level",
        "3",
        "--recipient",
        "a@b.example",
        cwd=workdir,
        env={"BADGES_KEY_PASSPHRASE": "wrong"},
    )
    assert wrong.returncode == 1
    assert "wrong passphrase" in wrong.stderr
    assert TEST_PASSPHRASE not in wrong.stderr + wrong.stdout


def test_cli_rotate_and_revoke(workdir: Path) -> None:
    run(
        "issue",
        "--def",
        "math-7rp-proportional",
        "--level",
        "3",
        "--recipient",
        "a@b.example",
        "--issuer",
        DID,
        "--out",
        "before.json",
        cwd=workdir,
    )
    old_key = json.loads((workdir / "before.json").read_text(encoding="utf-8"))["proof"][0][
        "verificationMethod"
    ]
    assert run("keys", "rotate", "--alg", "EdDSA", cwd=workdir).returncode == 0
    run("keys", "publish", "--did", DID, "--out", "site", cwd=workdir)
    verify = ("verify", "before.json", "--offline", "--resolve", "site/resolve-map.json")
    assert run(*verify, cwd=workdir).returncode == 0  # retired keys stay published
    revoked = run("keys", "revoke", old_key.split("#")[1], "--reason", "key file leaked", cwd=workdir)
    assert revoked.returncode == 0, revoked.stderr
    run("keys", "publish", "--did", DID, "--out", "site", cwd=workdir)
    assert run(*verify, cwd=workdir).returncode == 1  # a compromised key's badges stop verifying
    listing = run("keys", "list", cwd=workdir)
    assert "revoked" in listing.stdout
    assert "key file leaked" not in listing.stdout


RIVERBEND = BADGE_DEFS / "credit_rules" / "riverbend-community-college.yaml"


def test_cli_transfer_grants_credit_with_reasons(workdir: Path) -> None:
    for slug, level, out in (("math-7rp-proportional", "3", "math.json"), ("weld-smaw-3f", "2", "low.json")):
        run(
            "issue",
            "--def",
            slug,
            "--level",
            level,
            "--recipient",
            "ana@example.org",
            "--issuer",
            DID,
            "--attester-name",
            "J. Rivera",
            "--attester-role",
            "teacher",
            "--out",
            out,
            cwd=workdir,
        )
    assert not (workdir / "low.json").exists()  # level 2 is below the weld badge's required level
    run(
        "issue",
        "--def",
        "weld-smaw-3f",
        "--level",
        "3",
        "--recipient",
        "ana@example.org",
        "--issuer",
        DID,
        "--attester-name",
        "J. Rivera",
        "--attester-role",
        "teacher",
        "--out",
        "weld.json",
        cwd=workdir,
    )
    done = run(
        "transfer",
        "--rules",
        str(RIVERBEND),
        "math.json",
        "weld.json",
        "--json",
        "--resolve",
        "site/resolve-map.json",
        "--offline",
        cwd=workdir,
    )
    assert done.returncode == 0, done.stderr
    decision = json.loads(done.stdout)["decision"]
    assert sorted(g["courseCode"] for g in decision["granted"]) == ["MATH 025", "WLD 111"]
    text = run(
        "transfer",
        "--rules",
        str(RIVERBEND),
        "math.json",
        "weld.json",
        "--resolve",
        "site/resolve-map.json",
        "--offline",
        cwd=workdir,
    )
    assert "needs also" in text.stdout  # the two-badge WLD 110 rule explains what is missing


def test_cli_transfer_ignores_badges_that_do_not_verify(workdir: Path) -> None:
    run(
        "issue",
        "--def",
        "math-7rp-proportional",
        "--level",
        "3",
        "--recipient",
        "ana@example.org",
        "--issuer",
        DID,
        "--attester-name",
        "J. Rivera",
        "--attester-role",
        "teacher",
        "--out",
        "math.json",
        cwd=workdir,
    )
    done = run("transfer", "--rules", str(RIVERBEND), "math.json", "--json", "--offline", cwd=workdir)
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert output["decision"]["granted"] == []
    assert output["verification"][0]["verdict"] == "indeterminate"  # DID document not reachable offline


def test_cli_bundle_reverifies_offline_with_the_same_answer(workdir: Path) -> None:
    run(
        "issue",
        "--def",
        "weld-smaw-3f",
        "--level",
        "3",
        "--recipient",
        "ana@example.org",
        "--issuer",
        DID,
        "--out",
        "weld.json",
        cwd=workdir,
    )
    first = run(
        "verify",
        "weld.json",
        "--json",
        "--resolve",
        "site/resolve-map.json",
        "--offline",
        "--bundle",
        "check.zip",
        cwd=workdir,
    )
    assert first.returncode == 0, first.stdout + first.stderr
    shutil.rmtree(workdir / "site")  # the issuer's documents are gone; the bundle has what was used
    again = run("verify", "check.zip", "--json", "--offline", cwd=workdir)
    assert again.returncode == 0, again.stdout + again.stderr
    before, after = json.loads(first.stdout), json.loads(again.stdout)
    assert after["checks"] == before["checks"]
    assert after["input"] == "check.zip!weld.json"


def test_cli_verifies_baked_png_and_folders(workdir: Path) -> None:
    from verifier.baking import bake_png, blank_png

    run(
        "issue",
        "--def",
        "weld-smaw-3f",
        "--level",
        "3",
        "--recipient",
        "ana@example.org",
        "--out",
        "weld.json",
        cwd=workdir,
    )
    badges = workdir / "badges"
    badges.mkdir()
    text = (workdir / "weld.json").read_text(encoding="utf-8")
    (badges / "weld.png").write_bytes(bake_png(blank_png(width=4, height=4, rgb=(0, 90, 160)), text))
    shutil.copy(workdir / "weld.json", badges / "weld.json")
    done = run("verify", "badges", "--json", "--offline", cwd=workdir)
    assert done.returncode == 0, done.stdout
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["kind"], r["verdict"]) for r in reports] == [("json", "valid"), ("png", "valid")]
