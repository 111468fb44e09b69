"""The learner's page for badges from elsewhere (/me/imports) in a real browser."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.browser.conftest import check_accessibility, screenshots, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_learner_adds_a_badge_from_elsewhere_and_sees_why_a_changed_one_is_refused(page: Page) -> None:
    """The import page in a real browser: a badge file whose content was changed is refused with the
    failed check named, and one this service issued is refused as already in the record."""
    sign_in(page, "ana@students.lincoln.demo")
    page.goto("/me/badges")
    first = page.get_by_role("main").get_by_role("table").get_by_role("link").first
    first.click()
    credential_id = page.url.rsplit("/", 1)[-1]
    download = page.request.get(f"/me/badges/{credential_id}/files/json")
    assert download.ok
    badge = json.loads(download.body())
    page.goto("/me/imports")
    assert page.get_by_role("heading", level=1).inner_text() == "Badges from elsewhere"
    check_accessibility(page)

    changed = {**badge, "name": "A badge I wish I had"}
    page.get_by_label("Badge file").set_input_files(
        {"name": "changed.json", "mimeType": "application/json", "buffer": json.dumps(changed).encode()}
    )
    page.get_by_role("button", name="Add to my record").click()
    alert = page.get_by_role("alert")
    assert "This badge was not added" in alert.inner_text()
    assert "INVALID_SIGNATURE" in alert.inner_text()
    check_accessibility(page)
    screenshots(page, "learner-imports-refused")

    page.get_by_label("Badge file").set_input_files(
        {"name": "mine.json", "mimeType": "application/json", "buffer": download.body()}
    )
    page.get_by_role("button", name="Add to my record").click()
    assert "issued by this service" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("table").count() == 0  # nothing was added
