"""The learner's record through the HTTP API: list, downloads (verbatim texts, baked images), who may
read it, and deletion of personal data that leaves every handed-out badge verifying."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import pytest
from sqlmodel import select

from issuer.db.models import AuditEvent, Credential, EvidenceFile, Invitation, Person, Submission
from issuer.errors import NotFoundError
from issuer.services.catalogue import offered_badge
from tests.conftest import NOW
from verifier.baking import unbake_png, unbake_svg

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio


def _records(world: World, name: str) -> str:
    return f"/api/learners/{world.person_id(name)}/credentials"


async def test_record_lists_the_learners_badges_without_private_reasons(world: World) -> None:
    # Not the teacher's display name: the record shows the attester the signed credential names.
    credential = await world.issue("student", attester_name="Tess Teacher")
    response = await world.client.get("/api/me/credentials", headers=world.headers("student"))
    assert response.status_code == 200
    [entry] = response.json()
    assert entry["id"] == credential.id
    assert entry["badge"] == "weld-smaw-3f"
    assert entry["level"] == 3
    assert entry["levelName"]
    assert entry["issuer"]["name"] == "Lincoln High School"
    assert entry["attester"] == "Tess Teacher"
    assert entry["state"] == "active"
    assert entry["formats"] == ["json", "png", "svg"]  # no JWT for a learner known by e-mail
    assert "statusReason" not in entry
    same = await world.client.get(_records(world, "student"), headers=world.headers("student"))
    assert same.json() == response.json()
    # The learner's own reads are not audited.
    async with world.services.sessions() as session:
        reads = (await session.execute(select(AuditEvent).where(AuditEvent.action == "record.read"))).all()
    assert reads == []


async def test_record_downloads_are_the_signed_text_and_baked_images(world: World) -> None:
    credential = await world.issue("student")
    assert credential.ldp is not None
    base = f"{_records(world, 'student')}/{credential.id}"
    as_json = await world.client.get(f"{base}.json", headers=world.headers("student"))
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/vc+ld+json")
    assert as_json.text == credential.ldp  # verbatim
    assert "attachment" in as_json.headers["content-disposition"]

    png = await world.client.get(f"{base}.png", headers=world.headers("student"))
    assert png.headers["content-type"] == "image/png"
    assert unbake_png(png.content) == credential.ldp
    assert await world.verdict(unbake_png(png.content)) == "valid"

    svg = await world.client.get(f"{base}.svg", headers=world.headers("student"))
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert unbake_svg(svg.content) == credential.ldp
    assert json.loads(credential.ldp)["name"][:20] in svg.text

    jwt = await world.client.get(f"{base}.jwt", headers=world.headers("student"))
    assert jwt.status_code == 404  # not issued as a JWT
    unknown = await world.client.get(f"{base}.pdf", headers=world.headers("student"))
    assert unknown.status_code == 404


async def test_record_jwt_download_is_the_vc_jwt(world: World) -> None:
    async with world.services.sessions() as session:
        person = await session.merge(world.people["student2"])
        person.did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        await session.commit()
        world.people["student2"] = person
    credential = await world.issue("student2")
    response = await world.client.get(
        f"{_records(world, 'student2')}/{credential.id}.jwt", headers=world.headers("student2")
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vc+jwt")
    assert response.text == credential.jwt


async def test_record_staff_reads_are_audited_and_strangers_see_nothing(world: World) -> None:
    await world.issue("student")
    staff = await world.client.get(_records(world, "student"), headers=world.headers("teacher"))
    assert staff.status_code == 200
    assert len(staff.json()) == 1
    for stranger in ("student2", "other_teacher", "other_admin", "supervisor", "registrar"):
        response = await world.client.get(_records(world, "student"), headers=world.headers(stranger))
        assert response.status_code == 404, stranger
    assert (await world.client.get(_records(world, "student"))).status_code == 401
    events = await world.client.get(
        "/api/orgs/lincoln-hs/audit?action=record.read", headers=world.headers("admin")
    )
    [event] = events.json()["items"]
    assert event["actor"] == world.person_id("teacher")
    assert event["subject"] == world.person_id("student")


async def test_record_guardian_of_a_minor_reads_and_deletes(world: World) -> None:
    async with world.services.sessions() as session:
        person = await session.merge(world.people["student"])
        person.is_minor = True
        await session.commit()
        world.people["student"] = person
    added = await world.client.post(
        f"/api/orgs/lincoln-hs/students/{world.person_id('student')}/guardians",
        json={"email": "parent@example.com", "displayName": "Parent"},
        headers=world.headers("admin"),
    )
    assert added.status_code == 201
    from issuer.services.people import open_session_for

    async with world.services.sessions() as session:
        guardian = await session.get(Person, uuid.UUID(added.json()["guardian"]["id"]))
        assert guardian is not None
        cookie, web_session = await open_session_for(session, person=guardian, now=NOW)
    headers = {"Cookie": f"mb_session={cookie}", "X-CSRF-Token": web_session.csrf_token}
    await world.issue("student")
    assert (await world.client.get(_records(world, "student"), headers=headers)).status_code == 200
    deleted = await world.client.request(
        "DELETE",
        f"/api/learners/{world.person_id('student')}",
        json={"confirm": "ana@students.example.edu"},
        headers=headers,
    )
    assert deleted.status_code == 204
    async with world.services.sessions() as session:
        assert await session.get(Person, world.people["student"].id) is None


async def test_record_deletion_removes_the_person_and_evidence_but_badges_keep_verifying(
    world: World,
) -> None:
    mine = await world.issue("student")
    other = await world.issue("student2")
    assert mine.ldp is not None
    assert other.ldp is not None
    services = world.services
    stored = services.evidence.save(
        b"my weld bead, described\n", filename="notes.txt", declared_type="text/plain"
    )
    async with services.sessions() as session:
        _, version = await offered_badge(
            session, services.catalog, "weld-smaw-3f", organisation_id=world.organisations["lincoln-hs"].id
        )
        submission = Submission(
            organisation_id=world.organisations["lincoln-hs"].id,
            student_id=world.people["student"].id,
            badge_version_id=version.id,
            badge_slug="weld-smaw-3f",
            claimed_level=3,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(submission)
        await session.flush()
        session.add(
            EvidenceFile(
                submission_id=submission.id,
                filename=stored.filename,
                media_type=stored.media_type,
                size=stored.size,
                sha256=stored.sha256,
                storage_key=stored.storage_key,
                created_at=NOW,
            )
        )
        await session.commit()
    assert await world.verdict(mine.ldp) == "valid"

    path = f"/api/learners/{world.person_id('student')}"
    wrong = await world.client.request(
        "DELETE", path, json={"confirm": "someone@else.example"}, headers=world.headers("student")
    )
    assert wrong.status_code == 422
    assert "confirm" in wrong.json()["detail"]
    by_teacher = await world.client.request(
        "DELETE", path, json={"confirm": "ana@students.example.edu"}, headers=world.headers("teacher")
    )
    assert by_teacher.status_code == 403
    by_stranger = await world.client.request(
        "DELETE", path, json={"confirm": "ana@students.example.edu"}, headers=world.headers("other_teacher")
    )
    assert by_stranger.status_code == 404

    deleted = await world.client.request(
        "DELETE", path, json={"confirm": " Ana@Students.example.edu "}, headers=world.headers("student")
    )
    assert deleted.status_code == 204, deleted.text
    with pytest.raises(NotFoundError):
        services.evidence.read_bytes(stored.storage_key)
    async with services.sessions() as session:
        assert await session.get(Person, world.people["student"].id) is None
        assert (await session.execute(select(Submission))).all() == []
        kept = await session.get(Credential, mine.id)
        assert kept is not None
        assert (kept.recipient_id, kept.recipient) == (None, None)
        assert kept.ldp == mine.ldp
        untouched = await session.get(Credential, other.id)
        assert untouched is not None
        assert untouched.recipient_id == world.people["student2"].id
        [event] = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "record.delete"))
        ).scalars()
    assert event.subject_id == world.person_id("student")
    assert "ana@" not in json.dumps(event.detail)
    # Their session went with the account; the badges in their hands still verify, and so do others'.
    assert (await world.client.get("/api/me", headers=world.headers("student"))).status_code == 401
    assert await world.verdict(mine.ldp) == "valid"
    assert await world.verdict(other.ldp) == "valid"


async def _cy_in_both_schools(world: World, *, minor: bool) -> str:
    """Riverside's student cy, enrolled at Lincoln too, with a badge from each school."""
    async with world.services.sessions() as session:
        person = await session.merge(world.people["other_student"])
        person.is_minor = minor
        await session.commit()
        world.people["other_student"] = person
    enrolled = await world.client.post(
        "/api/orgs/lincoln-hs/members",
        json={"email": "cy@riverside.example.edu", "displayName": "Cy", "role": "student"},
        headers=world.headers("admin"),
    )
    assert enrolled.status_code == 201, enrolled.text
    await world.issue("other_student", org="lincoln-hs")
    await world.issue("other_student", org="riverside-hs", badge="math-7rp-proportional")
    return world.person_id("other_student")


async def test_record_guardian_linked_by_one_school_reads_its_badges_only(world: World) -> None:
    # Attack 3: A's admin enrols B's minor at A, then links himself (refused) or a fresh account.
    cy = await _cy_in_both_schools(world, minor=True)
    guardians = f"/api/orgs/lincoln-hs/students/{cy}/guardians"
    himself = await world.client.post(
        guardians,
        json={"email": "admin@lincoln.example.edu", "displayName": "Admin"},
        headers=world.headers("admin"),
    )
    assert himself.status_code == 403
    colleague = await world.client.post(
        guardians,
        json={"email": "teacher@lincoln.example.edu", "displayName": "Teacher"},
        headers=world.headers("admin"),
    )
    assert colleague.status_code == 403
    assert "staff" in colleague.json()["detail"]
    fresh = await world.client.post(
        guardians,
        json={
            "email": "fake.parent@example.com",
            "displayName": "Fake",
            "password": "a long enough password",
        },
        headers=world.headers("admin"),
    )
    assert fresh.status_code == 201, fresh.text

    signed_in = await world.client.post(
        "/api/session", json={"email": "fake.parent@example.com", "password": "a long enough password"}
    )
    assert signed_in.status_code == 201
    assert signed_in.json()["person"]["sessionOrganisation"] == "lincoln-hs"
    headers = {"X-CSRF-Token": signed_in.json()["csrfToken"]}
    listed = await world.client.get(f"/api/learners/{cy}/credentials", headers=headers)
    assert listed.status_code == 200
    assert [entry["issuer"]["slug"] for entry in listed.json()] == ["lincoln-hs"]
    refused = await world.client.request(
        "DELETE", f"/api/learners/{cy}", json={"confirm": "cy@riverside.example.edu"}, headers=headers
    )
    assert refused.status_code == 403
    world.client.cookies.clear()

    # Unrestricted too (say the operator set the password), the link counts for Lincoln's badges only.
    from issuer.services.people import open_session_for

    async with world.services.sessions() as session:
        guardian = await session.get(Person, uuid.UUID(fresh.json()["guardian"]["id"]))
        assert guardian is not None
        cookie, web_session = await open_session_for(session, person=guardian, now=NOW)
    unrestricted = {"Cookie": f"mb_session={cookie}", "X-CSRF-Token": web_session.csrf_token}
    listed = await world.client.get(f"/api/learners/{cy}/credentials", headers=unrestricted)
    assert [entry["issuer"]["slug"] for entry in listed.json()] == ["lincoln-hs"]
    refused = await world.client.request(
        "DELETE", f"/api/learners/{cy}", json={"confirm": "cy@riverside.example.edu"}, headers=unrestricted
    )
    assert refused.status_code == 403
    assert "guardian" in refused.json()["detail"]
    # The learner themself, signed in normally, sees both and may delete.
    both = await world.client.get(f"/api/learners/{cy}/credentials", headers=world.headers("other_student"))
    assert sorted(entry["issuer"]["slug"] for entry in both.json()) == ["lincoln-hs", "riverside-hs"]


async def test_record_token_limited_to_one_school_reads_its_badges_and_cannot_delete(world: World) -> None:
    # Attack 4: a token limited to A.
    cy = await _cy_in_both_schools(world, minor=False)
    created = await world.client.post(
        "/api/tokens",
        json={"name": "a", "scopes": ["record:read", "record:delete"], "organisation": "lincoln-hs"},
        headers=world.headers("other_student"),
    )
    assert created.status_code == 201, created.text
    bearer = {"Authorization": f"Bearer {created.json()['token']}"}
    mine = await world.client.get("/api/me/credentials", headers=bearer)
    assert [entry["issuer"]["slug"] for entry in mine.json()] == ["lincoln-hs"]
    everything = await world.client.get("/api/me/credentials", headers=world.headers("other_student"))
    [riverside] = [entry for entry in everything.json() if entry["issuer"]["slug"] == "riverside-hs"]
    download = await world.client.get(riverside["downloads"]["json"], headers=bearer)
    assert download.status_code == 404
    refused = await world.client.request(
        "DELETE", f"/api/learners/{cy}", json={"confirm": "cy@riverside.example.edu"}, headers=bearer
    )
    assert refused.status_code == 403
    async with world.services.sessions() as session:
        assert await session.get(Person, uuid.UUID(cy)) is not None


async def test_record_deletion_clears_status_reasons_and_pending_invitations(world: World) -> None:
    credential = await world.issue("student")
    async with world.services.sessions() as session:
        row = await session.get(Credential, credential.id)
        assert row is not None
        row.status_reason = "copied the weld test from a classmate"
        await session.commit()
    invited = await world.client.post(
        "/api/orgs/lincoln-hs/invitations",
        json={
            "email": "ana@students.example.edu",
            "displayName": "Ana",
            "badges": ["weld-smaw-3f"],
            "students": [world.person_id("student2")],
        },
        headers=world.headers("teacher"),
    )
    assert invited.status_code == 201
    deleted = await world.client.request(
        "DELETE",
        f"/api/learners/{world.person_id('student')}",
        json={"confirm": "ana@students.example.edu"},
        headers=world.headers("student"),
    )
    assert deleted.status_code == 204, deleted.text
    async with world.services.sessions() as session:
        kept = await session.get(Credential, credential.id)
        assert kept is not None
        assert kept.status_reason is None
        pending = await session.execute(
            select(Invitation).where(Invitation.email == "ana@students.example.edu")
        )
        assert pending.all() == []
