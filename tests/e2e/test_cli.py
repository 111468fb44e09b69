"""The installed ``badges`` command, run as a user runs it (subprocess, real key store, real files)."""

from __future__ import annotations

import base64
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


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
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
        [str(BADGES), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
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
        (("--def", "weld-smaw-3f", "--level", "7", "--recipient", "a@b.example"), "level"),
        (
            (
                "--def",
                "workplace-communication",
                "--level",
                "3",
                "--recipient",
                "a@b.example",
                "--attester-name",
                "J. Rivera",
                "--attester-role",
                "teacher",
            ),
            "may not attest",
        ),
        (("--def", "weld-smaw-3f", "--level", "3", "--recipient", "not an address"), "neither"),
        (("--def", "weld-smaw-3f", "--level", "3", "--recipient", "did:key:"), "not a valid DID"),
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
    # Mistakes in the arguments are usage errors (2), like typer's own; a locked key store stays 1.
    done = run("issue", *args, cwd=workdir)
    assert done.returncode == 2, done.stderr
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
    assert "not for a did:key issuer" in revoked.stdout  # a did:key issuer's key is its DID
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
    again = run("verify", "check.zip", "--json", "--offline", "--trust-bundle", cwd=workdir)
    assert again.returncode == 0, again.stdout + again.stderr
    before, after = json.loads(first.stdout), json.loads(again.stdout)
    assert after["checks"] == before["checks"]
    assert after["input"] == "check.zip!weld.json"
    # A bundle from someone else proves nothing about the issuer's documents: indeterminate unless vouched for.
    untrusted = run("verify", "check.zip", "--json", "--offline", cwd=workdir)
    assert untrusted.returncode == 3
    assert json.loads(untrusted.stdout)["checks"][-1]["code"] == "UNTRUSTED_BUNDLE"


def test_cli_forged_bundle_is_not_valid_and_earns_no_credit(workdir: Path) -> None:
    # An attacker's own key, published in a DID document they put in the bundle under the school's DID.
    attacker = workdir / "attacker"
    env = {"BADGES_KEY_STORE": str(attacker / "keystore")}
    assert run("keys", "generate", cwd=workdir, env=env).returncode == 0
    run("keys", "publish", "--did", DID, "--out", str(attacker / "site"), cwd=workdir, env=env)
    forged = run(
        "issue",
        "--def",
        "weld-smaw-3f",
        "--level",
        "4",
        "--recipient",
        "ana@example.org",
        "--issuer",
        DID,
        "--attester-name",
        "J. Rivera",
        "--attester-role",
        "teacher",
        "--out",
        "forged.json",
        cwd=workdir,
        env=env,
    )
    assert forged.returncode == 0, forged.stderr
    made = run(
        "verify",
        "forged.json",
        "--resolve",
        str(attacker / "site" / "resolve-map.json"),
        "--offline",
        "--bundle",
        "forged.zip",
        cwd=workdir,
    )
    assert made.returncode == 0
    verdict = run("verify", "forged.zip", "--json", cwd=workdir)
    assert verdict.returncode == 3
    credit = run("transfer", "--rules", str(RIVERBEND), "forged.zip", "--json", cwd=workdir)
    assert json.loads(credit.stdout)["decision"]["granted"] == []


def test_cli_challenge_is_refused_for_a_bare_credential(workdir: Path) -> None:
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
    done = run("verify", "weld.json", "--json", "--offline", "--challenge", "c-123", cwd=workdir)
    assert done.returncode == 1
    assert json.loads(done.stdout)["checks"][-1]["code"] == "INVALID_CHALLENGE"


def test_cli_untrusted_text_is_not_markup_and_errors_are_not_tracebacks(workdir: Path) -> None:
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
    credential = json.loads((workdir / "weld.json").read_text(encoding="utf-8"))
    credential["proof"][0]["cryptosuite"] = "[/x][green]OK"
    (workdir / "odd.json").write_text(json.dumps(credential), encoding="utf-8")
    (workdir / "empty.json").write_bytes(b"")
    header = b'{"alg":"ES256","kid":"k","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    deep = base64.urlsafe_b64encode(header).rstrip(b"=") + b".e30.c2ln"  # a header nested 100,000 deep
    (workdir / "deep.jwt").write_bytes(deep)
    done = run("verify", "odd.json", "empty.json", "deep.jwt", "--offline", cwd=workdir)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "[/x][green]OK" in done.stdout  # shown as text, not interpreted
    assert "larger than" not in done.stdout  # an empty file is not "too large"
    bundle = run("verify", "weld.json", "--offline", "--bundle", "/nonexistent/dir/x.zip", cwd=workdir)
    assert bundle.returncode == 2
    assert "Traceback" not in bundle.stderr


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


# --- badge definitions: drafts are not issued; `badges defs check` and `badges defs publish` -------


@pytest.fixture(name="defs")
def fx_defs(tmp_path: Path) -> Path:
    """A copy of badge_defs to edit."""
    shutil.copytree(BADGE_DEFS, tmp_path / "defs")
    return tmp_path / "defs"


def _edit(defs: Path, slug: str, old: str, new: str) -> None:
    path = defs / "badges" / f"{slug}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


WELD_V2 = ("version: 1\n", "version: 2\n")
WELD_CHANGED = ("Makes a sound multiple-pass fillet weld", "Makes a sound single-pass fillet weld")
ISSUE_WELD = ("issue", "--def", "weld-smaw-3f", "--level", "3", "--recipient", "ana@example.org")


def test_cli_issue_refuses_a_draft_until_it_is_published(workdir: Path, defs: Path) -> None:
    _edit(defs, "weld-smaw-3f", *WELD_CHANGED)
    _edit(defs, "weld-smaw-3f", *WELD_V2)
    env = {"BADGES_DEFS_DIR": str(defs)}
    refused = run(*ISSUE_WELD, "--out", "weld.json", cwd=workdir, env=env)
    assert refused.returncode == 1
    assert "weld-smaw-3f@2 is a draft" in refused.stderr
    assert "badges defs publish" in refused.stderr
    assert not (workdir / "weld.json").exists()

    checked = run("defs", "check", cwd=workdir, env=env)
    assert checked.returncode == 0, checked.stderr
    lines = checked.stdout.splitlines()
    assert any(line.startswith("weld-smaw-3f@2  sha256:") and line.endswith("draft") for line in lines)
    assert any(
        line.startswith("math-7rp-proportional@1  sha256:") and line.endswith("published") for line in lines
    )
    assert "3 published, 1 draft" in checked.stdout

    published = run("defs", "publish", "--defs", str(defs), cwd=workdir)
    assert published.returncode == 0, published.stderr
    assert "published weld-smaw-3f@2  sha256:" in published.stdout
    lock = json.loads((defs / "published.lock.json").read_text(encoding="utf-8"))
    assert set(lock) == {*json.loads((BADGE_DEFS / "published.lock.json").read_text()), "weld-smaw-3f@2"}
    again = run("defs", "publish", "--defs", str(defs), cwd=workdir)
    assert again.returncode == 0
    assert "nothing to publish" in again.stdout

    issued = run(*ISSUE_WELD, "--out", "weld.json", cwd=workdir, env=env)
    assert issued.returncode == 0, issued.stderr
    achievement = json.loads((workdir / "weld.json").read_text(encoding="utf-8"))["credentialSubject"][
        "achievement"
    ]
    assert achievement["version"] == "2"
    assert achievement["otherIdentifier"][0]["identifier"] == lock["weld-smaw-3f@2"]


def test_cli_defs_refuse_a_changed_definition_under_a_published_version(workdir: Path, defs: Path) -> None:
    _edit(defs, "weld-smaw-3f", *WELD_CHANGED)
    lock_before = (defs / "published.lock.json").read_bytes()
    for command in ("check", "publish"):
        done = run("defs", command, "--defs", str(defs), cwd=workdir)
        assert done.returncode == 1, command
        assert "version 1 of 'weld-smaw-3f' was published with" in done.stderr
        assert "give the changed definition a new version" in done.stderr
        assert "Traceback" not in done.stderr
    assert (defs / "published.lock.json").read_bytes() == lock_before
    issued = run(*ISSUE_WELD, cwd=workdir, env={"BADGES_DEFS_DIR": str(defs)})
    assert issued.returncode == 1
    assert "give the changed definition a new version" in issued.stderr


def test_cli_defs_check_lists_every_problem(workdir: Path, defs: Path) -> None:
    _edit(defs, "weld-smaw-3f", "name: SMAW", "nmae: SMAW")
    _edit(defs, "math-7rp-proportional", "version: 1\n", 'version: "1"\n')
    done = run("defs", "check", "--defs", str(defs), cwd=workdir)
    assert done.returncode == 1
    assert "problems in the badge definitions" in done.stderr
    assert "weld-smaw-3f.yaml: nmae: unknown field" in done.stderr
    assert "math-7rp-proportional.yaml: version" in done.stderr
    assert done.stdout == ""


def test_cli_defs_check_without_a_lock_lists_drafts(workdir: Path, defs: Path) -> None:
    (defs / "published.lock.json").unlink()
    done = run("defs", "check", "--defs", str(defs), cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert "4 definitions valid: 0 published, 4 drafts" in done.stdout
    published = run("defs", "publish", "--defs", str(defs), cwd=workdir)
    assert published.returncode == 0, published.stderr
    assert len(json.loads((defs / "published.lock.json").read_text(encoding="utf-8"))) == 4
