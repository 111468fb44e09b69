"""CLR 2.0 transcripts through the service: a learner asks for a signed ClrCredential of chosen badges
of theirs; the school that issued them signs it; it verifies as a whole and badge by badge.

The official CLR context is not shipped: these tests supply the test-made stand-in (tests/clr_context.py)
the way an operator supplies the real file, and one checks the answer when nobody supplied it."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
import yaml

from tests.conftest import BADGE_DEFS, NOW, SPEC

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("clr_context")]

CLR_SCHEMA = SPEC / "schemas" / "clr" / "clr_v2p0_clrcredential_schema.json"
# Attester per consortium badge (workplace communication is a supervisor's call only).
CONSORTIUM = {
    "math-7rp-proportional": "teacher",
    "weld-smaw-3f": "teacher",
    "weld-smaw-4f": "teacher",
    "workplace-communication": "supervisor",
}
OWN_BADGES = 6  # Lincoln's own definitions: 4 + 6 badges at levels 3 and 4 make 20 credentials


def _schema_errors(document: dict[str, Any], *, definition: str | None = None) -> list[str]:
    """Problems against the CLR schema (or one of its ``$defs``), as ``path: message``."""
    schema = json.loads(CLR_SCHEMA.read_text(encoding="utf-8"))
    if definition is not None:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [
        "/".join(map(str, e.absolute_path)) + ": " + e.message[:80] for e in validator.iter_errors(document)
    ]


def _assert_clr_schema(clr: dict[str, Any]) -> None:
    """The CLR, and each badge inside it, match clr_v2p0_clrcredential_schema.json."""
    assert _schema_errors(clr) == []
    for inner in clr["credentialSubject"]["verifiableCredential"]:
        assert _schema_errors(inner, definition="VerifiableCredential") == []


async def _add_own_badges(world: World, count: int = OWN_BADGES) -> list[str]:
    base: dict[str, Any] = yaml.safe_load(
        Path(BADGE_DEFS / "badges" / "math-7rp-proportional.yaml").read_text(encoding="utf-8")
    )
    slugs = []
    for number in range(1, count + 1):
        definition = copy.deepcopy(base)
        definition["achievement_id"] = f"https://badges.example.edu/achievements/lincoln-unit-{number}"
        definition["name"] = f"Lincoln unit {number}"
        slug = f"lincoln-unit-{number}"
        created = await world.client.post(
            "/api/orgs/lincoln-hs/badges",
            json={"slug": slug, "definition": definition},
            headers=world.headers("admin"),
        )
        assert created.status_code == 201, created.text
        slugs.append(slug)
    return slugs


async def _twenty_badges(world: World, student: str = "student") -> list[str]:
    badges = {**CONSORTIUM, **dict.fromkeys(await _add_own_badges(world), "teacher")}
    ids = []
    for level in (3, 4):
        for badge, attester in badges.items():
            credential = await world.issue(student, badge=badge, level=level, attester=attester)
            ids.append(credential.id)
    assert len(ids) == 20
    return ids


async def _ask(world: World, badges: list[str], who: str = "student", **extra: Any) -> Any:
    body = {"badges": badges, "name": "Transcript for Northwest College", **extra}
    return await world.client.post("/api/me/clr", json=body, headers=world.headers(who))


async def test_transcript_of_20_badges_is_signed_by_the_school_and_verifies(world: World) -> None:
    ids = await _twenty_badges(world)
    created = await _ask(world, ids, description="Grade 11, for admission")
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/vc+ld+json")
    assert "attachment" in created.headers["content-disposition"]
    clr = created.json()
    _assert_clr_schema(clr)
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert clr["issuer"]["id"] == world.organisations["lincoln-hs"].did
    assert clr["partial"] is False  # every badge Lincoln issued to her
    assert "ana@" not in created.text  # the learner is a hashed identifier, as in her badges
    # Each badge is embedded exactly as issued, proof included.
    record = (await world.client.get("/api/me/credentials", headers=world.headers("student"))).json()
    issued = {}
    for entry in record:
        download = await world.client.get(entry["downloads"]["json"], headers=world.headers("student"))
        issued[entry["id"]] = download.json()
    assert clr["credentialSubject"]["verifiableCredential"] == [issued[i] for i in ids]

    report = await world.verify(created.text)
    assert report.verdict == "valid", [c for c in report.checks if not c.passed]
    assert [r.verdict for r in report.inner] == ["valid"] * 20
    assert report.check("status").passed  # type: ignore[union-attr]

    again = await world.client.get(created.headers["location"], headers=world.headers("student"))
    assert again.status_code == 200
    assert again.content == created.content  # stored verbatim
    listed = (await world.client.get("/api/me/clr", headers=world.headers("student"))).json()
    assert [(t["id"], t["badges"], t["issuer"]["slug"]) for t in listed] == [(clr["id"], ids, "lincoln-hs")]
    # Not someone else's to read.
    other = await world.client.get(created.headers["location"], headers=world.headers("student2"))
    assert other.status_code == 404


async def test_transcript_with_one_tampered_badge_names_that_badge(world: World) -> None:
    ids = await _twenty_badges(world)
    clr = (await _ask(world, ids)).json()
    tampered = copy.deepcopy(clr)
    result = tampered["credentialSubject"]["verifiableCredential"][5]["credentialSubject"]["result"][0]
    result["achievedLevel"] = re.sub(r"#level-\d$", "#level-1", result["achievedLevel"])
    report = await world.verify(json.dumps(tampered))
    assert report.verdict == "invalid"
    verdicts = [r.verdict for r in report.inner]
    assert verdicts == ["valid"] * 5 + ["invalid"] + ["valid"] * 14
    assert report.inner[5].check("proof").code == "INVALID_SIGNATURE"  # type: ignore[union-attr]
    assert f"credential 6 ({ids[5]}): invalid" in report.check("credentials").message  # type: ignore[union-attr]


async def test_transcript_of_endorsed_badges_at_two_levels_verifies(world: World) -> None:
    """Regression: two badges of one endorsed definition carry the same endorsement, whose proof graph
    the canonicalizer's poison-graph guard counted as too many alike blank nodes (a 500)."""
    from tests.integration.issuer.test_endorsements import _college_admin, _endorse

    endorsed = await _endorse(world, await _college_admin(world))
    assert endorsed.status_code == 201, endorsed.text
    ids = [(await world.issue("student", badge="math-7rp-proportional", level=level)).id for level in (3, 4)]
    created = await _ask(world, ids)
    assert created.status_code == 201, created.text
    inner = created.json()["credentialSubject"]["verifiableCredential"]
    assert all(len(badge["credentialSubject"]["achievement"]["endorsement"]) == 1 for badge in inner)
    report = await world.verify(created.text)
    assert report.verdict == "valid", [c for c in report.checks if not c.passed]
    assert [r.verdict for r in report.inner] == ["valid", "valid"]


async def test_transcript_of_the_most_badges_allowed_verifies(world: World) -> None:
    """Regression: 41 to 50 badges made more alike blank nodes (each achievement's criteria and alignments
    once per level) than the guard allowed, so the largest transcripts failed with a 500."""
    from issuer.services.transcripts import MAX_BADGES

    slugs = await _add_own_badges(world, MAX_BADGES // 2)
    ids = [(await world.issue("student", badge=slug, level=level)).id for level in (3, 4) for slug in slugs]
    assert len(ids) == MAX_BADGES
    created = await _ask(world, ids)
    assert created.status_code == 201, created.text
    report = await world.verify(created.text)
    assert report.verdict == "valid", [c for c in report.checks if not c.passed]
    assert [r.verdict for r in report.inner] == ["valid"] * MAX_BADGES
    too_many = await _ask(world, [*ids, ids[0]])
    assert too_many.status_code == 400


async def test_transcript_bundles_badges_from_elsewhere_beside_the_schools_own(world: World) -> None:
    """All of a student's badges in one file for a registrar: the school's own, and one the learner
    imported (issued by another school), embedded verbatim with its issuer's proof."""
    from tests.integration.issuer.ob_api_helpers import badge_from_elsewhere

    elsewhere, _ = await badge_from_elsewhere(world)
    imported = await world.client.post(
        "/api/me/imports",
        content=elsewhere,
        headers={**world.headers("student"), "Content-Type": "application/json"},
    )
    assert imported.status_code == 201, imported.text
    imported_id = json.loads(elsewhere)["id"]
    own = await world.issue("student", badge="math-7rp-proportional")
    created = await _ask(world, [own.id, imported_id])
    assert created.status_code == 201, created.text
    clr = created.json()
    assert clr["issuer"]["id"] == world.organisations["lincoln-hs"].did
    inner = clr["credentialSubject"]["verifiableCredential"]
    assert inner[1] == json.loads(elsewhere)  # verbatim, its own issuer's proof intact
    assert inner[1]["issuer"]["id"] == world.organisations["riverside-hs"].did
    _assert_clr_schema(clr)
    report = await world.verify(created.text)
    assert report.verdict == "valid", [c for c in report.checks if not c.passed]
    assert [r.verdict for r in report.inner] == ["valid", "valid"]
    # A transcript of imports alone has no school to sign it.
    alone = await _ask(world, [imported_id])
    assert (alone.status_code, alone.json()["code"]) == (422, "INVALID_REQUEST")
    assert "at least one badge" in alone.json()["detail"]

    # Riverside revokes its badge after the learner imported it: checked again, it is refused by name.
    from dataclasses import dataclass

    from issuer.services.revocation import write_status_bits

    status = json.loads(elsewhere)["credentialStatus"]

    @dataclass
    class Slot:
        list_number: int
        status_index: int

    slot = Slot(int(status["statusListCredential"].rsplit("/", 1)[1]), int(status["statusListIndex"]))
    async with world.services.sessions() as session:
        riverside = await session.merge(world.organisations["riverside-hs"])
        await write_status_bits(
            session, world.services, riverside, slot, before="active", after="revoked", now=NOW
        )
        await session.commit()
    refused = await _ask(world, [own.id, imported_id])
    assert (refused.status_code, refused.json()["code"]) == (422, "INVALID_REQUEST")
    assert f"no longer verify: {imported_id} (REVOKED)" in refused.json()["detail"]


async def test_transcript_partial_when_some_badges_are_left_out(world: World) -> None:
    first = await world.issue("student", badge="math-7rp-proportional", level=3)
    await world.issue("student", badge="weld-smaw-3f", level=3)
    created = await _ask(world, [first.id])
    assert created.status_code == 201, created.text
    assert created.json()["partial"] is True
    assert len(created.json()["credentialSubject"]["verifiableCredential"]) == 1


async def test_transcript_bad_requests_are_refused_and_store_nothing(world: World) -> None:
    from issuer.services.status_lists import slots_taken

    mine = await world.issue("student", badge="math-7rp-proportional", level=3)
    weld = await world.issue("student", badge="weld-smaw-3f", level=3)
    hers = await world.issue("student2", badge="math-7rp-proportional", level=3)
    elsewhere = await world.issue("student", badge="weld-smaw-3f", level=3, org="riverside-hs")
    async with world.services.sessions() as session:
        taken = await slots_taken(session, world.organisations["lincoln-hs"].id)
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{weld.id}/revoke",
        json={"reason": "plagiarised"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200, revoked.text
    cases = [
        ([], "choose at least one badge"),
        ([mine.id, mine.id], "listed more than once"),
        (["urn:uuid:00000000-0000-4000-8000-000000000000"], "not in your record"),
        ([mine.id, hers.id], f"not in your record: {hers.id}"),  # another learner's: the same answer
        ([weld.id], "only active badges"),
        ([mine.id, elsewhere.id], "from several organisations (lincoln-hs: 1, riverside-hs: 1)"),
    ]
    for badges, message in cases:
        refused = await _ask(world, badges)
        assert refused.status_code == 422, (badges, refused.text)
        assert refused.json()["code"] == "INVALID_REQUEST"
        assert message in refused.json()["detail"], refused.json()
    for body in ({"badges": [mine.id], "name": "   "}, {"badges": [mine.id], "name": "a\u0007b"}):
        refused = await world.client.post("/api/me/clr", json=body, headers=world.headers("student"))
        assert refused.status_code == 422, refused.text
        assert "name" in refused.json()["detail"]
    too_many = await _ask(world, [f"urn:uuid:{n}" for n in range(51)])
    assert too_many.status_code in (400, 422)
    assert (await world.client.get("/api/me/clr", headers=world.headers("student"))).json() == []
    async with world.services.sessions() as session:
        assert await slots_taken(session, world.organisations["lincoln-hs"].id) == taken


async def test_transcript_refuses_a_badge_that_exists_only_as_a_jwt(world: World) -> None:
    from issuer.db.models import Person

    async with world.services.sessions() as session:
        person = await session.get(Person, world.people["student"].id)
        assert person is not None
        person.did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        await session.commit()
    changed = await world.client.patch(
        "/api/orgs/lincoln-hs/settings", json={"proofFormats": "jwt"}, headers=world.headers("admin")
    )
    assert changed.status_code == 200, changed.text
    world.organisations["lincoln-hs"].proof_formats = "jwt"  # world.issue signs with the world's copy
    async with world.services.sessions() as session:
        student = await session.get(Person, world.people["student"].id)
    assert student is not None
    jwt_only = await world.issue(student, badge="math-7rp-proportional", level=3)
    assert jwt_only.ldp is None
    refused = await _ask(world, [jwt_only.id])
    assert refused.status_code == 422
    assert "exist only as a VC-JWT" in refused.json()["detail"]


async def test_transcript_outlives_the_learners_account_deletion(world: World) -> None:
    from issuer.db.models import Transcript

    badge = await world.issue("student", badge="math-7rp-proportional", level=3)
    created = await _ask(world, [badge.id])
    assert created.status_code == 201, created.text
    erased = await world.client.request(
        "DELETE",
        f"/api/learners/{world.person_id('student')}",
        json={"confirm": "ana@students.example.edu"},
        headers=world.headers("student"),
    )
    assert erased.status_code == 204, erased.text
    async with world.services.sessions() as session:
        kept = await session.get(Transcript, created.json()["id"])
    assert kept is not None
    assert kept.learner_id is None  # no longer linked to anyone
    assert kept.ldp.encode() == created.content  # the signed text handed out stays, and verifies
    assert (await world.verify(kept.ldp)).verdict == "valid"


async def test_transcript_needs_the_transcript_scope(world: World) -> None:
    badge = await world.issue("student", badge="math-7rp-proportional", level=3)

    async def token(scopes: list[str]) -> dict[str, str]:
        created = await world.client.post(
            "/api/tokens", json={"name": "wallet", "scopes": scopes}, headers=world.headers("student")
        )
        assert created.status_code == 201, created.text
        return {"Authorization": f"Bearer {created.json()['token']}"}

    body = {"badges": [badge.id], "name": "Transcript"}
    reader = await token(["record:read"])
    refused = await world.client.post("/api/me/clr", json=body, headers=reader)
    assert refused.status_code == 403
    assert "record:transcript" in refused.json()["detail"]
    writer = await token(["record:transcript"])
    created = await world.client.post("/api/me/clr", json=body, headers=writer)
    assert created.status_code == 201, created.text
    assert (await world.client.get("/api/me/clr", headers=reader)).json()[0]["id"] == created.json()["id"]


async def test_transcript_without_the_clr_context_is_refused_clearly_and_stores_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from issuer.services.status_lists import slots_taken
    from verifier.document_loader import CONTEXTS_DIR_ENV

    badge = await world.issue("student", badge="math-7rp-proportional", level=3)
    async with world.services.sessions() as session:
        taken = await slots_taken(session, world.organisations["lincoln-hs"].id)
    monkeypatch.delenv(CONTEXTS_DIR_ENV)  # as on a fresh install: nobody supplied the context
    refused = await _ask(world, [badge.id])
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["code"] == "TRANSCRIPT_UNAVAILABLE"
    assert "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json" in problem["detail"]
    assert "docs/clr.md" in problem["detail"]
    assert "BADGES_CONTEXTS_DIR" in problem["detail"]
    assert (await world.client.get("/api/me/clr", headers=world.headers("student"))).json() == []
    async with world.services.sessions() as session:
        assert await slots_taken(session, world.organisations["lincoln-hs"].id) == taken
