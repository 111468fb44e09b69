"""Input robustness and integrity of submissions, awards and bulk jobs (reviewer findings, task S2):
malformed URLs, characters XML cannot carry, stuck jobs, organisation badges in CSV files, evidence
added behind a reviewer's back, award keys over person ids, scrubbing a deleted learner from jobs and
one attester-role rule. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from sqlmodel import col, select

from issuer.db.models import AwardJob, AwardJobRow, Credential, Review, Submission
from issuer.issuance import award_key
from issuer.roles import Principal
from issuer.services.awards import (
    DELETED_LEARNER,
    UNEXPECTED_FAILURE,
    forget_learner_in_jobs,
    run_job,
    unfinished_jobs,
)
from issuer.services.catalogue import offered_badge
from issuer.services.submissions import Upload, add_files, resubmit
from tests.conftest import BADGE_DEFS, NOW

if TYPE_CHECKING:
    from httpx import Response

    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

LINCOLN = "/api/orgs/lincoln-hs"
ANA = "ana@students.example.edu"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


async def _submit(world: World, **fields: Any) -> Response:
    data = {"badge": "weld-smaw-3f", "level": "3", "narrative": "A 3F fillet.", **fields}
    return await world.client.post(
        f"{LINCOLN}/submissions",
        data=data,
        files=[("files", ("wps.pdf", PDF, "application/pdf"))],  # multipart: a form is refused
        headers=world.headers("student"),
    )


async def _review(world: World, who: str, submission_id: str, **body: Any) -> Response:
    return await world.client.post(
        f"{LINCOLN}/submissions/{submission_id}/review", json=body, headers=world.headers(who)
    )


async def _upload(world: World, who: str, text: str, *, enrol: bool = False) -> dict[str, Any]:
    """Upload a CSV and wait for the job to end (bounded by a count of polls, not by time)."""
    response = await world.client.post(
        f"{LINCOLN}/award-jobs",
        files={"file": ("awards.csv", text.encode(), "text/csv")},
        data={"enrol": "true"} if enrol else {},
        headers=world.headers(who),
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    for _ in range(2000):
        if body["state"] in ("done", "failed"):
            return body
        await asyncio.sleep(0.02)
        body = (await world.client.get(response.headers["location"], headers=world.headers(who))).json()
    raise AssertionError(f"the job did not finish: {body}")


async def _rejected(world: World, job_id: str) -> str:
    report = await world.client.get(
        f"{LINCOLN}/award-jobs/{job_id}/rejected.csv", headers=world.headers("teacher")
    )
    return report.text


async def _credentials(world: World) -> list[Credential]:
    async with world.services.sessions() as session:
        return list((await session.execute(select(Credential))).scalars())


def _attested_as(credential: Credential) -> str:
    assert credential.ldp is not None
    return str(json.loads(credential.ldp)["credentialSubject"]["source"]["description"]).split(",")[0]


def _student(world: World) -> Principal:
    organisation = world.organisations["lincoln-hs"]
    return Principal(
        person_id=world.people["student"].id,
        display_name="Ana",
        roles={organisation.id: frozenset({"student"})},
    )


# --- 1. malformed URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["http://[::1", "http://example.org:99999/x", "https://host:port/"])
async def test_submission_malformed_link_is_a_422_naming_links(world: World, link: str) -> None:
    response = await _submit(world, links=[link])
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "INVALID_REQUEST"
    assert response.json()["detail"].startswith("links:")


async def test_award_malformed_evidence_url_is_a_422_naming_the_field(world: World) -> None:
    response = await world.client.post(
        f"{LINCOLN}/awards",
        json={"student": ANA, "badge": "weld-smaw-3f", "level": 3, "evidenceUrl": "http://[::1"},
        headers=world.headers("teacher"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "INVALID_AWARD"
    assert "evidenceUrl" in response.json()["detail"]
    assert await _credentials(world) == []


# --- 2. characters XML cannot carry -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["\x01", "\x0b", "\ufffe", "\uffff"])
async def test_submission_narrative_with_an_illegal_character_is_refused(world: World, bad: str) -> None:
    response = await _submit(world, narrative=f"Fillet{bad} weld")
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("narrative:")
    assert f"U+{ord(bad):04X}" in detail
    async with world.services.sessions() as session:
        assert (await session.execute(select(Submission))).first() is None


async def test_submission_text_keeps_tabs_and_line_breaks(world: World) -> None:
    response = await _submit(world, narrative="Root pass\tok\r\nCap pass ok — ✓ 𝄞")
    assert response.status_code == 201, response.text
    assert response.json()["narrative"] == "Root pass\tok\r\nCap pass ok — ✓ 𝄞"


async def test_review_comment_and_resubmission_with_illegal_characters_are_refused(world: World) -> None:
    submission = (await _submit(world)).json()
    refused = await _review(world, "teacher", submission["id"], decision="return", comment="Redo\x00 it")
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("comment:")
    returned = await _review(world, "teacher", submission["id"], decision="return", comment="Redo it")
    assert returned.status_code == 200
    again = await world.client.post(
        f"{LINCOLN}/submissions/{submission['id']}/resubmit",
        json={"narrative": "Done\x1f"},
        headers=world.headers("student"),
    )
    assert again.status_code == 422
    assert again.json()["detail"].startswith("narrative:")


async def test_award_comment_with_an_illegal_character_is_refused(world: World) -> None:
    response = await world.client.post(
        f"{LINCOLN}/awards",
        json={"student": ANA, "badge": "weld-smaw-3f", "level": 3, "comment": "Good\x07"},
        headers=world.headers("teacher"),
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("comment:")
    assert await _credentials(world) == []


async def test_bulk_rows_with_illegal_characters_or_overlong_students_are_rejected(world: World) -> None:
    long_email = "a" * 250 + "@example.org"  # 262 characters: over RFC 5321's 254
    text = (
        "student,badge,level,comment,evidence_name,evidence_url\n"
        f"{ANA},weld-smaw-3f,3,Good\x01 work,,\n"
        f"{ANA},weld-smaw-4f,3,,Plate\ufffe,https://example.org/p\n"
        f"{long_email},weld-smaw-3f,3,,,\n"
        f"did:example:{'x' * 600},weld-smaw-3f,3,,,\n"
    )
    final = await _upload(world, "teacher", text, enrol=True)
    assert (final["state"], final["issued"], final["rejected"]) == ("done", 0, 4)
    report = await _rejected(world, final["id"])
    assert '"2","comment"' in report
    assert '"3","evidence_name"' in report
    assert "an e-mail address has at most 254" in report
    assert "a DID has at most 500" in report


# --- 3. jobs never stay running ----------------------------------------------------------------------------


async def test_run_job_turns_an_unexpected_error_into_failed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = await world.create_job("student,badge,level\nzed@students.example.edu,weld-smaw-3f,3\n")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal detail: /srv/secret/path")

    # A fault injected into a collaborator (signing), not into run_job: it stands for any bug.
    monkeypatch.setattr("issuer.services.awards.issue_credential", broken)
    progress = await run_job(world.services, job_id)
    assert progress.state == "failed"
    assert progress.message == UNEXPECTED_FAILURE
    assert "secret" not in progress.message
    assert job_id not in await unfinished_jobs(world.services)  # not resumed at every start


async def test_run_job_with_an_unreadable_stored_file_fails_with_the_reason(world: World) -> None:
    job_id = await world.create_job("student,badge,level\nzed@students.example.edu,weld-smaw-3f,3\n")
    async with world.services.sessions() as session:
        job = await session.get_one(AwardJob, job_id)
        job.csv_text = "student;nothing\n"
        await session.commit()
    progress = await run_job(world.services, job_id)
    assert progress.state == "failed"
    assert "unknown column" in progress.message
    assert job_id not in await unfinished_jobs(world.services)


# --- 4, 8. organisation badges in bulk files; one attester-role rule ----------------------------------------


async def _add_robotics_badge(world: World) -> None:
    data: dict[str, Any] = yaml.safe_load(
        Path(BADGE_DEFS / "badges" / "workplace-communication.yaml").read_text(encoding="utf-8")
    )
    data.update(
        achievement_id="https://badges.example.edu/achievements/lincoln-robotics",
        name="Robotics team safety",
        version=1,
        attester_roles=["teacher", "admin"],
    )
    response = await world.client.post(
        f"{LINCOLN}/badges",
        json={"slug": "lincoln-robotics", "definition": data},
        headers=world.headers("admin"),
    )
    assert response.status_code == 201, response.text


async def test_bulk_csv_issues_a_badge_the_organisation_defined(world: World) -> None:
    await _add_robotics_badge(world)
    final = await _upload(world, "teacher", f"student,badge,level\n{ANA},lincoln-robotics,3\n")
    assert (final["state"], final["issued"], final["rejected"]) == ("done", 1, 0), final
    (credential,) = await _credentials(world)
    assert credential.badge_slug == "lincoln-robotics"
    assert _attested_as(credential) == "Teacher"


async def test_admin_attests_as_admin_where_allowed_on_every_path(world: World) -> None:
    await _add_robotics_badge(world)
    # Direct award: the badge allows admin.
    direct = await world.client.post(
        f"{LINCOLN}/awards",
        json={"student": ANA, "badge": "lincoln-robotics", "level": 3},
        headers=world.headers("admin"),
    )
    assert direct.status_code == 201, direct.text
    # Bulk award, and a badge that allows only teachers: the admin attests as teacher.
    bulk = await _upload(
        world,
        "admin",
        f"student,badge,level\nben@students.example.edu,lincoln-robotics,4\n{ANA},weld-smaw-3f,3\n",
    )
    assert (bulk["state"], bulk["issued"]) == ("done", 2), bulk
    # Approval.
    submission = (await _submit(world, badge="lincoln-robotics", level="4")).json()
    approved = await _review(world, "admin", submission["id"], decision="approve", comment="")
    assert approved.status_code == 200, approved.text
    assert approved.json()["reviews"][-1]["reviewerRole"] == "admin"
    roles = sorted((c.badge_slug, c.level, _attested_as(c)) for c in await _credentials(world))
    assert roles == [
        ("lincoln-robotics", 3, "Admin"),
        ("lincoln-robotics", 4, "Admin"),
        ("lincoln-robotics", 4, "Admin"),
        ("weld-smaw-3f", 3, "Teacher"),
    ]


# --- 5. evidence only while returned ------------------------------------------------------------------------


async def test_files_cannot_be_added_while_the_submission_waits_for_review(world: World) -> None:
    submission = (await _submit(world)).json()
    added = await world.client.post(
        f"{LINCOLN}/submissions/{submission['id']}/files",
        files=[("files", ("late.pdf", PDF, "application/pdf"))],
        headers=world.headers("student"),
    )
    assert added.status_code == 409, added.text
    assert added.json()["code"] == "INVALID_STATE"
    async with world.services.sessions() as session:
        from issuer.db.models import EvidenceFile

        names = (await session.execute(select(EvidenceFile.filename))).scalars().all()
    assert names == ["wps.pdf"]  # the one sent with the submission, not the late one


async def test_review_refuses_a_submission_changed_since_the_reviewer_saw_it(world: World) -> None:
    submission = (await _submit(world)).json()
    seen = submission["updatedAt"]
    returned = await _review(world, "teacher", submission["id"], decision="return", comment="Add the root.")
    assert returned.status_code == 200
    organisation = world.organisations["lincoln-hs"]
    submission_id = uuid.UUID(submission["id"])
    later = NOW + timedelta(minutes=5)
    async with world.services.sessions() as session:
        await add_files(
            session,
            world.services,
            organisation=organisation,
            principal=_student(world),
            submission_id=submission_id,
            uploads=[Upload(filename="root.pdf", declared_type="application/pdf", source=PDF)],
            now=later,
        )
    async with world.services.sessions() as session:
        row = await session.get_one(Submission, submission_id)
        assert row.updated_at == later  # adding files bumps it
        await resubmit(
            session,
            organisation=organisation,
            principal=_student(world),
            submission_id=submission_id,
            narrative=None,
            links=None,
            now=later + timedelta(minutes=1),
        )
    stale = await _review(
        world, "teacher", submission["id"], decision="approve", comment="", expectedUpdatedAt=seen
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["code"] == "INVALID_STATE"
    current = (
        await world.client.get(f"{LINCOLN}/submissions/{submission['id']}", headers=world.headers("teacher"))
    ).json()
    approved = await _review(
        world,
        "teacher",
        submission["id"],
        decision="approve",
        comment="",
        expectedUpdatedAt=current["updatedAt"],
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"


# --- 6. award keys over person ids -------------------------------------------------------------------------


async def test_award_key_is_over_the_person_id_not_the_email(world: World) -> None:
    response = await world.client.post(
        f"{LINCOLN}/awards",
        json={"student": ANA, "badge": "weld-smaw-3f", "level": 3},
        headers=world.headers("teacher"),
    )
    assert response.status_code == 201, response.text
    (credential,) = await _credentials(world)
    async with world.services.sessions() as session:
        definition, _ = await offered_badge(
            session,
            world.services.catalog,
            "weld-smaw-3f",
            organisation_id=world.organisations["lincoln-hs"].id,
        )
    student = world.people["student"]
    assert credential.award_key == award_key(definition, level=3, student=str(student.id))
    assert credential.award_key != award_key(definition, level=3, student=student.email)
    # The same award through a CSV row is found by that key and skipped.
    final = await _upload(world, "teacher", f"student,badge,level\n{ANA.upper()},weld-smaw-3f,3\n")
    assert (final["issued"], final["skipped"]) == (0, 1)


# --- 7. scrubbing a deleted learner from jobs --------------------------------------------------------------


async def test_forget_learner_in_jobs_scrubs_text_and_rows(world: World) -> None:
    gone = "Zed.Gone@Example.org"
    text = f"student,badge,level\n{gone},weld-smaw-3f,3\n{ANA},weld-smaw-3f,3\nzed.gone@example.org,x,3\n"
    job_id = await world.create_job(text, enrol=False)
    progress = await run_job(world.services, job_id)
    assert (progress.issued, progress.rejected) == (1, 2)
    async with world.services.sessions() as session:
        await forget_learner_in_jobs(session, "zed.gone@example.org")
        await session.commit()
    async with world.services.sessions() as session:
        job = await session.get_one(AwardJob, job_id)
        rows = list(
            (await session.execute(select(AwardJobRow).where(col(AwardJobRow.job_id) == job_id))).scalars()
        )
    assert "zed.gone" not in job.csv_text.lower()
    assert job.csv_text.count(DELETED_LEARNER) == 2
    assert ANA in job.csv_text  # other learners stay
    assert len(rows) == 3
    for row in rows:
        assert "zed.gone" not in (row.value + row.message).lower()
    assert any(DELETED_LEARNER in row.value + row.message for row in rows)


async def test_forget_learner_in_jobs_leaves_jobs_without_the_address(world: World) -> None:
    job_id = await world.create_job(f"student,badge,level\n{ANA},weld-smaw-3f,3\n")
    async with world.services.sessions() as session:
        await forget_learner_in_jobs(session, "100%_sure@example.org")  # LIKE wildcards are literal
        await session.commit()
        job = await session.get_one(AwardJob, job_id)
    assert job.csv_text == f"student,badge,level\n{ANA},weld-smaw-3f,3\n"


async def test_review_records_the_admin_role_on_returns_too(world: World) -> None:
    submission = (await _submit(world)).json()
    returned = await _review(world, "admin", submission["id"], decision="return", comment="More.")
    assert returned.status_code == 200
    async with world.services.sessions() as session:
        (review,) = (await session.execute(select(Review))).scalars()
    # weld-smaw-3f allows teachers, not admins: an admin reviews it as a teacher.
    assert review.reviewer_role == "teacher"
