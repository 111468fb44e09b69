"""Reading the facts credit rules need from credentials of our issuer and of others."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from issuer.issuance import Attester, Award, EvidenceItem, IssuerProfile, build_credential
from verifier.credit.facts import BadgeFacts, facts_from_credential

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

VECTORS = Path(__file__).resolve().parents[4] / "tests" / "vectors" / "credit"
STATEMATH = VECTORS / "alignment-match" / "credentials"
AWARDED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _ours(catalog: BadgeCatalog, **changes: Any) -> dict[str, Any]:
    award: dict[str, Any] = {
        "definition": catalog.get("weld-smaw-3f"),
        "level": 4,
        "recipient": "ana.lopez@students.example.org",
        "attester": Attester(
            id="https://acme.example/people/7",
            name="R. Okafor",
            role="supervisor",
            organization="Acme Fabrication",
        ),
        "evidence": (
            EvidenceItem(name="Coupon photos", url="https://evidence.example.org/1"),
            EvidenceItem(name="Checklist", narrative="Passed visual inspection."),
        ),
    } | changes
    return build_credential(
        Award(**award),
        IssuerProfile(id="did:web:badges.example.edu:orgs:lincoln-hs", name="Lincoln High School"),
        credential_id="urn:uuid:2f1e8f7a-9d0c-4c1b-8a6e-5b4d3c2a1f00",
        now=AWARDED,
        salt="s4lt",
    )


def _statemath(name: str) -> dict[str, Any]:
    loaded = json.loads((STATEMATH / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_facts_from_our_credential(catalog: BadgeCatalog) -> None:
    facts = facts_from_credential(_ours(catalog), verdict="valid")

    assert facts == BadgeFacts(
        credential_id="urn:uuid:2f1e8f7a-9d0c-4c1b-8a6e-5b4d3c2a1f00",
        issuer_id="did:web:badges.example.edu:orgs:lincoln-hs",
        issuer_name="Lincoln High School",
        achievement_id="https://consortium.example/achievements/aws-sense-smaw-fillet-3f",
        achievement_name="SMAW Fillet Weld, Vertical Position (3F)",
        version="1",
        achievement_type="Competency",
        alignments=("https://www.aws.org/certification-and-education/professional-programs/sense/",),
        level=4,
        awarded=AWARDED,
        attester_role="supervisor",
        evidence_count=2,
        verdict="valid",
        notes=(),
    )


def test_facts_without_attester_has_no_role_and_no_note(catalog: BadgeCatalog) -> None:
    facts = facts_from_credential(_ours(catalog, attester=None), verdict="invalid")

    assert facts.attester_role is None
    assert facts.verdict == "invalid"
    assert facts.notes == ()


def test_facts_rubric_level_with_a_level_field_from_another_issuer() -> None:
    facts = facts_from_credential(_statemath("statemath-proficient"), verdict="valid")

    assert facts.level == 3
    assert facts.attester_role == "teacher"
    assert facts.alignments == (
        "https://www.thecorestandards.org/Math/Content/7/RP/A/2/",
        "CCSS.MATH.CONTENT.7.RP.A.2",
    )
    assert facts.awarded == datetime(2026, 4, 2, 9, 30, tzinfo=UTC)  # validFrom: no awardedDate
    assert facts.version is None
    assert facts.evidence_count == 0


def test_facts_performance_level_value() -> None:
    facts = facts_from_credential(_statemath("statemath-performance-4"), verdict="valid")

    assert facts.level == 4


def test_facts_performance_value_needs_a_performance_level_description() -> None:
    credential = _statemath("statemath-performance-4")
    credential["credentialSubject"]["achievement"]["resultDescription"][0]["resultType"] = "RawScore"

    facts = facts_from_credential(credential, verdict="valid")

    assert facts.level is None
    assert facts.notes == ("result value '4' is a 'RawScore', not a PerformanceLevel",)


@pytest.mark.parametrize(
    ("change", "note"),
    [
        (
            lambda r: r.update(achievedLevel="https://elsewhere.example/level"),
            "achieved level https://elsewhere.example/level is not a rubric level of the achievement",
        ),
        (lambda r: r.update(value="7"), "performance level '7' is not 1..4"),
        (
            lambda r: r.update(value="3", resultDescription="https://elsewhere.example/rd"),
            "result value '3' does not name a result description of the achievement",
        ),
    ],
)
def test_facts_unreadable_level_is_none_with_a_note(change: Any, note: str) -> None:
    credential = _statemath("statemath-performance-4")
    change(credential["credentialSubject"]["result"][0])

    facts = facts_from_credential(credential, verdict="valid")

    assert facts.level is None
    assert note in facts.notes


def test_facts_rubric_level_without_number_is_none(catalog: BadgeCatalog) -> None:
    credential = _ours(catalog)
    for level in credential["credentialSubject"]["achievement"]["resultDescription"][0][
        "rubricCriterionLevel"
    ]:
        level["level"] = "Advanced"

    facts = facts_from_credential(credential, verdict="valid")

    assert facts.level is None
    assert facts.notes[0].endswith("has no level 1..4 (level: 'Advanced')")


def test_facts_unknown_attester_role_is_none_with_a_note(catalog: BadgeCatalog) -> None:
    credential = _ours(catalog)
    credential["credentialSubject"]["source"]["description"] = "Parent volunteer"

    facts = facts_from_credential(credential, verdict="valid")

    assert facts.attester_role is None
    assert facts.notes == ("attester role 'Parent' is not teacher, supervisor or admin",)


def test_facts_naive_date_is_read_as_utc_with_a_note(catalog: BadgeCatalog) -> None:
    credential = _ours(catalog)
    credential["awardedDate"] = "2026-03-02T09:30:00"

    facts = facts_from_credential(credential, verdict="valid")

    assert facts.awarded == AWARDED
    assert facts.notes == ("awardedDate '2026-03-02T09:30:00' has no time zone; read as UTC",)


def test_facts_vc11_jwt_payload_is_unwrapped(catalog: BadgeCatalog) -> None:
    credential = _ours(catalog)
    credential["issuanceDate"] = credential.pop("validFrom")
    del credential["awardedDate"]
    payload = {"iss": credential["issuer"]["id"], "jti": credential["id"], "vc": credential}

    facts = facts_from_credential(payload, verdict="valid")

    assert facts.credential_id == credential["id"]
    assert facts.level == 4
    assert facts.awarded == AWARDED


def test_facts_single_objects_where_arrays_are_expected(catalog: BadgeCatalog) -> None:
    credential = _ours(catalog)
    subject = credential["credentialSubject"]
    subject["result"] = subject["result"][0]
    subject["achievement"]["resultDescription"] = subject["achievement"]["resultDescription"][0]
    subject["achievement"]["alignment"] = subject["achievement"]["alignment"][0]
    credential["evidence"] = credential["evidence"][0]
    credential["issuer"] = credential["issuer"]["id"]

    facts = facts_from_credential(credential, verdict="valid")

    assert facts.level == 4
    assert facts.evidence_count == 1
    assert facts.issuer_id == "did:web:badges.example.edu:orgs:lincoln-hs"
    assert facts.issuer_name is None
    assert len(facts.alignments) == 1


@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"credentialSubject": "nope", "issuer": 7, "validFrom": "yesterday", "evidence": [1, None]},
        {"credentialSubject": [{"achievement": [], "result": [None, 3, {"achievedLevel": 4}]}]},
        {"credentialSubject": {"achievement": {"resultDescription": [{"id": 1}], "version": True}}},
        {"vc": "not a mapping"},
    ],
)
def test_facts_odd_input_never_raises(credential: dict[str, Any]) -> None:
    facts = facts_from_credential(credential, verdict="valid")

    assert facts.level is None
    assert facts.achievement_id is None
    assert facts.notes  # says why


def test_facts_does_not_change_the_credential(catalog: BadgeCatalog) -> None:
    credential = _ours(catalog)
    before = copy.deepcopy(credential)

    facts_from_credential(credential, verdict="valid")

    assert credential == before
