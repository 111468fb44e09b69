"""Direct and bulk awards through the running app: idempotent per award key, row-by-row messages,
resumable jobs, and a job running beside direct awards without a duplicate or a shared status index."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import func, select

from issuer.db.models import AuditEvent, AwardJob, AwardJobRow, Credential, StatusSlot
from issuer.services.awards import run_job

if TYPE_CHECKING:
    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

ANA = "ana@students.example.edu"
BEN = "ben@students.example.edu"


async def _award(world: World, who: str, body: dict[str, Any], slug: str = "lincoln-hs") -> Any:
    return await world.client.post(f"/api/orgs/{slug}/awards", json=body, headers=world.headers(who))


async def _upload(world: World, who: str, text: str, *, enrol: bool = False) -> Any:
    return await world.client.post(
        "/api/orgs/lincoln-hs/award-jobs",
        files={"file": ("awards.csv", text.encode(), "text/csv")},
        data={"enrol": "true"} if enrol else {},
        headers=world.headers(who),
    )


async def _wait(world: World, location: str) -> dict[str, Any]:
    # Polls the job to its end; bounded by a count of polls, not by time.
    for _ in range(2000):
        body: dict[str, Any] = (await world.client.get(location, headers=world.headers("teacher"))).json()
        if body["state"] in ("done", "failed"):
            return body
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {location} did not finish: {body}")


async def _count(world: World, model: Any) -> int:
    async with world.services.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_awards_direct_issues_then_refuses_a_repeat(world: World) -> None:
    body = {"student": ANA, "badge": "weld-smaw-3f", "level": 3, "comment": "Clean fillets"}
    first = await _award(world, "teacher", body)
    assert first.status_code == 201, first.text
    assert first.json()["formats"] == ["ldp"]
    assert first.json()["student"] == world.person_id("student")
    again = await _award(world, "teacher", {**body, "student": world.person_id("student")})
    assert again.status_code == 409
    assert again.json()["code"] == "ALREADY_ISSUED"
    async with world.services.sessions() as session:
        actions = list(
            (await session.execute(select(AuditEvent.action).order_by(AuditEvent.id))).scalars()  # type: ignore[arg-type]
        )
    assert actions.count("credential.issue") == 1
    assert actions.count("award.direct") == 1


async def test_awards_direct_refuses_bad_input_with_clear_codes(world: World) -> None:
    cases = [
        ({"student": "nobody@example.edu", "badge": "weld-smaw-3f", "level": 3}, 422, "INVALID_REQUEST"),
        # A student of another school is unknown here.
        (
            {"student": "cy@riverside.example.edu", "badge": "weld-smaw-3f", "level": 3},
            422,
            "INVALID_REQUEST",
        ),
        ({"student": ANA, "badge": "no-such-badge", "level": 3}, 404, "BADGE_NOT_FOUND"),
        ({"student": ANA, "badge": "weld-smaw-3f", "level": 7}, 422, "INVALID_AWARD"),
        ({"student": ANA, "badge": "weld-smaw-3f", "level": 2}, 422, "INVALID_AWARD"),
        (
            {"student": ANA, "badge": "weld-smaw-3f", "level": 3, "evidenceUrl": "javascript:x"},
            422,
            "INVALID_AWARD",
        ),
    ]
    for body, status, code in cases:
        response = await _award(world, "teacher", body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
        assert response.json()["detail"]
    assert await _count(world, Credential) == 0
    assert await _count(world, StatusSlot) == 0  # nothing taken by a refused award


async def test_awards_supervisor_only_within_grant(world: World) -> None:
    granted = await _award(world, "supervisor", {"student": ANA, "badge": "weld-smaw-3f", "level": 3})
    assert granted.status_code == 201, granted.text
    other_student = await _award(world, "supervisor", {"student": BEN, "badge": "weld-smaw-3f", "level": 3})
    assert (other_student.status_code, other_student.json()["code"]) == (403, "FORBIDDEN")
    other_badge = await _award(world, "supervisor", {"student": ANA, "badge": "weld-smaw-4f", "level": 3})
    assert (other_badge.status_code, other_badge.json()["code"]) == (403, "FORBIDDEN")
    student = await _award(world, "student", {"student": ANA, "badge": "weld-smaw-4f", "level": 3})
    assert student.status_code == 403
    other_school = await _award(world, "other_teacher", {"student": ANA, "badge": "weld-smaw-4f", "level": 3})
    assert other_school.status_code == 403
    assert await _count(world, Credential) == 1


GOOD_AND_BROKEN = (
    "student,badge,level,comment\n"
    f"{ANA},weld-smaw-3f,3,Clean fillets\n"  # row 2
    f"{BEN},math-7rp-proportional,4,\n"  # row 3
    f"{ANA},weld-smaw-3f,9,\n"  # row 4: bad level
    f"{BEN},no-such-badge,3,\n"  # row 5: unknown badge
    "zed@students.example.edu,weld-smaw-3f,3,\n"  # row 6: unknown student
    "not-an-email,weld-smaw-3f,3,\n"  # row 7: bad e-mail
)


async def test_awards_job_issues_good_rows_and_reports_each_broken_one(world: World) -> None:
    response = await _upload(world, "teacher", GOOD_AND_BROKEN)
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert location == f"/api/orgs/lincoln-hs/award-jobs/{response.json()['id']}"
    final = await _wait(world, location)
    assert final["state"] == "done"
    assert (final["total"], final["issued"], final["skipped"], final["rejected"]) == (6, 2, 0, 4)
    assert final["progress"] == 1.0
    report = await world.client.get(final["rejectedReport"], headers=world.headers("teacher"))
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text.lstrip("\ufeff"))))
    by_row = {int(row["row"]): row for row in rows}
    assert sorted(by_row) == [4, 5, 6, 7]
    assert by_row[4]["column"] == "level"
    assert "1 to 4" in by_row[4]["message"] or "level" in by_row[4]["message"]
    assert by_row[5]["column"] == "badge"
    assert "no-such-badge" in by_row[5]["message"]
    assert by_row[6]["column"] == "student"
    assert "not a student of lincoln-hs" in by_row[6]["message"]
    assert by_row[7]["column"] == "student"
    assert await _count(world, Credential) == 2

    # The same file again: nothing issued twice.
    again = await _wait(world, (await _upload(world, "teacher", GOOD_AND_BROKEN)).headers["location"])
    assert (again["issued"], again["skipped"], again["rejected"]) == (0, 2, 4)
    assert await _count(world, Credential) == 2


async def test_awards_job_shares_idempotency_with_direct_awards(world: World) -> None:
    direct = await _award(world, "teacher", {"student": ANA, "badge": "weld-smaw-3f", "level": 3})
    assert direct.status_code == 201
    final = await _wait(
        world,
        (await _upload(world, "teacher", f"student,badge,level\n{ANA.upper()},weld-smaw-3f,3\n")).headers[
            "location"
        ],
    )
    assert (final["issued"], final["skipped"]) == (0, 1)


async def test_awards_job_enrols_unknown_students_when_asked(world: World) -> None:
    text = "student,badge,level\nnew.student@students.example.edu,weld-smaw-3f,3\n"
    refused = await _wait(world, (await _upload(world, "teacher", text)).headers["location"])
    assert (refused["issued"], refused["rejected"]) == (0, 1)
    enrolled = await _wait(world, (await _upload(world, "teacher", text, enrol=True)).headers["location"])
    assert (enrolled["issued"], enrolled["rejected"]) == (1, 0)
    direct = await _award(
        world, "teacher", {"student": "new.student@students.example.edu", "badge": "weld-smaw-3f", "level": 3}
    )
    assert direct.json()["code"] == "ALREADY_ISSUED"  # now a student here, holding the badge


async def test_awards_job_refuses_an_unreadable_file_and_stores_nothing(world: World) -> None:
    for text in ("", "name,badge,level\nx,y,3\n", 'student,badge,level\n"unclosed,weld-smaw-3f,3\n'):
        response = await _upload(world, "teacher", text)
        assert (response.status_code, response.json()["code"]) == (422, "INVALID_CSV"), text
    assert await _count(world, AwardJob) == 0
    assert await _count(world, AwardJobRow) == 0


async def test_awards_job_status_is_per_organisation_and_role(world: World) -> None:
    response = await _upload(world, "teacher", f"student,badge,level\n{ANA},weld-smaw-3f,3\n")
    location = response.headers["location"]
    await _wait(world, location)
    assert (await world.client.get(location, headers=world.headers("student"))).status_code == 403
    assert (await world.client.get(location, headers=world.headers("supervisor"))).status_code == 403
    other = location.replace("lincoln-hs", "riverside-hs")
    missing = await world.client.get(other, headers=world.headers("other_teacher"))
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    unknown = f"/api/orgs/lincoln-hs/award-jobs/{uuid.uuid4()}"
    assert (await world.client.get(unknown, headers=world.headers("teacher"))).status_code == 404
    supervisor_upload = await _upload(world, "supervisor", f"student,badge,level\n{ANA},weld-smaw-3f,3\n")
    assert supervisor_upload.status_code == 403


def _sheet(n: int) -> str:
    lines = ["student,badge,level"]
    lines += [f"s{i:04d}@students.example.edu,weld-smaw-3f,3" for i in range(n)]
    return "\n".join(lines) + "\n"


async def test_awards_job_resumes_after_a_crash_without_duplicates(world: World) -> None:
    services = world.services
    job_id = await world.create_job(_sheet(7), filename="big.csv")
    # The "crash": one batch of 3 committed, then the process stops with the job still running.
    stopped = await run_job(services, job_id, batch_size=3, max_batches=1)
    assert (stopped.state, stopped.issued) == ("running", 3)
    resumed = await run_job(services, job_id, batch_size=3)
    assert (resumed.state, resumed.issued, resumed.skipped, resumed.rejected) == ("done", 7, 0, 0)
    assert await _count(world, Credential) == 7
    assert await _count(world, AwardJobRow) == 7
    async with services.sessions() as session:
        slots = (await session.execute(select(Credential.status_index))).scalars().all()
    assert len(set(slots)) == 7


async def test_awards_job_left_running_resumes_at_start_up(world: World) -> None:
    from issuer.web.jobs import resume_award_jobs

    services = world.services
    job_id = await world.create_job(_sheet(4), filename="big.csv")
    await run_job(services, job_id, batch_size=2, max_batches=1)
    # What the start-up hook does, run in the app's own event loop.
    assert world.client.blocking_portal is not None
    started = world.client.blocking_portal.call(resume_award_jobs, world.client.app)
    assert started == 1
    final = await _wait(world, f"/api/orgs/lincoln-hs/award-jobs/{job_id}")
    assert (final["state"], final["issued"], final["skipped"]) == ("done", 4, 0)
    assert await _count(world, Credential) == 4


async def test_awards_job_and_direct_awards_at_once(world: World) -> None:
    text = _sheet(12) + f"{ANA},weld-smaw-3f,3\n{BEN},weld-smaw-3f,3\n"
    upload = await _upload(world, "teacher", text, enrol=True)
    direct = await asyncio.gather(
        *(
            _award(world, "teacher", {"student": email, "badge": "weld-smaw-3f", "level": 3})
            for email in (ANA, BEN)
        )
    )
    final = await _wait(world, upload.headers["location"])
    assert final["state"] == "done"
    assert all(response.status_code in (201, 409) for response in direct)
    # Whoever came first issued; the other skipped or was refused: 14 awards, each exactly once.
    assert final["issued"] + final["skipped"] == 14
    async with world.services.sessions() as session:
        credentials = (await session.execute(select(Credential))).scalars().all()
    assert len(credentials) == 14
    assert len({c.award_key for c in credentials}) == 14
    assert len({(c.list_number, c.status_index) for c in credentials}) == 14
