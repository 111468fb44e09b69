"""CLR 2.0 transcripts: the 1EdTech vector, the operator-supplied CLR context, and a ClrCredential of 20
badges verified as a whole and badge by badge (a tampered badge is reported for that badge).

The official CLR context is not shipped (docs/clr.md): our own transcripts are signed and verified with
the test-made stand-in (tests/clr_context.py); 1EdTech's vector needs the official file, so without it
its proof is indeterminate, and it is verified only where a developer supplied the file."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest

from issuer.issuance import Award, build_credential
from issuer.transcripts import build_clr
from tests.conftest import NOW, REPO, SPEC, TestIssuer
from verifier.credit.facts import facts_from_credential
from verifier.document_loader import CONTEXTS_DIR_ENV, operator_contexts
from verifier.proofs.data_integrity import transformation
from verifier.resolve import ChainFetcher, MapFetcher, OfflineFetcher, Resolver
from verifier.verify import verify_credential

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

CLR_VECTOR = SPEC / "vectors" / "clr-eddsa-rdfc-2022"
CLR_SCHEMA = SPEC / "schemas" / "clr" / "clr_v2p0_clrcredential_schema.json"
VECTOR_CONTROLLER = "https://example.edu/issuers/565049"
VECTOR_KEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
LEARNER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
CLR_CONTEXT_URL = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
# A developer's own folder holding the official context (read before any test changes the environment).
DEVELOPER_CONTEXTS = os.environ.get(CONTEXTS_DIR_ENV)


@pytest.fixture(autouse=True)
def _stand_in_unless_without(request: pytest.FixtureRequest) -> None:
    """Every test here signs and verifies with the CLR context stand-in, but those run without it."""
    if "no_clr_context" not in request.fixturenames:
        request.getfixturevalue("clr_context")


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _vector_resolver(tmp_path: Path) -> Resolver:
    """The vector's key is an HTTPS key URL under its issuer: serve a controller document for it."""
    key_id = f"{VECTOR_CONTROLLER}#{VECTOR_KEY}"
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": VECTOR_CONTROLLER,
        "verificationMethod": [
            {
                "id": key_id,
                "type": "Multikey",
                "controller": VECTOR_CONTROLLER,
                "publicKeyMultibase": VECTOR_KEY,
            }
        ],
        "assertionMethod": [key_id],
    }
    path = tmp_path / "controller.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return Resolver(ChainFetcher(MapFetcher({VECTOR_CONTROLLER: path}), OfflineFetcher()))


def _schema_errors(document: dict[str, Any]) -> list[str]:
    schema = _json(CLR_SCHEMA)
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def _badges(catalog: BadgeCatalog, issuer: TestIssuer, count: int) -> list[dict[str, Any]]:
    """``count`` signed badges for one learner (the catalogue's badges at levels 3 and 4, in turn)."""
    slugs = sorted(definition.slug for definition in catalog)
    badges = []
    for number in range(count):
        award = Award(
            definition=catalog.get(slugs[number % len(slugs)]),
            level=3 + (number // len(slugs)) % 2,
            recipient=LEARNER,
        )
        unsigned = build_credential(
            award,
            issuer.profile,
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
            now=NOW,
            salt="s",
        )
        badges.append(issuer.sign_ldp(unsigned))
    return badges


def _clr(issuer: TestIssuer, badges: list[dict[str, Any]]) -> dict[str, Any]:
    unsigned = build_clr(
        issuer.profile,
        credentials=badges,
        learner=LEARNER,
        credential_id="urn:uuid:c1c1c1c1-0000-4000-8000-000000000001",
        name="Transcript for Northwest College",
        now=NOW,
        salt="clr-salt",
    )
    return issuer.sign_ldp(unsigned)


def _official_context_folder() -> Path | None:
    """The developer's folder if it holds the official CLR context (matching the shipped pin)."""
    if not DEVELOPER_CONTEXTS:
        return None
    pinned = operator_contexts()[CLR_CONTEXT_URL]
    path = Path(DEVELOPER_CONTEXTS) / pinned.file
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != pinned.sha256:
        return None
    return path.parent


@pytest.mark.usefixtures("no_clr_context")
def test_clr_1edtech_vector_without_the_context_is_indeterminate_and_its_badge_verified(
    tmp_path: Path,
) -> None:
    signed = _json(CLR_VECTOR / "signed-clrcredential.json")
    report = verify_credential(signed, resolver=_vector_resolver(tmp_path), now=NOW)
    assert report.kind == "clr"
    assert report.verdict == "indeterminate", report.to_json()
    proof = report.check("proof")
    assert proof is not None
    assert not proof.passed
    assert proof.indeterminate
    assert proof.code == "CONTEXT_UNAVAILABLE"
    assert CLR_CONTEXT_URL in proof.message
    assert "BADGES_CONTEXTS_DIR" in proof.message
    assert "docs/clr.md" in proof.message
    # Only the CLR's own proof could not be checked: its badge (OB contexts only) is verified.
    assert {c.id for c in report.checks if not c.passed} == {"proof"}
    assert [inner.verdict for inner in report.inner] == ["valid"]
    assert report.check("credentials").passed  # type: ignore[union-attr]


@pytest.mark.usefixtures("no_clr_context")
def test_clr_1edtech_vector_with_the_official_context_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _official_context_folder()
    if folder is None:
        pytest.skip(
            f"no official CLR 2.0.1 context in {CONTEXTS_DIR_ENV} (not shipped; docs/clr.md says how to get it)"
        )
    monkeypatch.setenv(CONTEXTS_DIR_ENV, str(folder))
    canonical = transformation(
        _json(CLR_VECTOR / "unsigned-clrcredential.json"), cryptosuite="eddsa-rdfc-2022"
    )
    assert canonical == (CLR_VECTOR / "document-canon.txt").read_text(encoding="utf-8")
    signed = _json(CLR_VECTOR / "signed-clrcredential.json")
    report = verify_credential(signed, resolver=_vector_resolver(tmp_path), now=NOW)
    assert report.verdict == "valid", report.to_json()
    assert [inner.verdict for inner in report.inner] == ["valid"]
    signed["name"] = "Forged Transcript"
    forged = verify_credential(signed, resolver=_vector_resolver(tmp_path), now=NOW)
    assert forged.verdict == "invalid"
    assert {c.id: c.code for c in forged.checks if not c.passed} == {"proof": "INVALID_SIGNATURE"}


def test_clr_of_20_badges_verifies_and_matches_the_clr_schema(
    catalog: BadgeCatalog, issuer: TestIssuer
) -> None:
    clr = _clr(issuer, _badges(catalog, issuer, 20))
    assert _schema_errors(clr) == []
    report = verify_credential(clr, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "valid", [c for c in report.checks if not c.passed]
    assert len(report.inner) == 20
    assert all(inner.verdict == "valid" for inner in report.inner)
    assert {c.id for c in report.checks} >= {
        "proof",
        "issuer_key",
        "structure",
        "validity",
        "status",
        "credentials",
    }
    as_json = report.to_json()
    assert as_json["credential"]["type"] == "ClrCredential"
    assert as_json["credential"]["credentialCount"] == 20
    assert [item["index"] for item in as_json["credentials"]] == list(range(20))
    assert all(item["verdict"] == "valid" for item in as_json["credentials"])


def test_clr_tampered_inner_badge_is_reported_for_that_badge(
    catalog: BadgeCatalog, issuer: TestIssuer
) -> None:
    badges = _badges(catalog, issuer, 20)
    clr = _clr(issuer, badges)
    tampered = copy.deepcopy(clr)
    result = tampered["credentialSubject"]["verifiableCredential"][7]["credentialSubject"]["result"][0]
    result["achievedLevel"] = re.sub(r"#level-\d$", "#level-1", result["achievedLevel"])  # a weaker level
    assert result != clr["credentialSubject"]["verifiableCredential"][7]["credentialSubject"]["result"][0]
    report = verify_credential(tampered, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "invalid"
    # The transcript's own signature covers every badge in it, so it fails too...
    assert report.check("proof") is not None
    assert report.check("proof").code == "INVALID_SIGNATURE"  # type: ignore[union-attr]
    credentials = report.check("credentials")
    assert credentials is not None
    assert credentials.code == "INNER_CREDENTIAL_INVALID"
    assert "credential 8 (urn:uuid:00000000-0000-4000-8000-000000000007): invalid" in credentials.message
    # ...and the badge itself is named, while the 19 others still verify on their own.
    verdicts = [r.verdict for r in report.inner]
    assert verdicts == ["valid"] * 7 + ["invalid"] + ["valid"] * 12
    assert {c.id: c.code for c in report.inner[7].checks if not c.passed} == {"proof": "INVALID_SIGNATURE"}


def test_clr_inner_badge_of_another_learner_is_refused(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    badges = _badges(catalog, issuer, 2)
    other = Award(
        definition=catalog.get(sorted(d.slug for d in catalog)[0]),
        level=3,
        recipient="did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
    )
    someone_else = issuer.sign_ldp(
        build_credential(
            other,
            issuer.profile,
            credential_id="urn:uuid:07e00000-0000-4000-8000-000000000000",
            now=NOW,
            salt="s",
        )
    )
    report = verify_credential(_clr(issuer, [badges[0], someone_else]), resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "invalid"
    assert report.inner[0].verdict == "valid"
    assert {c.id: c.code for c in report.inner[1].checks if not c.passed} == {
        "clr_subject": "SUBJECT_MISMATCH"
    }


def test_clr_that_breaks_the_schema_fails_structure(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    unsigned = build_clr(
        issuer.profile,
        credentials=_badges(catalog, issuer, 1),
        learner=LEARNER,
        credential_id="urn:uuid:c1c1c1c1-0000-4000-8000-000000000002",
        name="Transcript",
        now=NOW,
        salt="s",
    )
    del unsigned["name"]  # required by CLR 2.0
    report = verify_credential(issuer.sign_ldp(unsigned), resolver=issuer.resolver(), now=NOW)
    structure = report.check("structure")
    assert structure is not None
    assert not structure.passed
    assert structure.code == "MALFORMED_CREDENTIAL"
    assert "'name' is a required property" in structure.message


def test_clr_facts_each_verified_inner_badge_counts_alone(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    badges = _badges(catalog, issuer, 3)
    report = verify_credential(_clr(issuer, badges), resolver=issuer.resolver(), now=NOW)
    facts = [facts_from_credential(inner.credential or {}, verdict=inner.verdict) for inner in report.inner]
    assert [f.credential_id for f in facts] == [b["id"] for b in badges]
    assert all(f.verdict == "valid" and f.level in (3, 4) for f in facts)


@pytest.mark.parametrize("learner", ["ana@students.example.edu", LEARNER])
def test_clr_subject_is_the_learner_hashed_or_by_did(
    catalog: BadgeCatalog, issuer: TestIssuer, learner: str
) -> None:
    clr = build_clr(
        issuer.profile,
        credentials=_badges(catalog, issuer, 1),
        learner=learner,
        credential_id="urn:uuid:c1c1c1c1-0000-4000-8000-000000000003",
        name="Transcript",
        now=NOW,
        salt="s",
    )
    subject = clr["credentialSubject"]
    assert "ana@" not in json.dumps(clr)
    assert ("id" in subject) == learner.startswith("did:")
    report = verify_credential(issuer.sign_ldp(clr), resolver=issuer.resolver(), now=NOW)
    assert report.check("proof").passed  # type: ignore[union-attr]
    assert report.check("structure").passed  # type: ignore[union-attr]


def _cli(*args: str) -> Any:
    from typer.testing import CliRunner

    from issuer.cli import app

    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "200"})


def test_clr_badges_verify_prints_each_badge_and_json_holds_inner_results(
    catalog: BadgeCatalog, issuer: TestIssuer, tmp_path: Path
) -> None:
    clr = _clr(issuer, _badges(catalog, issuer, 20))
    good = tmp_path / "clr.json"
    good.write_text(json.dumps(clr), encoding="utf-8")
    tampered = copy.deepcopy(clr)
    tampered["credentialSubject"]["verifiableCredential"][3]["name"] = "Forged"
    bad = tmp_path / "tampered-clr.json"
    bad.write_text(json.dumps(tampered), encoding="utf-8")
    at = ["--resolve", str(issuer.resolve_map()), "--offline", "--at", NOW.isoformat()]

    text = _cli("verify", str(good), *at)
    assert text.exit_code == 0, text.output
    assert "CLR transcript 'Transcript for Northwest College' of 20 credential(s)" in text.output
    assert text.output.count("credential ") >= 20
    assert "credential 20: VALID" in text.output

    as_json = _cli("verify", str(bad), "--json", *at)
    assert as_json.exit_code == 1, as_json.output
    result = json.loads(as_json.output)
    assert result["verdict"] == "invalid"
    assert [item["verdict"] for item in result["credentials"]] == ["valid"] * 3 + ["invalid"] + ["valid"] * 16
    assert {c["id"]: c["code"] for c in result["credentials"][3]["checks"] if not c["passed"]} == {
        "proof": "INVALID_SIGNATURE"
    }


def test_clr_transfer_counts_each_verified_badge_as_if_given_alone(
    catalog: BadgeCatalog, issuer: TestIssuer, tmp_path: Path
) -> None:
    rules = REPO / "badge_defs" / "credit_rules" / "riverbend-community-college.yaml"
    badges = _badges(catalog, issuer, len(list(catalog)))
    clr = tmp_path / "clr.json"
    clr.write_text(json.dumps(_clr(issuer, badges)), encoding="utf-8")
    alone = []
    for index, badge in enumerate(badges):
        path = tmp_path / f"badge-{index}.json"
        path.write_text(json.dumps(badge), encoding="utf-8")
        alone.append(str(path))
    at = ["--resolve", str(issuer.resolve_map()), "--offline", "--at", NOW.isoformat(), "--json"]
    from_clr = _cli("transfer", "--rules", str(rules), str(clr), *at)
    from_files = _cli("transfer", "--rules", str(rules), *alone, *at)
    assert from_clr.exit_code == 0, from_clr.output
    assert from_files.exit_code == 0, from_files.output
    decision = json.loads(from_clr.output)["decision"]
    assert decision["granted"], decision
    assert decision == json.loads(from_files.output)["decision"]


def test_clr_with_too_many_credentials_verifies_none_of_them(
    catalog: BadgeCatalog, issuer: TestIssuer
) -> None:
    badge = _badges(catalog, issuer, 1)[0]
    unsigned = build_clr(
        issuer.profile,
        credentials=[badge] * 129,
        learner=LEARNER,
        credential_id="urn:uuid:c1c1c1c1-0000-4000-8000-000000000004",
        name="Transcript",
        now=NOW,
        salt="s",
    )
    report = verify_credential(unsigned, resolver=issuer.resolver(), now=NOW)
    assert report.inner == ()
    credentials = report.check("credentials")
    assert credentials is not None
    assert "holds 129 credentials; at most 128 are verified" in credentials.message


def test_clr_without_the_context_is_indeterminate_and_its_badges_count(
    catalog: BadgeCatalog, issuer: TestIssuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Signed where the operator supplied the context, verified where nobody did.
    badges = _badges(catalog, issuer, 3)
    clr = _clr(issuer, badges)
    for name in ("BADGES_CONTEXTS_DIR", "BADGES_TEST_CONTEXT_PINS", "BADGES_ALLOW_TEST_CONTEXT_PINS"):
        monkeypatch.delenv(name)
    report = verify_credential(clr, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "indeterminate"
    proof = report.check("proof")
    assert proof is not None
    assert proof.code == "CONTEXT_UNAVAILABLE"
    assert CLR_CONTEXT_URL in proof.message
    assert [inner.verdict for inner in report.inner] == ["valid"] * 3
    facts = [facts_from_credential(inner.credential or {}, verdict=inner.verdict) for inner in report.inner]
    assert [f.credential_id for f in facts] == [b["id"] for b in badges]
    assert all(f.verdict == "valid" for f in facts)


def test_clr_badges_verify_without_context_exits_indeterminate_and_with_contexts_option_valid(
    catalog: BadgeCatalog, issuer: TestIssuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "clr.json"
    path.write_text(json.dumps(_clr(issuer, _badges(catalog, issuer, 2))), encoding="utf-8")
    folder = os.environ["BADGES_CONTEXTS_DIR"]
    monkeypatch.delenv("BADGES_CONTEXTS_DIR")
    at = ["--resolve", str(issuer.resolve_map()), "--offline", "--at", NOW.isoformat()]

    without = _cli("verify", str(path), *at)
    assert without.exit_code == 3, without.output
    assert "CONTEXT_UNAVAILABLE" in without.output
    assert "credential 2: VALID" in without.output
    assert "Traceback" not in without.output

    with_option = _cli("verify", str(path), "--contexts", folder, *at)
    assert with_option.exit_code == 0, with_option.output
    # The option holds for that command only.
    assert "BADGES_CONTEXTS_DIR" not in os.environ

    missing = _cli("verify", str(path), "--contexts", str(tmp_path / "nowhere"), *at)
    assert missing.exit_code == 2
    assert "--contexts" in missing.output
