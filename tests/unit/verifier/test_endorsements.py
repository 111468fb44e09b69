"""Endorsements: an organisation's signed EndorsementCredential of a badge definition, embedded in the
badges issued afterwards, verified and reported; credit rules that require one."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from issuer.issuance import Award, IssuerProfile, build_credential, sign_data_integrity
from issuer.transcripts import build_endorsement
from keys.encoding import did_key_from_public_key
from keys.signer import signer_for
from tests.conftest import NOW, SPEC, TestIssuer
from verifier.credit import evaluate, facts_from_credential, parse_rules
from verifier.errors import CreditRulesError
from verifier.resolve import OfflineFetcher, Resolver
from verifier.verify import verify_credential

if TYPE_CHECKING:
    from pathlib import Path

    from issuer.definitions import BadgeCatalog

SCHEMA = SPEC / "schemas" / "ob" / "ob_v3p0_endorsementcredential_schema.json"
BADGE = "math-7rp-proportional"
COMMENT = "Northwest College accepts this badge at level 3 or above for MATH 101, 3 credits."


class Endorser:
    """Northwest College, as a did:key issuer (no network to resolve it)."""

    def __init__(self) -> None:
        key = Ed25519PrivateKey.generate()
        self.did = did_key_from_public_key(key.public_key())
        self.signer = signer_for(key, key_id=self.did.removeprefix("did:key:"))
        self.profile = IssuerProfile(id=self.did, name="Northwest College")

    def endorse(
        self,
        achievement_id: str,
        comment: str = COMMENT,
        *,
        name: str = "Proportional reasoning",
        number: int = 1,
    ) -> dict[str, Any]:
        unsigned = build_endorsement(
            self.profile,
            achievement_id=achievement_id,
            achievement_name=name,
            comment=comment,
            credential_id=f"urn:uuid:e0d0e0d0-0000-4000-8000-{number:012d}",
            now=NOW,
        )
        return sign_data_integrity(
            unsigned, self.signer, verification_method=f"{self.did}#{self.signer.key_id}", created=NOW
        )


@pytest.fixture(name="endorser")
def fx_endorser() -> Endorser:
    return Endorser()


def _badge(catalog: BadgeCatalog, issuer: TestIssuer, endorsements: list[dict[str, Any]]) -> dict[str, Any]:
    award = Award(
        definition=catalog.get(BADGE),
        level=3,
        recipient="ana@students.example.edu",
        endorsements=endorsements,
    )
    unsigned = build_credential(
        award,
        issuer.profile,
        credential_id="urn:uuid:7d4c2c1e-1111-4a4a-9b9b-0123456789ab",
        now=NOW,
        salt="s",
    )
    return issuer.sign_ldp(unsigned)


def _rules(endorser: Endorser, *, endorsed_by: list[str] | None) -> Any:
    matcher: dict[str, Any] = {
        "achievement_id": "https://consortium.example/achievements/x",
        "min_level": 3,
        "label": "Proportional reasoning",
    }
    return {
        "institution": {"name": "Northwest College", "id": "https://northwest.example.edu/"},
        "trusted_issuers": [
            {"id": "did:web:badges.example.edu:orgs:lincoln-hs", "name": "Lincoln High School"}
        ],
        "trusted_endorsers": [{"id": endorser.did, "name": "Northwest College"}],
        "rules": [
            {
                "id": "math-101",
                "accepts": {"all_of": [matcher | ({"endorsed_by": endorsed_by} if endorsed_by else {})]},
                "grants": {"course_code": "MATH 101", "course_title": "College Algebra", "credits": 3},
            }
        ],
    }


def test_endorsement_credential_matches_the_ob_endorsement_schema(
    catalog: BadgeCatalog, endorser: Endorser
) -> None:
    endorsement = endorser.endorse(catalog.get(BADGE).achievement_id)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(endorsement)] == []
    report = verify_credential(endorsement, resolver=Resolver(OfflineFetcher()), now=NOW)
    assert report.verdict == "valid", report.to_json()
    assert report.kind == "endorsement"
    assert report.summary()["comment"] == COMMENT


def test_endorsement_embedded_in_a_badge_is_verified_and_reported(
    catalog: BadgeCatalog, issuer: TestIssuer, endorser: Endorser
) -> None:
    achievement = catalog.get(BADGE).achievement_id
    badge = _badge(catalog, issuer, [endorser.endorse(achievement)])
    assert badge["credentialSubject"]["achievement"]["endorsement"][0]["proof"]
    report = verify_credential(badge, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "valid", report.to_json()
    assert report.check("endorsements").passed  # type: ignore[union-attr]
    (endorsement,) = report.endorsements
    assert (endorsement.endorser, endorsement.endorser_name, endorsement.comment) == (
        endorser.did,
        "Northwest College",
        COMMENT,
    )
    assert endorsement.report.verdict == "valid"
    assert report.valid_endorsers() == (endorser.did,)
    shown = report.to_json()["endorsements"][0]
    assert shown["verdict"] == "valid"
    assert shown["where"] == "credentialSubject.achievement.endorsement[0]"


def test_endorsement_tampered_is_reported_invalid_but_the_badge_stays_valid(
    catalog: BadgeCatalog, issuer: TestIssuer, endorser: Endorser
) -> None:
    forged = endorser.endorse(catalog.get(BADGE).achievement_id)
    forged["credentialSubject"]["endorsementComment"] = "Northwest College grants 30 credits for this badge."
    report = verify_credential(_badge(catalog, issuer, [forged]), resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "valid"  # the issuer's signed badge is intact; a third party's word is not
    warning = report.check("endorsements")
    assert warning is not None
    assert (warning.passed, warning.warning, warning.code) == (False, True, "ENDORSEMENT_INVALID")
    assert report.endorsements[0].report.verdict == "invalid"
    assert report.endorsements[0].report.check("proof").code == "INVALID_SIGNATURE"  # type: ignore[union-attr]
    assert report.valid_endorsers() == ()


def test_endorsement_of_another_badge_does_not_count(
    catalog: BadgeCatalog, issuer: TestIssuer, endorser: Endorser
) -> None:
    other = endorser.endorse(catalog.get("weld-smaw-3f").achievement_id, name="SMAW fillet weld 3F")
    report = verify_credential(_badge(catalog, issuer, [other]), resolver=issuer.resolver(), now=NOW)
    failed = {c.id: c.code for c in report.endorsements[0].report.checks if not c.passed}
    assert failed == {"endorsed_subject": "ENDORSEMENT_SUBJECT_MISMATCH"}
    assert report.valid_endorsers() == ()


@pytest.mark.parametrize(
    ("endorsed", "tampered", "granted"), [(True, False, True), (False, False, False), (True, True, False)]
)
def test_endorsement_required_by_a_credit_rule(
    catalog: BadgeCatalog,
    issuer: TestIssuer,
    endorser: Endorser,
    endorsed: bool,
    tampered: bool,
    granted: bool,
) -> None:
    achievement = catalog.get(BADGE).achievement_id
    endorsements = []
    if endorsed:
        endorsements.append(endorser.endorse(achievement))
        if tampered:
            endorsements[0]["credentialSubject"]["endorsementComment"] += " (changed)"
    report = verify_credential(_badge(catalog, issuer, endorsements), resolver=issuer.resolver(), now=NOW)
    data = _rules(endorser, endorsed_by=[endorser.did])
    data["rules"][0]["accepts"]["all_of"][0]["achievement_id"] = achievement
    facts = facts_from_credential(
        report.credential or {}, verdict=report.verdict, endorsers=report.valid_endorsers()
    )
    decision = evaluate([facts], parse_rules(data), now=NOW)
    assert bool(decision.granted) is granted
    if not granted:
        reason = decision.rules[0].badges[0].reason
        assert f"not endorsed by Northwest College ({endorser.did})" in reason
        assert "no valid endorsement of this badge" in reason


def test_endorsement_rule_names_an_endorser_that_is_not_trusted(endorser: Endorser) -> None:
    data = _rules(endorser, endorsed_by=["https://unknown.example/college"])
    with pytest.raises(CreditRulesError) as raised:
        parse_rules(data, source="northwest.yaml")
    assert raised.value.problems == (
        "northwest.yaml: rules.0.accepts.all_of.0.endorsed_by.0: 'https://unknown.example/college' is not in trusted_endorsers",
    )


def test_endorsement_shown_by_badges_verify(
    catalog: BadgeCatalog, issuer: TestIssuer, endorser: Endorser, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from issuer.cli import app

    forged = endorser.endorse(catalog.get(BADGE).achievement_id, number=2)
    forged["credentialSubject"]["endorsementComment"] = "Changed after signing."
    badge = _badge(catalog, issuer, [endorser.endorse(catalog.get(BADGE).achievement_id), forged])
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(badge), encoding="utf-8")
    args = ["verify", str(path), "--resolve", str(issuer.resolve_map()), "--offline", "--at", NOW.isoformat()]
    result = CliRunner().invoke(app, args, env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"endorsed by Northwest College ({endorser.did}): VALID" in result.output
    assert f"endorsed by Northwest College ({endorser.did}): INVALID" in result.output
    assert COMMENT in result.output
    as_json = CliRunner().invoke(app, [*args, "--json"], env={"NO_COLOR": "1"})
    verdicts = [e["verdict"] for e in json.loads(as_json.output)["endorsements"]]
    assert verdicts == ["valid", "invalid"]


def test_endorsements_of_a_forged_badge_are_not_checked(
    catalog: BadgeCatalog, issuer: TestIssuer, endorser: Endorser
) -> None:
    badge = _badge(catalog, issuer, [endorser.endorse(catalog.get(BADGE).achievement_id)])
    badge["name"] = "Forged"
    report = verify_credential(badge, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "invalid"
    assert report.endorsements == ()
    skipped = report.check("endorsements")
    assert skipped is not None
    assert (skipped.passed, skipped.warning, skipped.code) == (False, True, "ENDORSEMENTS_NOT_CHECKED")
