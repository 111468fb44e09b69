"""The teacher and supervisor pages through the real app (HTML forms, cookie sessions, CSRF fields), on
SQLite and PostgreSQL: the review queue, one submission and its decisions, direct and bulk awards,
the issued badges with revoke/suspend/reinstate, and the invitation page."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from tests.conftest import NOW
from tests.integration.issuer.test_submissions import PNG
from tests.qr_decode import decode_svg

if TYPE_CHECKING:
    from httpx import Response

    from tests.integration.issuer.conftest import World

pytestmark = pytest.mark.anyio

ORG = "/orgs/lincoln-hs"


def _cookie(world: World, who: str) -> dict[str, str]:
    cookie, _ = world.sessions[who]
    return {"Cookie": f"mb_session={cookie}"}


async def _get(world: World, who: str | None, path: str) -> Response:
    return await world.client.get(path, headers=_cookie(world, who) if who else {}, follow_redirects=False)


async def _post(world: World, who: str, path: str, form: dict[str, Any], files: Any = None) -> Response:
    _, csrf = world.sessions[who]
    return await world.client.post(
        path,
        data={**form, "csrf_token": csrf},
        files=files,
        headers=_cookie(world, who),
        follow_redirects=False,
    )


def _text(response: Response) -> str:
    """The page's text without tags, entities decoded, spaces collapsed: what a reader sees."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def _alerts(response: Response) -> list[str]:
    found = re.findall(r'role="alert"[^>]*>(.*?)</div>', response.text, flags=re.DOTALL)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in found]


async def _submit(
    world: World,
    who: str = "student",
    *,
    badge: str = "weld-smaw-3f",
    level: int = 3,
    narrative: str = "I welded a 3F fillet to the WPS.",
    links: list[str] | None = None,
) -> str:
    """A submission made through the API (the student's side), with one PNG file; returns its id."""
    data: dict[str, Any] = {"badge": badge, "level": str(level), "narrative": narrative}
    if links:
        data["links"] = links
    response = await world.client.post(
        "/api/orgs/lincoln-hs/submissions",
        data=data,
        files=[("files", ("plate.png", PNG, "image/png"))],
        headers=world.headers(who),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _submission(world: World, submission_id: str) -> Any:
    from issuer.db.models import Submission

    async with world.services.sessions() as session:
        return await session.get(Submission, uuid.UUID(submission_id))


async def _credentials(world: World) -> list[Any]:
    from issuer.db.models import Credential

    async with world.services.sessions() as session:
        result = await session.execute(select(Credential).order_by(col(Credential.issued_at)))
        return list(result.scalars())


def _seen(response: Response) -> str:
    match = re.search(r'name="seen" value="([^"]+)"', response.text)
    assert match, "the decision forms carry the version the reviewer saw"
    return html.unescape(match.group(1))


# --- the queue ------------------------------------------------------------------------------------------


async def test_queue_lists_filters_and_refuses_who_does_not_review(world: World) -> None:
    weld = await _submit(world, narrative="Ana's fillet")
    math = await _submit(world, "student2", badge="math-7rp-proportional", narrative="Ben's ratios")

    queue = await _get(world, "teacher", f"{ORG}/queue")
    assert queue.status_code == 200
    assert queue.headers["content-type"].startswith("text/html")
    assert f"{ORG}/submissions/{weld}" in queue.text
    assert f"{ORG}/submissions/{math}" in queue.text
    assert "2 submissions" in _text(queue)

    by_badge = await _get(world, "teacher", f"{ORG}/queue?badge=math-7rp-proportional")
    assert f"{ORG}/submissions/{math}" in by_badge.text
    assert f"{ORG}/submissions/{weld}" not in by_badge.text
    by_student = await _get(world, "teacher", f"{ORG}/queue?student=STUDENT2")  # name, any case
    assert f"{ORG}/submissions/{math}" in by_student.text
    assert f"{ORG}/submissions/{weld}" not in by_student.text
    by_email = await _get(world, "teacher", f"{ORG}/queue?student=ana@students")
    assert f"{ORG}/submissions/{weld}" in by_email.text
    assert f"{ORG}/submissions/{math}" not in by_email.text
    approved = await _get(world, "teacher", f"{ORG}/queue?state=approved")
    assert "0 submissions" in _text(approved)
    odd = await _get(world, "teacher", f"{ORG}/queue?state=nonsense&offset=x")  # falls back, no 500
    assert odd.status_code == 200

    # The supervisor's grants cover Ana's welding badge, not Ben's maths: the queue shows only that,
    # and says what the grants are.
    supervised = await _get(world, "supervisor", f"{ORG}/queue")
    assert f"{ORG}/submissions/{weld}" in supervised.text
    assert f"{ORG}/submissions/{math}" not in supervised.text
    assert "What you may attest" in _text(supervised)

    refused = await _get(world, "student", f"{ORG}/queue")
    assert refused.status_code == 403
    assert "You may not do this" in _text(refused)
    stranger = await _get(world, "other_teacher", f"{ORG}/queue")
    assert stranger.status_code == 403
    anonymous = await _get(world, None, f"{ORG}/queue")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/sign-in?next={ORG}/queue"


async def test_queue_bulk_approval_approves_each_and_reports_what_failed(world: World) -> None:
    weld = await _submit(world, narrative="Ana's fillet")
    math = await _submit(world, "student2", badge="math-7rp-proportional", narrative="Ben's ratios")

    nothing = await _post(world, "teacher", f"{ORG}/queue/approve", {"level": ""})
    assert nothing.status_code == 422
    assert _alerts(nothing) == ["Select at least one submission to approve."]

    # Level 2 is below both badges' required level: nothing is approved, each is reported.
    too_low = await _post(world, "teacher", f"{ORG}/queue/approve", {"ids": [weld, math], "level": "2"})
    assert too_low.status_code == 200
    assert "Not every submission could be approved" in _text(too_low)
    assert (await _submission(world, weld)).state == "submitted"
    assert await _credentials(world) == []

    done = await _post(
        world, "teacher", f"{ORG}/queue/approve", {"ids": [weld, math], "level": "", "comment": "Both fine"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{ORG}/queue"
    assert "2%20submissions%20approved" in done.headers["set-cookie"]
    assert (await _submission(world, weld)).state == "approved"
    assert (await _submission(world, math)).state == "approved"
    assert sorted((c.badge_slug, c.level) for c in await _credentials(world)) == [
        ("math-7rp-proportional", 3),
        ("weld-smaw-3f", 3),
    ]


async def test_queue_supervisor_cannot_bulk_approve_outside_their_grants(world: World) -> None:
    math = await _submit(world, "student2", badge="math-7rp-proportional")
    response = await _post(world, "supervisor", f"{ORG}/queue/approve", {"ids": [math]})
    assert response.status_code == 200
    assert "Not approved" in _text(response)
    assert (await _submission(world, math)).state == "submitted"
    assert await _credentials(world) == []


# --- one submission ------------------------------------------------------------------------------------


async def test_submission_page_shows_evidence_safely_and_serves_files_as_attachments(world: World) -> None:
    submission_id = await _submit(
        world,
        narrative="**Bold** claim <script>alert(1)</script> [site](javascript:alert(2))",
        links=["https://portfolio.example.org/ana"],
    )
    shown = await _get(world, "teacher", f"{ORG}/submissions/{submission_id}")
    assert shown.status_code == 200
    assert "<strong>Bold</strong>" in shown.text
    assert "<script>alert(1)" not in shown.text
    assert 'href="javascript:' not in shown.text
    assert '<a href="https://portfolio.example.org/ana" rel="nofollow noopener noreferrer">' in shown.text
    assert "Waiting for review" in _text(shown)
    file_link = re.search(rf'href="({ORG}/submissions/{submission_id}/files/[^"]+)"', shown.text)
    assert file_link is not None
    download = await _get(world, "teacher", file_link.group(1))
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith('attachment; filename="plate.png"')
    assert download.headers["x-content-type-options"] == "nosniff"

    # A supervisor outside their grants, and a student, get the error page, not the evidence.
    ben = await _submit(world, "student2", badge="math-7rp-proportional", narrative="Ben's private work")
    outside = await _get(world, "supervisor", f"{ORG}/submissions/{ben}")
    assert outside.status_code == 403
    assert "Ben&#39;s private work" not in outside.text
    assert "private work" not in outside.text
    assert (await _get(world, "student", f"{ORG}/submissions/{submission_id}")).status_code == 403
    elsewhere = await _get(world, "other_teacher", f"{ORG}/submissions/{submission_id}")
    assert elsewhere.status_code == 403


async def test_submission_approve_with_level_and_comment_issues_the_badge(world: World) -> None:
    submission_id = await _submit(world, level=3)
    shown = await _get(world, "teacher", f"{ORG}/submissions/{submission_id}")
    approved = await _post(
        world,
        "teacher",
        f"{ORG}/submissions/{submission_id}/review",
        {"decision": "approve", "level": "4", "comment": "Excellent *bead*", "seen": _seen(shown)},
    )
    assert approved.status_code == 303, approved.text
    assert approved.headers["location"] == f"{ORG}/submissions/{submission_id}"
    after = await _get(world, "teacher", f"{ORG}/submissions/{submission_id}")
    assert "Approved" in _text(after)
    assert "<em>bead</em>" in after.text  # the comment in the history, as Markdown
    assert 'name="decision"' not in after.text  # decided: no more forms
    (credential,) = await _credentials(world)
    assert (credential.badge_slug, credential.level) == ("weld-smaw-3f", 4)
    assert (await _submission(world, submission_id)).credential_id == credential.id
    assert await world.verdict(credential.ldp) == "valid"


async def test_submission_form_errors_are_shown_and_nothing_changes(world: World) -> None:
    submission_id = await _submit(world)
    shown = await _get(world, "teacher", f"{ORG}/submissions/{submission_id}")
    seen = _seen(shown)
    review = f"{ORG}/submissions/{submission_id}/review"

    no_reason = await _post(world, "teacher", review, {"decision": "return", "comment": " ", "seen": seen})
    assert no_reason.status_code == 422
    assert _alerts(no_reason) == ["Say why in the comment: the student reads it."]
    assert 'aria-describedby="return-error"' in no_reason.text

    too_low = await _post(
        world, "teacher", review, {"decision": "approve", "level": "2", "comment": "Kept text", "seen": seen}
    )
    assert too_low.status_code == 422
    (message,) = _alerts(too_low)
    assert message.startswith("Not saved:")
    assert "level" in message
    assert ">Kept text</textarea>" in too_low.text  # what the reviewer typed is kept

    unknown = await _post(world, "teacher", review, {"decision": "promote", "seen": seen})
    assert unknown.status_code == 422
    no_version = await _post(world, "teacher", review, {"decision": "approve", "level": "3"})
    assert no_version.status_code == 422
    assert "out of date" in _alerts(no_version)[0]

    assert (await _submission(world, submission_id)).state == "submitted"
    assert await _credentials(world) == []

    # A supervisor may not decide what their grants do not cover: the error page, nothing stored.
    ben = await _submit(world, "student2", badge="weld-smaw-3f")
    refused = await _post(
        world,
        "supervisor",
        f"{ORG}/submissions/{ben}/review",
        {"decision": "approve", "level": "3", "seen": seen},
    )
    assert refused.status_code == 403
    assert (await _submission(world, ben)).state == "submitted"
    assert await _credentials(world) == []


async def test_submission_stale_decision_is_refused_with_a_readable_message(world: World) -> None:
    from issuer.db.models import Submission

    submission_id = await _submit(world)
    teacher_view = await _get(world, "teacher", f"{ORG}/submissions/{submission_id}")
    seen = _seen(teacher_view)
    # The submission changes after the teacher opened it (as a resubmission with new files would:
    # the test clock is fixed, so the change of updated_at is written directly).
    async with world.services.sessions() as session:
        await session.execute(
            update(Submission)
            .where(col(Submission.id) == uuid.UUID(submission_id))
            .values(updated_at=NOW + timedelta(minutes=5))
        )
        await session.commit()
    stale = await _post(
        world,
        "teacher",
        f"{ORG}/submissions/{submission_id}/review",
        {"decision": "approve", "level": "3", "seen": seen},
    )
    assert stale.status_code == 409
    (message,) = _alerts(stale)
    assert message.startswith("Not saved: this submission changed since you opened it")
    assert _seen(stale) != seen  # the page shows it as it is now, with its new version
    assert (await _submission(world, submission_id)).state == "submitted"
    assert await _credentials(world) == []

    # Another reviewer decided meanwhile: refused the same way, the other decision stands.
    fresh = _seen(stale)
    declined = await _post(
        world,
        "admin",
        f"{ORG}/submissions/{submission_id}/review",
        {"decision": "decline", "comment": "Not yet", "seen": fresh},
    )
    assert declined.status_code == 303
    late = await _post(
        world,
        "teacher",
        f"{ORG}/submissions/{submission_id}/review",
        {"decision": "approve", "level": "3", "seen": fresh},
    )
    assert late.status_code == 409
    assert "changed since you opened it" in _alerts(late)[0]
    assert (await _submission(world, submission_id)).state == "declined"
    assert await _credentials(world) == []


# --- awards ---------------------------------------------------------------------------------------------


async def test_award_direct_issues_and_shows_refusals_on_the_form(world: World) -> None:
    form = {
        "student": "ana@students.example.edu",
        "badge": "weld-smaw-3f",
        "level": "3",
        "comment": "Shop test",
    }
    issued = await _post(world, "teacher", f"{ORG}/award", form)
    assert issued.status_code == 303, issued.text
    (credential,) = await _credentials(world)
    assert (credential.badge_slug, credential.level) == ("weld-smaw-3f", 3)

    again = await _post(world, "teacher", f"{ORG}/award", form)
    assert again.status_code == 409
    assert _alerts(again)[0].startswith("Not issued:")
    assert 'value="ana@students.example.edu"' in again.text

    unknown = await _post(world, "teacher", f"{ORG}/award", {**form, "student": "nobody@example.org"})
    assert unknown.status_code == 422
    assert "nobody@example.org" in _alerts(unknown)[0]
    missing = await _post(world, "teacher", f"{ORG}/award", {"student": "", "badge": "", "level": ""})
    assert missing.status_code == 422
    assert _alerts(missing) == ["Name the student by e-mail address."]
    # A supervisor awards within their grants only: Ben is not covered.
    outside = await _post(
        world, "supervisor", f"{ORG}/award", {**form, "student": "ben@students.example.edu"}
    )
    assert outside.status_code == 403
    assert len(await _credentials(world)) == 1


async def _finished_job_page(world: World, location: str) -> Response:
    # Polls the progress page to the job's end; bounded by a count of polls, not by time.
    for _ in range(2000):
        shown = await _get(world, "teacher", location)
        if "data-reload-seconds" not in shown.text:
            return shown
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {location} did not finish")


async def test_award_bulk_csv_reports_bad_rows_and_offers_them_as_csv(world: World) -> None:
    sheet = (
        "student,badge,level,comment\n"
        "ana@students.example.edu,weld-smaw-3f,3,Observed\n"
        "ben@students.example.edu,no-such-badge,3,\n"
        "ben@students.example.edu,math-7rp-proportional,9,\n"
    )
    uploaded = await _post(
        world,
        "teacher",
        f"{ORG}/award/bulk",
        {"enrol": ""},
        files={"file": ("class.csv", sheet.encode(), "text/csv")},
    )
    assert uploaded.status_code == 303, uploaded.text
    location = uploaded.headers["location"]
    assert re.fullmatch(rf"{ORG}/award/jobs/[0-9a-f-]+", location)
    finished = await _finished_job_page(world, location)
    text = _text(finished)
    assert "Finished" in text
    assert re.search(r"Issued 1 .*Rejected 2", text)
    assert "no-such-badge" in text
    rows = re.findall(r'<tr><th scope="row">(\d+)</th><td>([^<]*)</td>', finished.text)
    assert rows == [("3", "badge"), ("4", "level")]
    report = await _get(world, "teacher", location + "/rejected.csv")
    assert report.status_code == 200
    assert report.headers["content-disposition"].startswith("attachment;")
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))  # a BOM for spreadsheets
    assert lines[0] == ["row", "column", "value", "message"]
    assert [(line[0], line[1]) for line in lines[1:]] == [("3", "badge"), ("4", "level")]
    assert [(c.badge_slug, c.level) for c in await _credentials(world)] == [("weld-smaw-3f", 3)]


async def test_award_bulk_unreadable_file_is_refused_and_nothing_is_stored(world: World) -> None:
    from issuer.db.models import AwardJob

    no_file = await _post(world, "teacher", f"{ORG}/award/bulk", {})
    assert no_file.status_code == 422
    assert _alerts(no_file) == ["Choose a CSV file to upload."]
    broken = await _post(
        world,
        "teacher",
        f"{ORG}/award/bulk",
        {},
        files={"file": ("class.csv", b"name,colour\nAna,blue\n", "text/csv")},
    )
    assert broken.status_code == 422
    assert _alerts(broken)[0].startswith("This file cannot be read:")
    async with world.services.sessions() as session:
        assert list((await session.execute(select(AwardJob))).scalars()) == []
    # Supervisors do not award in bulk; another school's job is not found.
    assert (await _get(world, "supervisor", f"{ORG}/award/bulk")).status_code == 403


# --- issued badges --------------------------------------------------------------------------------------


async def test_credentials_search_and_revoke_after_confirmation(world: World) -> None:
    await world.allow_suspension()
    ana = await world.issue("student", badge="weld-smaw-3f")
    ben = await world.issue("student2", badge="math-7rp-proportional")
    ana_key = ana.id.removeprefix("urn:uuid:")
    assert ana.ldp is not None

    listed = await _get(world, "teacher", f"{ORG}/credentials")
    assert listed.status_code == 200
    assert "2 badges" in _text(listed)
    by_student = await _get(world, "admin", f"{ORG}/credentials?student=student2")
    assert f"/credentials/{ben.id.removeprefix('urn:uuid:')}/" in by_student.text
    assert f"/credentials/{ana_key}/" not in by_student.text
    by_badge = await _get(world, "admin", f"{ORG}/credentials?badge=weld-smaw-3f")
    assert f"/credentials/{ana_key}/revoke" in by_badge.text
    # A teacher is offered suspend, never revoke (final: admins only), and cannot reach it.
    assert f"/credentials/{ana_key}/revoke" not in listed.text
    assert f"/credentials/{ana_key}/suspend" in listed.text
    assert (await _get(world, "teacher", f"{ORG}/credentials/{ana_key}/revoke")).status_code == 403

    confirm = await _get(world, "admin", f"{ORG}/credentials/{ana_key}/revoke")
    assert confirm.status_code == 200
    assert "Revoking is final" in _text(confirm)
    assert (await _credentials(world))[0].state == "active"  # showing the confirmation changes nothing

    no_reason = await _post(world, "admin", f"{ORG}/credentials/{ana_key}/revoke", {"reason": ""})
    assert no_reason.status_code == 422
    assert "Give a reason" in _alerts(no_reason)[0]
    assert (await world.verdict(ana.ldp)) == "valid"

    revoked = await _post(
        world, "admin", f"{ORG}/credentials/{ana_key}/revoke", {"reason": "Issued to the wrong student"}
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"{ORG}/credentials"
    states = {c.id: (c.state, c.status_reason) for c in await _credentials(world)}
    assert states[ana.id] == ("revoked", "Issued to the wrong student")
    assert states[ben.id] == ("active", None)
    assert (await world.verdict(ana.ldp)) == "invalid"
    after = await _get(world, "admin", f"{ORG}/credentials?state=revoked")
    assert "Reason (private): Issued to the wrong student" in _text(after)

    # Final: no second revocation, no reinstatement.
    again = await _post(world, "admin", f"{ORG}/credentials/{ana_key}/reinstate", {"reason": ""})
    assert again.status_code == 422
    assert "revoked" in _alerts(again)[0]
    elsewhere = await _get(world, "other_admin", f"{ORG}/credentials/{ana_key}/revoke")
    assert elsewhere.status_code == 403


async def test_credentials_teacher_suspends_and_reinstates(world: World) -> None:
    await world.allow_suspension()
    credential = await world.issue("student")
    key = credential.id.removeprefix("urn:uuid:")
    assert credential.ldp is not None
    suspended = await _post(world, "teacher", f"{ORG}/credentials/{key}/suspend", {"reason": "Under review"})
    assert suspended.status_code == 303
    assert (await _credentials(world))[0].state == "suspended"
    assert (await world.verdict(credential.ldp)) == "invalid"
    listed = await _get(world, "teacher", f"{ORG}/credentials")
    assert f"/credentials/{key}/reinstate" in listed.text
    reinstated = await _post(world, "teacher", f"{ORG}/credentials/{key}/reinstate", {"reason": ""})
    assert reinstated.status_code == 303
    assert (await _credentials(world))[0].state == "active"
    assert (await world.verdict(credential.ldp)) == "valid"
    unknown = await _get(world, "teacher", f"{ORG}/credentials/{uuid.uuid4()}/suspend")
    assert unknown.status_code == 404


# --- invitations ----------------------------------------------------------------------------------------


async def _invite(world: World, email: str = "mentor@shipyard.example.com") -> str:
    response = await world.client.post(
        "/api/orgs/lincoln-hs/invitations",
        json={
            "email": email,
            "displayName": "Maria Lopez",
            "badges": ["weld-smaw-3f"],
            "students": [world.person_id("student2")],
        },
        headers=world.headers("teacher"),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["link"]).rsplit("/", 1)[1]


async def test_invitation_page_accepts_and_lands_on_the_granted_queue(world: World) -> None:
    from issuer.db.models import Person

    token = await _invite(world)
    ben_weld = await _submit(world, "student2", badge="weld-smaw-3f", narrative="Ben's weld")
    ana_weld = await _submit(world, "student", badge="weld-smaw-3f", narrative="Ana's weld")

    shown = await _get(world, None, f"/invitations/{token}")
    assert shown.status_code == 200
    text = _text(shown)
    assert "Lincoln High School invites Maria Lopez to attest mastery badges as a supervisor." in text
    assert "SMAW Fillet Weld, Vertical Position (3F)" in text
    assert "Student2" in text

    short = await world.client.post(
        f"/invitations/{token}/accept", data={"name": "Maria", "password": "short"}, follow_redirects=False
    )
    assert short.status_code == 422
    assert _alerts(short) == ["Use a password of 12 to 1,000 characters, or leave it empty."]
    assert 'value="Maria"' in short.text
    async with world.services.sessions() as session:
        assert (
            await session.execute(select(Person).where(Person.email == "mentor@shipyard.example.com"))
        ).first() is None  # nothing was created

    accepted = await world.client.post(
        f"/invitations/{token}/accept",
        data={"name": "Maria L.", "password": "a long enough password"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303, accepted.text
    assert accepted.headers["location"] == f"{ORG}/queue"
    cookie = accepted.cookies["mb_session"]
    world.client.cookies.clear()
    queue = await world.client.get(f"{ORG}/queue", headers={"Cookie": f"mb_session={cookie}"})
    assert queue.status_code == 200
    assert f"{ORG}/submissions/{ben_weld}" in queue.text
    assert f"{ORG}/submissions/{ana_weld}" not in queue.text
    assert "SMAW Fillet Weld, Vertical Position (3F) for Student2" in _text(queue)

    # The name and password chosen are the new account's; the password signs in to Lincoln only.
    signed_in = await world.client.post(
        "/sign-in",
        data={"email": "mentor@shipyard.example.com", "password": "a long enough password"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    world.client.cookies.clear()
    async with world.services.sessions() as session:
        person = (
            await session.execute(select(Person).where(Person.email == "mentor@shipyard.example.com"))
        ).scalar_one()
        assert person.display_name == "Maria L."
        assert person.password_org_id == world.organisations["lincoln-hs"].id


async def test_invitation_page_keeps_an_existing_account_as_it_is_and_refuses_bad_links(world: World) -> None:
    from issuer.db.models import Person

    token = await _invite(world, email="teacher@riverside.example.edu")  # has an account already
    accepted = await world.client.post(
        f"/invitations/{token}/accept",
        data={"name": "Someone Else", "password": "an attempt to take it over"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    world.client.cookies.clear()
    async with world.services.sessions() as session:
        person = await session.get(Person, world.people["other_teacher"].id)
        assert person is not None
        assert person.display_name == "Other Teacher"
        assert person.password_hash is None

    gone = await _get(world, None, "/invitations/mbi_unknown")
    assert gone.status_code == 410
    assert "This link is no longer valid" in _text(gone)
    refused = await world.client.post(
        "/invitations/mbi_unknown/accept", data={"name": "X"}, follow_redirects=False
    )
    assert refused.status_code == 410


async def test_award_job_page_while_running_reloads_itself_and_offers_a_refresh_link(world: World) -> None:
    # A job stored but not started yet (as right after the upload) shows its progress, asks the browser
    # to reload (site.js), and has a plain Refresh link for a browser without JavaScript.
    job_id = await world.create_job("student,badge,level\nana@students.example.edu,weld-smaw-3f,3\n")
    shown = await _get(world, "teacher", f"{ORG}/award/jobs/{job_id}")
    assert shown.status_code == 200
    assert 'data-reload-seconds="2"' in shown.text
    assert f'<a href="{ORG}/award/jobs/{job_id}">Refresh</a>' in shown.text
    assert "Waiting to start : 0 of 1 rows dealt with (0%)." in _text(shown)
    assert "Rejected rows" not in _text(shown)
    assert (await _get(world, "other_teacher", f"{ORG}/award/jobs/{job_id}")).status_code == 403
    assert (await _get(world, "teacher", f"{ORG}/award/jobs/{uuid.uuid4()}")).status_code == 404


async def test_invitation_page_accepting_is_rate_limited_with_the_api_counter(world: World) -> None:
    limit = world.services.settings.login_rate_per_minute
    for _ in range(limit):
        answer = await world.client.post("/invitations/mbi_guess/accept", data={"name": "X"})
        assert answer.status_code == 410
    page_limited = await world.client.post("/invitations/mbi_guess/accept", data={"name": "X"})
    assert page_limited.status_code == 429
    assert "Too many attempts" in _text(page_limited)
    # One counter for the page and the API: guessing links through the other door gains nothing.
    api_limited = await world.client.post("/api/invitations/mbi_guess/accept")
    assert api_limited.status_code == 429


async def test_staff_pages_speak_spanish_when_asked(world: World) -> None:
    submission_id = await _submit(world)
    queue = await _get(world, "teacher", f"{ORG}/queue?lang=es")
    assert "Cola de revisión" in _text(queue)
    assert "En espera de revisión" in _text(queue)
    shown = await world.client.get(
        f"{ORG}/submissions/{submission_id}",
        headers={**_cookie(world, "teacher"), "Accept-Language": "es"},
    )
    assert "Aprobar y emitir la insignia" in _text(shown)
    no_comment = await world.client.post(
        f"{ORG}/submissions/{submission_id}/review",
        data={
            "decision": "return",
            "comment": "",
            "seen": _seen(shown),
            "csrf_token": world.sessions["teacher"][1],
        },
        headers={**_cookie(world, "teacher"), "Accept-Language": "es"},
    )
    assert _alerts(no_comment) == ["Explique el motivo en el comentario: el estudiante lo leerá."]


async def test_teacher_makes_a_wallet_qr_code_for_a_student_without_a_phone(world: World) -> None:
    from issuer.db.models import AuditEvent, WalletOfferRow

    credential = await world.issue("student")
    key = credential.id.removeprefix("urn:uuid:")
    listed = await _get(world, "teacher", f"{ORG}/credentials")
    assert f"/credentials/{key}/wallet" in listed.text
    form = await _get(world, "teacher", f"{ORG}/credentials/{key}/wallet")
    assert form.status_code == 200
    assert 'name="pin" value="yes" checked' in form.text  # a shared screen: a PIN by default
    made = await _post(world, "teacher", f"{ORG}/credentials/{key}/wallet", {"pin": "yes"})
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    pin = re.search(r'id="wallet-pin">(\d{6})<', made.text)
    assert pin is not None
    assert "cannot ask for a PIN" in made.text  # no DCC code with a PIN
    # The QR code on the page is a real offer: decoded, it names the offer document, which answers.
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", made.text, re.S)
    assert len(svgs) == 1
    [decoded] = decode_svg(svgs[0])
    assert decoded.startswith("openid-credential-offer://?credential_offer_uri=")
    offer_uri = parse_qs(urlsplit(decoded).query)["credential_offer_uri"][0]
    assert (await world.client.get(urlsplit(offer_uri).path)).status_code == 200
    async with world.services.sessions() as session:
        [offer] = (await session.execute(select(WalletOfferRow))).scalars().all()
        assert offer.created_by_id == world.people["teacher"].id
        events = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "wallet.offer"))
        ).scalars()
        assert [e.actor_id for e in events] == [world.people["teacher"].id]
    # Not for another school's teacher, and not for a revoked badge.
    assert (await _get(world, "other_teacher", f"{ORG}/credentials/{key}/wallet")).status_code == 403
    revoked = await world.client.post(
        f"/api/orgs/lincoln-hs/credentials/{credential.id}/revoke",
        json={"reason": "test"},
        headers=world.headers("admin"),
    )
    assert revoked.status_code == 200
    refused = await _post(world, "teacher", f"{ORG}/credentials/{key}/wallet", {})
    assert refused.status_code == 409
    assert "revoked" in refused.text
