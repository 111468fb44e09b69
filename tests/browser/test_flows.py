"""The whole journey through the pages, one person after another, as issue #6 describes it: a student
submits evidence, the teacher approves it, the student shares it, an anonymous visitor opens the share
link and sees "Verified", the student withdraws the link and the visitor sees it is gone."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, new_page, sign_in
from tests.browser.test_student_pages import _png
from tests.browser.test_teacher_pages import STUDENT_PASSWORD, _new_student

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.browser.conftest import Service

BADGE = "Proportional Relationships"  # a teacher may attest it (the workplace badges need a supervisor)


def test_submit_approve_share_verify_withdraw(page: Page, browser: Browser, service: Service) -> None:
    name = f"Flo Flow {uuid.uuid4().hex[:4]}"
    email, _ = _new_student(browser, service, name)

    # The student sends evidence through the submit page.
    sign_in(page, email, STUDENT_PASSWORD)
    page.goto("/me/submit")
    page.get_by_label("Badge").select_option(label=BADGE)
    page.get_by_label("Level you claim").select_option("3")
    page.get_by_label("What you did (narrative)").fill(
        "I built **ratio tables** for the recipe scaling task."
    )
    page.get_by_label("Files").set_input_files(
        {"name": "briefing.png", "mimeType": "image/png", "buffer": _png()}
    )
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_role("status")).to_have_text("Your evidence was sent for review.")

    # The teacher finds it in the queue and approves it.
    teacher = new_page(browser, service)
    try:
        sign_in(teacher, "teacher@lincoln.demo")
        teacher.goto("/orgs/lincoln-hs/queue")
        teacher.get_by_label("Student (name or e-mail)").fill(name)
        teacher.get_by_role("button", name="Filter").click()
        teacher.get_by_role("link", name=f"Open {name}: {BADGE}").click()
        assert teacher.locator(".narrative strong").inner_text() == "ratio tables"
        teacher.get_by_label("Level").select_option("3")
        teacher.get_by_label("Comment (optional)").fill("Clear, calm and complete.")
        teacher.get_by_role("button", name="Approve", exact=True).click()
        alerts = teacher.get_by_role("alert")
        assert alerts.count() == 0, alerts.all_inner_texts()
        expect(teacher.locator("#submission-state")).to_have_text("Approved")
    finally:
        teacher.context.close()

    # The student sees the badge and the teacher's comment, and shares it.
    page.goto("/me/badges")
    row = page.get_by_role("row", name=BADGE)
    assert row.get_by_text("Active").is_visible()
    row.get_by_role("link", name=BADGE).click()
    page.get_by_label("Who is it for?").fill("Boise State admissions")
    page.get_by_label("Name shown on the page").fill("Flo F.")
    page.get_by_label("Until I withdraw it").check()
    page.get_by_role("button", name="Create the link").click()
    url = page.get_by_label("Your share link").input_value()

    # Anyone with the link sees the badge verified live, under the name the student chose.
    visitor = new_page(browser, service)
    try:
        visitor.goto(url)
        assert visitor.locator("#verdict").inner_text() == "Verified", visitor.locator(
            ".checks"
        ).text_content()
        assert visitor.get_by_text("Held by Flo F.").is_visible()
        assert visitor.get_by_text(name).count() == 0
        check_accessibility(visitor)

        # The student withdraws the link; the visitor's next look finds it gone.
        page.goto("/me/badges")
        page.get_by_role("row", name=BADGE).get_by_role("link").click()
        links = page.get_by_role("table", name="Your share links for this badge")
        links.get_by_role("button", name="Withdraw the link for Boise State admissions").first.click()
        expect(page.get_by_role("status").first).to_contain_text("was withdrawn")
        response = visitor.reload()
        assert response is not None
        assert response.status == 410
        assert visitor.get_by_text("has withdrawn the link").is_visible()
    finally:
        visitor.context.close()
