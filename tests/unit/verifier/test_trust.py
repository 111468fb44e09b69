"""Trust lists: who is trusted for what, with reasons; invalid files name the file and the field."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from issuer.issuance import Award, build_credential
from tests.conftest import NOW, TestIssuer
from verifier.errors import TrustListError
from verifier.trust import TrustDecision, TrustList, load_trust_list, parse_trust_list

if TYPE_CHECKING:
    from pathlib import Path

    from issuer.definitions import BadgeCatalog

LINCOLN = "did:web:badges.example.edu:orgs:lincoln-hs"
BOISE = "https://boise-cte.example.org/issuer"
WELD = "https://boise-cte.example.org/achievements/weld-101"

TRUST_YAML = f"""
name: Idaho colleges
description: Issuers whose badges the registrar accepts
issuers:
  - id: {LINCOLN}
    name: Lincoln High School
  - id: {BOISE}
    name: Boise CTE Center
    for:
      achievement_types: [Competency]
      achievements: [{WELD}]
  - id: did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi
    name: Summer camp
    for:
      achievement_types: [Badge, "ext:CampBadge"]
"""


@pytest.fixture(name="trust_list")
def fx_trust_list(tmp_path: Path) -> TrustList:
    path = tmp_path / "trust.yaml"
    path.write_text(TRUST_YAML, encoding="utf-8")
    return load_trust_list(path)


def _write(tmp_path: Path, data: Any, name: str = "trust.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_load_trust_list_reads_yaml(trust_list: TrustList) -> None:
    assert trust_list.name == "Idaho colleges"
    assert [issuer.name for issuer in trust_list.issuers] == [
        "Lincoln High School",
        "Boise CTE Center",
        "Summer camp",
    ]
    assert trust_list.issuers[1].achievement_types == frozenset({"Competency"})


def test_trust_check_unrestricted_issuer(trust_list: TrustList) -> None:
    decision = trust_list.check(LINCOLN, achievement_id="urn:x", achievement_type="Course")
    assert decision == TrustDecision(
        True, f"Lincoln High School ({LINCOLN}) is on the trust list 'Idaho colleges'", "Lincoln High School"
    )


def test_trust_check_issuer_not_on_the_list(trust_list: TrustList) -> None:
    decision = trust_list.check("did:web:x.example", achievement_type="Competency")
    assert decision == TrustDecision(False, "did:web:x.example is not on the trust list 'Idaho colleges'")


def test_trust_check_by_achievement_type(trust_list: TrustList) -> None:
    assert trust_list.check(BOISE, achievement_id="urn:other", achievement_type="Competency").trusted
    refused = trust_list.check(
        "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi", achievement_type="Course"
    )
    assert not refused.trusted
    assert refused.reason.endswith(
        "is trusted by 'Idaho colleges' for achievements of type Badge or ext:CampBadge, not Course"
    )
    assert refused.issuer_name == "Summer camp"


def test_trust_check_by_achievement_id(trust_list: TrustList) -> None:
    decision = trust_list.check(BOISE, achievement_id=WELD, achievement_type="Course")
    assert decision.trusted
    assert (
        decision.reason == f"Boise CTE Center ({BOISE}) is trusted by 'Idaho colleges' for this achievement"
    )


def test_trust_check_refusal_names_both_scopes(trust_list: TrustList) -> None:
    decision = trust_list.check(BOISE, achievement_id="urn:other", achievement_type="Course")
    assert not decision.trusted
    assert "for achievements of type Competency or 1 listed achievement, not Course" in decision.reason


def test_trust_check_achievement_without_type(trust_list: TrustList) -> None:
    decision = trust_list.check("did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    assert not decision.trusted
    assert decision.reason.endswith("and this achievement states no type")


def test_trust_check_credential_of_an_issued_badge(
    trust_list: TrustList, catalog: BadgeCatalog, issuer: TestIssuer
) -> None:
    definition = catalog.get("math-7rp-proportional")
    credential = build_credential(
        Award(definition=definition, level=3, recipient="learner@example.org"),
        issuer.profile,
        credential_id="urn:uuid:9c1e2f3a-4444-4a4a-9b9b-0123456789ab",
        now=NOW,
        salt="s",
    )
    assert trust_list.check_credential(credential).trusted  # Lincoln is trusted for everything
    narrow = parse_trust_list(
        {
            "name": "CTE only",
            "issuers": [{"id": issuer.did, "name": "Lincoln", "for": {"achievement_types": ["License"]}}],
        }
    )
    decision = narrow.check_credential(credential)
    assert not decision.trusted
    assert decision.reason.endswith(f"for achievements of type License, not {definition.achievement_type}")


def test_trust_check_credential_without_issuer_is_untrusted(trust_list: TrustList) -> None:
    assert trust_list.check_credential({"credentialSubject": {}}) == TrustDecision(
        False, "the credential names no issuer id"
    )


def test_load_trust_list_reads_json(tmp_path: Path) -> None:
    trust = load_trust_list(_write(tmp_path, {"name": "Empty", "issuers": []}))
    assert trust.issuers == ()
    assert not trust.check(LINCOLN).trusted


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "document: a trust list is a mapping"),
        ({"issuers": []}, "name: must be a non-empty string"),
        ({"name": "x", "issuers": {}}, "issuers: must be a list"),
        ({"name": "x", "issuers": [], "owner": "me"}, "document: unknown field\\(s\\) owner"),
        ({"name": "x", "issuers": [{"id": LINCOLN}]}, "issuers\\[0\\].name: must be a non-empty string"),
        (
            {"name": "x", "issuers": [{"id": "lincoln", "name": "L"}]},
            "issuers\\[0\\].id: 'lincoln' is not a DID or an https URL",
        ),
        (
            {"name": "x", "issuers": [{"id": LINCOLN, "name": "L"}, {"id": LINCOLN, "name": "L2"}]},
            "issuers\\[1\\].id: .* is listed twice",
        ),
        (
            {"name": "x", "issuers": [{"id": LINCOLN, "name": "L", "for": {"achievment_types": ["Course"]}}]},
            "issuers\\[0\\].for: unknown field\\(s\\) achievment_types",
        ),
        (
            {
                "name": "x",
                "issuers": [{"id": LINCOLN, "name": "L", "for": {"achievement_types": ["course"]}}],
            },
            "issuers\\[0\\].for.achievement_types: 'course' is not an OB 3.0 achievement type",
        ),
        (
            {"name": "x", "issuers": [{"id": LINCOLN, "name": "L", "for": {"achievements": []}}]},
            "issuers\\[0\\].for.achievements: must be a non-empty list",
        ),
        (
            {"name": "x", "issuers": [{"id": LINCOLN, "name": "L", "for": {"achievements": ["weld"]}}]},
            "'weld' is not an achievement id",
        ),
        (
            {"name": "x", "issuers": [{"id": LINCOLN, "name": "L", "for": {}}]},
            "issuers\\[0\\].for: must be a mapping",
        ),
    ],
)
def test_load_trust_list_errors_name_file_and_field(tmp_path: Path, data: Any, message: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(TrustListError, match=message) as caught:
        load_trust_list(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert caught.value.code == "INVALID_TRUST_LIST"


def test_load_trust_list_unreadable_or_unparsable(tmp_path: Path) -> None:
    with pytest.raises(TrustListError, match="cannot read the trust list"):
        load_trust_list(tmp_path / "missing.yaml")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(TrustListError, match=re.escape("bad.yaml: not YAML")):
        load_trust_list(bad_yaml)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{'name': 1}", encoding="utf-8")
    with pytest.raises(TrustListError, match=re.escape("bad.json: not JSON")):
        load_trust_list(bad_json)
