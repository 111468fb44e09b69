"""The registrar's credit page in a real browser: two of a student's badges in, a decision out, as CSV."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from tests.browser._badges import download_badges
from tests.browser.conftest import check_accessibility, screenshots, sign_in

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Page

    from tests.browser.conftest import Service


def test_registrar_uploads_two_badges_gets_the_decision_and_the_csv(
    page: Page, browser: Browser, service: Service, tmp_path: Path
) -> None:
    badges = download_badges(browser, service, "ana@students.lincoln.demo")
    files = []
    for slug in ("weld-smaw-3f", "math-7rp-proportional"):
        path = tmp_path / f"{slug}.json"
        path.write_bytes(badges[slug])
        files.append(str(path))
    sign_in(page, "registrar@riverbend.demo")
    page.get_by_role("link", name="Riverbend Community College: transfer credit").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Transfer credit: Riverbend Community College"
    check_accessibility(page)
    screenshots(page, "registrar")
    page.get_by_label("Student (for your records, optional)").fill("Ana Student")
    page.get_by_label("Badge files").set_input_files(files)
    page.get_by_role("button", name="Run the rules").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Credit decision: Ana Student"
    table = page.locator("#badges").inner_text()
    assert "weld-smaw-3f.json" in table
    assert "math-7rp-proportional.json" in table
    assert table.count("Verified") == 2
    assert page.get_by_role("heading", name="Transfer credit at Riverbend Community College").is_visible()
    # The demo's rules trust its own school: the welding badge earns WLD 111, the math badge MATH 025.
    decision = page.locator(".decision").inner_text()
    assert "WLD 111 Shielded Metal Arc Welding I" in decision
    assert "MATH 025 Pre-Algebra" in decision
    assert "Total credits: 3" in decision
    check_accessibility(page)
    screenshots(page, "registrar-decision")
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download as CSV").click()
    download = waiting.value
    assert download.suggested_filename.startswith("credit-decision-riverbend-cc-")
    text = download.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["student"] for row in rows} == {"Ana Student"}
    assert {row["section"] for row in rows} >= {"rule", "badge", "total"}
    assert sum(1 for row in rows if row["section"] == "badge") == 2
    assert sorted(row["rule"] for row in rows if row["section"] == "grant") == ["math-025", "wld-111"]
