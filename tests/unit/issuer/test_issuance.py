"""Building and signing OpenBadgeCredentials from badge definitions."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest

from issuer.errors import InvalidAwardError, InvalidRequestError
from issuer.issuance import (
    Attester,
    Award,
    EvidenceItem,
    IssuerProfile,
    attesting_role,
    build_credential,
    check_text,
    identity_hash,
)
from tests.conftest import NOW, SPEC, TestIssuer
from verifier.errors import MalformedCredentialError
from verifier.verify import verify_credential

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

SCHEMA = SPEC / "schemas" / "ob" / "ob_v3p0_achievementcredential_schema.json"
PROFILE = IssuerProfile(id="did:web:badges.example.edu:orgs:lincoln-hs", name="Lincoln High School")


def _build(catalog: BadgeCatalog, **changes: Any) -> dict[str, Any]:
    award: dict[str, Any] = {
        "definition": catalog.get("weld-smaw-3f"),
        "level": 3,
        "recipient": "Ana.Lopez@students.example.org",
        "attester": Attester(
            id="urn:uuid:5e3c1d2a-0000-4000-8000-000000000001",
            name="R. Okafor",
            role="supervisor",
            organization="Acme Fabrication",
        ),
        "evidence": (EvidenceItem(name="Coupon photos", url="https://evidence.example.org/e/42"),),
    } | changes
    return build_credential(
        Award(**award),
        PROFILE,
        credential_id="urn:uuid:0b5c2d0e-6f1f-4c55-9d1c-2a0f3f9e7a11",
        now=NOW,
        salt="d2f1a9c0e4b7",
    )


def _schema_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def test_issuance_email_recipient_is_hashed_with_salt(catalog: BadgeCatalog) -> None:
    credential = _build(catalog)
    text = json.dumps(credential)
    assert "ana.lopez" not in text.lower()
    identity = credential["credentialSubject"]["identifier"][0]
    assert identity["type"] == "IdentityObject"
    assert identity["hashed"] is True
    assert identity["identityType"] == "emailAddress"
    expected = hashlib.sha256(b"ana.lopez@students.example.orgd2f1a9c0e4b7").hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    assert "id" not in credential["credentialSubject"]


def test_issuance_identity_hash_matches_the_spec_example() -> None:
    # OB 3.0 «B.7» example: SHA-256("a@example.com" + "Kosher").
    assert identity_hash("a@example.com", "Kosher") == (
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


def test_issuance_records_level_rubric_attester_and_evidence(catalog: BadgeCatalog) -> None:
    credential = _build(catalog, level=4)
    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    rubric = achievement["resultDescription"][0]
    assert [level["level"] for level in rubric["rubricCriterionLevel"]] == ["1", "2", "3", "4"]
    assert rubric["requiredLevel"] == f"{achievement['id']}#level-3"
    assert subject["result"][0]["achievedLevel"] == f"{achievement['id']}#level-4"
    assert subject["result"][0]["resultDescription"] == rubric["id"]
    assert subject["source"]["name"] == "R. Okafor"
    assert "Supervisor, Acme Fabrication" in subject["source"]["description"]
    assert credential["evidence"][0]["id"] == "https://evidence.example.org/e/42"
    assert achievement["version"] == "1"
    assert achievement["otherIdentifier"][0]["identifier"] == catalog.get("weld-smaw-3f").content_hash


def test_issuance_validity_comes_from_the_definition(catalog: BadgeCatalog) -> None:
    credential = _build(catalog)  # weld-smaw-3f is valid for P3Y
    assert credential["validFrom"] == "2026-11-23T12:00:00Z"
    assert credential["awardedDate"] == "2026-11-23T12:00:00Z"
    assert credential["validUntil"] == "2029-11-23T12:00:00Z"


def test_issuance_below_required_level_is_refused(catalog: BadgeCatalog) -> None:
    with pytest.raises(InvalidAwardError, match=r"awarded at level 3 \(Competent\) or above"):
        _build(catalog, level=2)


def test_issuance_level_off_the_scale_is_refused(catalog: BadgeCatalog) -> None:
    with pytest.raises(InvalidAwardError, match="must be 1, 2, 3 or 4"):
        _build(catalog, level=5)


def test_issuance_attester_role_not_allowed_is_refused(catalog: BadgeCatalog) -> None:
    definition = catalog.get("math-7rp-proportional")
    assert "supervisor" not in definition.attester_roles
    with pytest.raises(InvalidAwardError, match="may not attest"):
        _build(catalog, definition=definition, attester=Attester(id="urn:x:1", name="S", role="supervisor"))


def test_issuance_bad_recipient_is_refused(catalog: BadgeCatalog) -> None:
    with pytest.raises(InvalidAwardError, match="neither an e-mail address nor a DID"):
        _build(catalog, recipient="not an address")


@pytest.mark.parametrize(
    "recipient",
    [
        "did:",
        "did:key:",
        "did:key",
        "did::z6Mk",
        "did:KEY:z6Mk",
        "did:web:badges.example.edu:",
        "did:key:z6Mk with space",
        "did:key:z6Mk\n",
        "did:key:z6Mk#z6Mk",
        "did:example:100%",
    ],
)
def test_issuance_malformed_did_recipient_is_refused(catalog: BadgeCatalog, recipient: str) -> None:
    with pytest.raises(InvalidAwardError, match="is not a valid DID"):
        _build(catalog, recipient=recipient)


@pytest.mark.parametrize(
    "recipient",
    [
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "did:web:w3c-ccg.github.io:user:alice",
        "did:web:localhost%3A8443",
        "did:example:123456789abcdefghi",
        "did:ion:EiClkZMDxPKqC9c-umQfTkR8vvZ9JPhl_xLDI9Nfk38w5w",
    ],
)
def test_issuance_valid_did_recipient_is_the_subject_id(catalog: BadgeCatalog, recipient: str) -> None:
    credential = _build(catalog, recipient=recipient)
    assert credential["credentialSubject"]["id"] == recipient


@pytest.mark.parametrize("slug", ["math-7rp-proportional", "weld-smaw-3f", "workplace-communication"])
def test_issuance_every_example_validates_against_the_ob_schema(
    catalog: BadgeCatalog, issuer: TestIssuer, slug: str
) -> None:
    definition = catalog.get(slug)
    role = sorted(definition.attester_roles)[0]
    credential = _build(catalog, definition=definition, attester=Attester(id="urn:x:1", name="A", role=role))
    validator = _schema_validator()
    errors = [e.message for e in validator.iter_errors(issuer.sign_ldp(credential))]
    assert errors == []


def test_issuance_schema_check_can_fail(catalog: BadgeCatalog) -> None:
    credential = _build(catalog)
    del credential["credentialSubject"]["achievement"]["criteria"]
    assert list(_schema_validator().iter_errors(credential))


def test_issuance_signed_ldp_verifies(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_build(catalog))
    report = verify_credential(signed, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "valid", report.to_json()
    assert [c.id for c in report.checks] == ["proof", "issuer_key", "structure", "validity", "status"]


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
def test_issuance_signed_jwt_verifies(catalog: BadgeCatalog, issuer: TestIssuer, algorithm: str) -> None:
    credential = _build(catalog, recipient="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    token = issuer.sign_jwt(credential, algorithm)
    report = verify_credential(token, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "valid", report.to_json()
    assert report.format == "jwt"
    assert report.summary()["level"] == 3


def test_issuance_jwt_for_a_hashed_recipient_is_refused(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    with pytest.raises(MalformedCredentialError, match=r"credentialSubject\.id"):
        issuer.sign_jwt(_build(catalog))


def test_issuance_naive_time_is_refused(catalog: BadgeCatalog) -> None:
    award = Award(definition=catalog.get("weld-smaw-3f"), level=3, recipient="a@b.example")
    with pytest.raises(InvalidAwardError, match="timezone"):
        build_credential(award, PROFILE, credential_id="urn:uuid:1", now=datetime(2026, 1, 1), salt="s")  # noqa: DTZ001
    assert build_credential(
        award, PROFILE, credential_id="urn:uuid:1", now=datetime(2026, 1, 1, tzinfo=UTC), salt="s"
    )


@pytest.mark.parametrize("url", ["javascript:alert(1)", "not a url", "ftp://files.example.org/x", "https://"])
def test_issuance_evidence_link_must_be_a_web_address(catalog: BadgeCatalog, url: str) -> None:
    with pytest.raises(InvalidAwardError, match="not an http"):
        _build(catalog, evidence=(EvidenceItem(name="Evidence", url=url),))


@pytest.mark.parametrize(
    "bad", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ud800", "\ufffe", "\uffff"]
)
def test_check_text_refuses_characters_xml_cannot_carry(bad: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        check_text(f"ab{bad}c", "comment")
    assert caught.value.detail.startswith("comment:")
    assert f"U+{ord(bad):04X} at position 3" in caught.value.detail


def test_check_text_accepts_tabs_line_breaks_and_any_plane() -> None:
    text = "a\tb\nc\rd \x7f é ✓ \ue000 \ufffd 𝄞 \U0010ffff"
    assert check_text(text, "narrative") is text


@pytest.mark.parametrize(
    "changes",
    [
        {"narrative": "ok\x02"},
        {"evidence": (EvidenceItem(name="Plate\uffff", url="https://evidence.example.org/e/1"),)},
        {"evidence": (EvidenceItem(name="Plate", narrative="sha\x1b"),)},
    ],
)
def test_issuance_refuses_text_xml_cannot_carry(catalog: BadgeCatalog, changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidAwardError, match="is not allowed"):
        _build(catalog, **changes)


@pytest.mark.parametrize(
    ("held", "allowed", "expected"),
    [
        ({"admin"}, {"teacher", "admin"}, "admin"),
        ({"admin"}, {"teacher"}, "teacher"),
        ({"admin", "teacher"}, {"teacher"}, "teacher"),
        ({"admin", "teacher"}, {"admin", "teacher"}, "admin"),
        ({"teacher"}, {"teacher", "admin"}, "teacher"),
        ({"teacher"}, {"admin"}, None),
        ({"admin"}, {"supervisor"}, None),
        ({"supervisor", "student"}, {"teacher", "supervisor"}, None),
    ],
)
def test_attesting_role_one_rule_for_staff(held: set[str], allowed: set[str], expected: str | None) -> None:
    assert attesting_role(held, allowed=allowed) == expected
