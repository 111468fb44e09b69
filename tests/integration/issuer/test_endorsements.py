"""Endorsements through the service: a college's admin endorses a school's badge definition; badges
issued afterwards carry the signed EndorsementCredential; verifiers report it; credit rules can require
it; withdrawing it revokes it."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
import yaml

from tests.conftest import BADGE_DEFS, NOW, SPEC
from verifier.credit import evaluate, facts_from_credential, parse_rules

if TYPE_CHECKING:
    from issuer.db.models import Credential
    from tests.integration.issuer.conftest import World
    from verifier.verify import VerificationReport

pytestmark = pytest.mark.anyio

SCHEMA = SPEC / "schemas" / "ob" / "ob_v3p0_endorsementcredential_schema.json"
COMMENT = "Riverbend Community College accepts this badge at level 3 or above for MATH 101, 3 credits."
MATH = {"issuer": "lincoln-hs", "badge": "math-7rp-proportional", "version": 1}


async def _college_admin(world: World) -> dict[str, str]:
    """An admin of Riverbend Community College, signed in."""
    from issuer.services.people import add_member, open_session_for

    async with world.services.sessions() as session:
        person, _ = await add_member(
            session,
            organisation=world.organisations["riverbend-cc"],
            email="dean@riverbend.example.edu",
            display_name="Dean",
            role="admin",
            now=NOW,
            actor=None,
        )
        token, web_session = await open_session_for(session, person=person, now=NOW)
    return {"Cookie": f"mb_session={token}", "X-CSRF-Token": web_session.csrf_token}


async def _endorse(world: World, headers: dict[str, str], **body: Any) -> Any:
    return await world.client.post(
        "/api/orgs/riverbend-cc/endorsements", json={**MATH, "comment": COMMENT, **body}, headers=headers
    )


def _rules(world: World) -> Any:
    college = world.organisations["riverbend-cc"].did
    return parse_rules(
        {
            "institution": {"name": "Riverbend Community College", "id": "https://www.riverbend-cc.example/"},
            "trusted_issuers": [{"id": world.organisations["lincoln-hs"].did, "name": "Lincoln High School"}],
            "trusted_endorsers": [{"id": college, "name": "Riverbend Community College"}],
            "rules": [
                {
                    "id": "math-101",
                    "accepts": {
                        "all_of": [
                            {
                                "achievement_id": "https://consortium.example/achievements/ccss-math-7-rp-a-2",
                                "min_level": 3,
                                "endorsed_by": [college],
                            }
                        ]
                    },
                    "grants": {"course_code": "MATH 101", "course_title": "College Algebra", "credits": 3},
                }
            ],
        }
    )


def _credit(world: World, report: VerificationReport) -> Any:
    facts = facts_from_credential(
        report.credential or {}, verdict=report.verdict, endorsers=report.valid_endorsers()
    )
    return evaluate([facts], _rules(world), now=NOW)


async def _verify(world: World, credential: Credential) -> VerificationReport:
    assert credential.ldp is not None
    return await world.verify(credential.ldp)


async def test_endorsement_is_signed_embedded_verified_and_counted(world: World) -> None:
    college = await _college_admin(world)
    before = await world.issue("student2", badge="math-7rp-proportional", level=3)
    created = await _endorse(world, college)
    assert created.status_code == 201, created.text
    endorsement = created.json()["credential"]
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    assert [e.message for e in validator_class(schema).iter_errors(endorsement)] == []
    assert endorsement["issuer"]["id"] == world.organisations["riverbend-cc"].did
    assert endorsement["credentialSubject"] == {
        "id": "https://consortium.example/achievements/ccss-math-7-rp-a-2",
        "type": ["EndorsementSubject"],
        "endorsementComment": COMMENT,
    }
    alone = await world.verify(json.dumps(endorsement))
    assert alone.verdict == "valid", alone.to_json()

    after = await world.issue("student", badge="math-7rp-proportional", level=3)
    assert after.ldp is not None
    assert json.loads(after.ldp)["credentialSubject"]["achievement"]["endorsement"] == [endorsement]
    report = await _verify(world, after)
    assert report.verdict == "valid", report.to_json()
    (found,) = report.endorsements
    assert (found.endorser, found.endorser_name, found.comment, found.report.verdict) == (
        world.organisations["riverbend-cc"].did,
        "Riverbend Community College",
        COMMENT,
        "valid",
    )
    granted = _credit(world, report)
    assert [g.to_json()["courseCode"] for g in granted.granted] == ["MATH 101"]

    # A badge issued before the endorsement carries none, and the rule says why.
    old = await _verify(world, before)
    assert old.verdict == "valid"
    assert old.endorsements == ()
    refused = _credit(world, old)
    assert refused.granted == ()
    assert "not endorsed by Riverbend Community College" in refused.rules[0].badges[0].reason

    listed = await world.client.get("/api/orgs/riverbend-cc/endorsements", headers=college)
    assert [(e["badge"], e["version"], e["issuer"], e["state"]) for e in listed.json()["items"]] == [
        ("math-7rp-proportional", 1, "lincoln-hs", "active")
    ]
    # The definition carries it, publicly, in the catalogue of every school that offers it.
    for school in ("lincoln-hs", "riverside-hs"):
        shown = await world.client.get(f"/api/orgs/{school}/badges/math-7rp-proportional")
        assert shown.json()["endorsements"] == [endorsement]


async def test_endorsement_withdrawn_is_no_longer_embedded_and_verifies_as_revoked(world: World) -> None:
    college = await _college_admin(world)
    endorsement_id = (await _endorse(world, college)).json()["id"]
    carried = await world.issue("student", badge="math-7rp-proportional", level=3)
    withdrawn = await world.client.delete(
        f"/api/orgs/riverbend-cc/endorsements/{endorsement_id}", headers=college
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["state"] == "withdrawn"
    again = await world.client.delete(
        f"/api/orgs/riverbend-cc/endorsements/{endorsement_id}", headers=college
    )
    assert again.status_code == 409

    report = await _verify(world, carried)
    assert report.verdict == "valid"  # the school's badge is untouched
    assert report.endorsements[0].report.check("status").code == "REVOKED"  # type: ignore[union-attr]
    warning = report.check("endorsements")
    assert warning is not None
    assert (warning.passed, warning.warning, warning.code) == (False, True, "ENDORSEMENT_INVALID")
    assert _credit(world, report).granted == ()
    later = await world.issue("student2", badge="math-7rp-proportional", level=3)
    assert later.ldp is not None
    assert "endorsement" not in json.loads(later.ldp)["credentialSubject"]["achievement"]
    shown = await world.client.get("/api/orgs/lincoln-hs/badges/math-7rp-proportional")
    assert shown.json()["endorsements"] == []


async def test_endorsement_tampered_in_storage_is_reported_invalid(world: World) -> None:
    from issuer.db.models import Endorsement

    college = await _college_admin(world)
    endorsement_id = (await _endorse(world, college)).json()["id"]
    async with world.services.sessions() as session:
        row = await session.get(Endorsement, endorsement_id)
        assert row is not None
        row.ldp = row.ldp.replace("3 credits", "30 credits")
        await session.commit()
    report = await _verify(world, await world.issue("student", badge="math-7rp-proportional", level=3))
    assert report.verdict == "valid"
    assert report.endorsements[0].report.verdict == "invalid"
    assert report.endorsements[0].report.check("proof").code == "INVALID_SIGNATURE"  # type: ignore[union-attr]
    assert report.valid_endorsers() == ()


async def test_endorsement_bad_requests_are_refused(world: World) -> None:
    college = await _college_admin(world)
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        (
            {"badge": "no-such-badge"},
            404,
            "BADGE_NOT_FOUND",
            "lincoln-hs offers no badge 'no-such-badge' version 1",
        ),
        ({"version": 99}, 404, "BADGE_NOT_FOUND", "version 99"),
        ({"issuer": "no-such-school"}, 404, "ORGANISATION_NOT_FOUND", "no-such-school"),
        ({"comment": "  "}, 422, "INVALID_REQUEST", "comment: must not be empty"),
        ({"comment": "bell \u0007"}, 422, "INVALID_REQUEST", "comment: the character U+0007"),
    ]
    for body, status, code, message in cases:
        refused = await _endorse(world, college, **body)
        assert refused.status_code == status, (body, refused.text)
        assert refused.json()["code"] == code
        assert message in refused.json()["detail"], refused.json()
    # An organisation's own badge is offered by that organisation only.
    own = copy.deepcopy(
        yaml.safe_load((BADGE_DEFS / "badges" / "math-7rp-proportional.yaml").read_text(encoding="utf-8"))
    )
    own["achievement_id"] = "https://riverside.example.edu/achievements/algebra-ready"
    added = await world.client.post(
        "/api/orgs/riverside-hs/badges",
        json={"slug": "riverside-algebra-ready", "definition": own},
        headers=world.headers("other_admin"),
    )
    assert added.status_code == 201, added.text
    not_lincolns = await _endorse(world, college, badge="riverside-algebra-ready")
    assert not_lincolns.status_code == 404
    assert "lincoln-hs offers no badge 'riverside-algebra-ready'" in not_lincolns.json()["detail"]
    riversides = await _endorse(world, college, issuer="riverside-hs", badge="riverside-algebra-ready")
    assert riversides.status_code == 201, riversides.text
    created = await _endorse(world, college)
    assert created.status_code == 201
    twice = await _endorse(world, college)
    assert twice.status_code == 409
    assert "withdraw that endorsement first" in twice.json()["detail"]
    listed = (await world.client.get("/api/orgs/riverbend-cc/endorsements", headers=college)).json()
    assert listed["total"] == 2
    # Another organisation's endorsement cannot be withdrawn from here.
    other = await world.client.delete(
        f"/api/orgs/lincoln-hs/endorsements/{created.json()['id']}", headers=world.headers("admin")
    )
    assert other.status_code == 404
