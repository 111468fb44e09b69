"""The teacher and supervisor pages in a real browser against ``badges demo``: the review queue and a
decision, a bulk award with a bad row, a revocation behind its confirmation, and an external supervisor
who accepts an invitation and attests a submission their grant covers.

Each test makes its own students (through the API, as a teacher's class list would), so no test depends
on what another test of the shared demo service changed.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import TYPE_CHECKING, Any

from tests.browser.conftest import DEMO_PASSWORD, check_accessibility, new_page, screenshots, sign_in
from tests.integration.issuer.test_submissions import PNG

if TYPE_CHECKING:
    from playwright.sync_api import APIRequestContext, Browser, Page

    from tests.browser.conftest import Service

ORG = "/orgs/lincoln-hs"
STUDENT_PASSWORD = "a class-list password"  # test-only


class Api:
    """Someone's API session in its own browser context (cookie + CSRF header), for the setup steps
    that belong to other people's pages (a teacher's class list, a student's submission)."""

    def __init__(self, browser: Browser, service: Service, email: str, password: str = DEMO_PASSWORD):
        self.context = browser.new_context(base_url=service.base_url)
        self.request: APIRequestContext = self.context.request
        answer = self.request.post("/api/session", data={"email": email, "password": password})
        assert answer.status == 201, answer.text()
        self.csrf = str(answer.json()["csrfToken"])

    def post(self, path: str, **kwargs: Any) -> Any:
        answer = self.request.post(path, headers={"X-CSRF-Token": self.csrf}, **kwargs)
        assert answer.status in (200, 201), f"{path}: {answer.status} {answer.text()}"
        return answer.json()

    def close(self) -> None:
        self.context.close()


def _new_student(browser: Browser, service: Service, name: str) -> tuple[str, str]:
    """A new student of Lincoln High (added by the demo teacher), with a password; (e-mail, person id)."""
    email = f"{name.lower().replace(' ', '.')}.{uuid.uuid4().hex[:8]}@students.lincoln.demo"
    teacher = Api(browser, service, "teacher@lincoln.demo")
    try:
        member = teacher.post(
            "/api/orgs/lincoln-hs/members",
            data={"email": email, "displayName": name, "role": "student", "password": STUDENT_PASSWORD},
        )
    finally:
        teacher.close()
    return email, str(member["personId"])


def _submit(browser: Browser, service: Service, email: str, badge: str, narrative: str) -> str:
    """The student's submission at level 3, with a photo; returns its id."""
    student = Api(browser, service, email, STUDENT_PASSWORD)
    try:
        created = student.post(
            "/api/orgs/lincoln-hs/submissions",
            multipart={
                "badge": badge,
                "level": "3",
                "narrative": narrative,
                "links": "https://example.org/portfolio/work",
                "files": {"name": "plate.png", "mimeType": "image/png", "buffer": PNG},
            },
        )
    finally:
        student.close()
    return str(created["id"])


def test_teacher_opens_the_queue_and_approves_a_submission_with_level_and_comment(
    page: Page, browser: Browser, service: Service
) -> None:
    name = f"Quinn Queue {uuid.uuid4().hex[:4]}"
    email, _ = _new_student(browser, service, name)
    _submit(browser, service, email, "math-7rp-proportional", "My **ratio tables** and the graph.")

    sign_in(page, "teacher@lincoln.demo")
    page.get_by_role("main").get_by_role("link", name="Lincoln High School: review queue").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Review queue")
    check_accessibility(page)
    screenshots(page, "staff-queue")
    page.get_by_label("Student (name or e-mail)").fill(name)
    page.get_by_role("button", name="Filter").click()
    assert "1 submission" in page.get_by_role("main").inner_text()
    page.get_by_role("link", name=f"Open {name}: Proportional Relationships").click()

    assert page.get_by_role("heading", level=1).inner_text() == f"{name}: Proportional Relationships"
    assert page.locator(".narrative strong").inner_text() == "ratio tables"
    assert page.get_by_role("link", name="https://example.org/portfolio/work").get_attribute("rel") == (
        "nofollow noopener noreferrer"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Download plate.png").click()
    assert download.value.suggested_filename == "plate.png"
    check_accessibility(page)
    screenshots(page, "staff-submission")

    page.get_by_label("Level").select_option("4")
    page.get_by_label("Comment (optional)").fill(
        "Clear tables; the graph shows the constant of proportionality."
    )
    page.get_by_role("button", name="Approve", exact=True).click()
    assert page.get_by_role("status").inner_text() == (
        "Approved at level 4: the badge was signed and issued."
    )
    assert page.locator("#submission-state").inner_text() == "Approved"
    assert "the graph shows the constant of proportionality" in page.locator(".history").inner_text()
    assert page.get_by_role("button", name="Approve", exact=True).count() == 0
    check_accessibility(page)
    screenshots(page, "staff-submission-approved")


def test_bulk_award_csv_with_a_bad_row_shows_progress_and_the_rejected_row(page: Page) -> None:
    good = f"bulk.{uuid.uuid4().hex[:8]}@students.lincoln.demo"
    sheet = (
        "student,badge,level,comment\n"
        f"{good},math-7rp-proportional,3,Unit test on ratios\n"
        f"{good},no-such-badge,3,\n"
    )
    sign_in(page, "teacher@lincoln.demo")
    page.goto(f"{ORG}/award/bulk")
    check_accessibility(page)
    screenshots(page, "staff-bulk")
    page.get_by_label("CSV file").set_input_files(
        {"name": "class.csv", "mimeType": "text/csv", "buffer": sheet.encode()}
    )
    page.get_by_label("Enrol students named by e-mail who are not students here yet").check()
    page.get_by_role("button", name="Upload and award").click()

    assert re.search(r"/orgs/lincoln-hs/award/jobs/[0-9a-f-]+$", page.url)
    # The page reloads itself while the job runs (data-reload-seconds), until it says it finished.
    page.get_by_text("Finished", exact=True).wait_for(timeout=60_000)
    assert page.locator("#count-issued").inner_text() == "1"
    assert page.locator("#count-rejected").inner_text() == "1"
    rejected = page.get_by_role("table").get_by_role("row").nth(1)
    assert rejected.get_by_role("rowheader").inner_text() == "3"
    assert rejected.get_by_role("cell").nth(0).inner_text() == "badge"
    assert "no-such-badge" in rejected.inner_text()
    check_accessibility(page)
    screenshots(page, "staff-bulk-job")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows (CSV)").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["row", "column", "value", "message"]
    assert [row[:2] for row in rows[1:]] == [["3", "badge"]]


def test_admin_awards_then_revokes_a_badge_after_confirming(
    page: Page, browser: Browser, service: Service
) -> None:
    name = f"Rory Revoke {uuid.uuid4().hex[:4]}"
    email, _ = _new_student(browser, service, name)

    sign_in(page, "admin@lincoln.demo")
    page.goto(f"{ORG}/award")
    check_accessibility(page)
    screenshots(page, "staff-award")
    page.get_by_label("Student's e-mail address").fill(email)
    page.get_by_label("Badge", exact=True).select_option(label="Proportional Relationships")
    page.get_by_label("Level", exact=True).select_option("3")
    page.get_by_label("Comment (optional: it becomes the badge's narrative)").fill("Observed in class")
    page.get_by_role("button", name="Issue the badge").click()
    assert page.get_by_role("status").inner_text() == "Issued: math-7rp-proportional at level 3."

    page.get_by_role("link", name="Issued badges").click()
    page.get_by_label("Student (name or e-mail)").fill(name)
    page.get_by_role("button", name="Search").click()
    assert "1 badge" in page.get_by_role("main").inner_text()
    check_accessibility(page)
    screenshots(page, "staff-credentials")
    page.get_by_role("link", name=f"Revoke Proportional Relationships of {name}").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Revoke this badge"
    assert "Revoking is final" in page.get_by_role("main").inner_text()
    check_accessibility(page)
    screenshots(page, "staff-revoke-confirm")
    page.get_by_label("Reason (required, private)").fill("Awarded to the wrong student")
    page.get_by_role("button", name="Revoke the badge").click()
    assert page.get_by_role("status").inner_text() == "The badge was revoked."
    page.get_by_label("Student (name or e-mail)").fill(name)
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row", name=re.compile(re.escape(name)))
    assert "Revoked" in row.inner_text()
    assert "Reason (private): Awarded to the wrong student" in row.inner_text()
    assert row.get_by_role("link").count() == 0  # final: nothing more to do with it


def test_supervisor_accepts_an_invitation_and_attests_a_granted_submission(
    page: Page, browser: Browser, service: Service
) -> None:
    name = f"Sky Shop {uuid.uuid4().hex[:4]}"
    email, student_id = _new_student(browser, service, name)
    _submit(browser, service, email, "weld-smaw-3f", "Vertical fillet welds on 10 mm plate.")

    # The school's admin invites a mentor for this badge and student (their session, through the API).
    sign_in(page, "admin@lincoln.demo")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    mentor = f"mentor.{uuid.uuid4().hex[:8]}@shipyard.example.com"
    invited = page.request.post(
        "/api/orgs/lincoln-hs/invitations",
        headers={"X-CSRF-Token": csrf or ""},
        data={
            "email": mentor,
            "displayName": "Sam Mentor",
            "badges": ["weld-smaw-3f"],
            "students": [student_id],
        },
    )
    assert invited.status == 201, invited.text()
    link = str(invited.json()["link"])

    supervisor = new_page(browser, service)
    try:
        supervisor.goto(link.removeprefix(service.base_url))
        assert (
            supervisor.get_by_role("heading", level=1).inner_text() == "Invitation from Lincoln High School"
        )
        assert "SMAW Fillet Weld, Vertical Position (3F)" in supervisor.get_by_role("main").inner_text()
        check_accessibility(supervisor)
        screenshots(supervisor, "invitation")
        supervisor.get_by_label("Your name").fill("Sam Mentor (Shipyard)")
        supervisor.get_by_label("Choose a password (optional)").fill("a mentor's own password")
        supervisor.get_by_role("button", name="Accept and sign in").click()

        assert supervisor.url.endswith(f"{ORG}/queue")
        assert supervisor.get_by_role("status").inner_text() == (
            "Welcome, Sam Mentor (Shipyard). Here is what you may attest for Lincoln High School."
        )
        grants = supervisor.get_by_role("region", name="What you may attest").inner_text()
        assert f"SMAW Fillet Weld, Vertical Position (3F) for {name}" in grants
        # Exactly their grant: one submission, this student's.
        assert "1 submission" in supervisor.get_by_role("main").inner_text()
        check_accessibility(supervisor)
        screenshots(supervisor, "staff-queue-supervisor")
        supervisor.get_by_role("link", name=f"Open {name}: SMAW Fillet Weld, Vertical Position (3F)").click()
        supervisor.get_by_label("Level").select_option("3")
        supervisor.get_by_label("Comment (optional)").fill("Bend test passed in the shop.")
        supervisor.get_by_role("button", name="Approve", exact=True).click()
        assert supervisor.get_by_role("status").inner_text() == (
            "Approved at level 3: the badge was signed and issued."
        )
        history = supervisor.locator(".history").inner_text()
        assert "Sam Mentor (Shipyard)" in history
        check_accessibility(supervisor)
    finally:
        supervisor.context.close()


def test_bulk_award_progress_works_without_javascript(browser: Browser, service: Service) -> None:
    # No site.js: the page cannot reload itself, so the teacher follows the Refresh link until the job
    # is done (bounded by a count of clicks, not by time).
    page = new_page(browser, service, java_script_enabled=False)
    try:
        student = f"nojs.{uuid.uuid4().hex[:8]}@students.lincoln.demo"
        sign_in(page, "teacher@lincoln.demo")
        page.goto(f"{ORG}/award/bulk")
        page.get_by_label("CSV file").set_input_files(
            {
                "name": "nojs.csv",
                "mimeType": "text/csv",
                "buffer": f"student,badge,level\n{student},math-7rp-proportional,3\n".encode(),
            }
        )
        page.get_by_label("Enrol students named by e-mail who are not students here yet").check()
        page.get_by_role("button", name="Upload and award").click()
        for _ in range(500):
            if page.get_by_text("Finished", exact=True).count():
                break
            page.get_by_role("link", name="Refresh").click()
        assert page.locator("#count-issued").inner_text() == "1"
        assert page.locator("#count-rejected").inner_text() == "0"
        assert page.get_by_role("link", name="Download the rejected rows (CSV)").count() == 0
    finally:
        page.context.close()


def test_teacher_makes_a_wallet_qr_code_for_a_class_pickup(page: Page) -> None:
    """A student without a phone at hand, or a class on a projector: the teacher makes the offer."""
    student = f"pickup.{uuid.uuid4().hex[:8]}@students.lincoln.demo"
    sheet = f"student,badge,level\n{student},math-7rp-proportional,3\n"
    sign_in(page, "teacher@lincoln.demo")
    page.goto(f"{ORG}/award/bulk")
    page.get_by_label("CSV file").set_input_files(
        {"name": "pickup.csv", "mimeType": "text/csv", "buffer": sheet.encode()}
    )
    page.get_by_label("Enrol students named by e-mail who are not students here yet").check()
    page.get_by_role("button", name="Upload and award").click()
    page.get_by_text("Finished", exact=True).wait_for(timeout=60_000)
    assert page.locator("#count-issued").inner_text() == "1"
    page.goto(f"{ORG}/credentials?student={student.split('@')[0]}")
    page.get_by_role(
        "link", name=f"Wallet QR code: Proportional Relationships of {student.split('@')[0]}"
    ).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Put a badge into a wallet"
    assert page.get_by_label("Also ask for a 6-digit PIN", exact=False).is_checked()
    check_accessibility(page)
    screenshots(page, "staff-wallet")
    page.get_by_role("button", name="Make a wallet QR code").click()
    # The PIN stays hidden (the codes may be on a projector) until the teacher asks for it.
    assert not page.locator("#wallet-pin").is_visible()
    page.get_by_text("Show the PIN").click()
    assert page.locator("#wallet-pin").inner_text().isdigit()
    assert page.get_by_role("img", name="QR code for a wallet app (OpenID4VCI)").is_visible()
    check_accessibility(page)
    screenshots(page, "staff-wallet-offer")
