"""The public verifier page in a real browser: an anonymous visitor checks a demo badge, then asks what
Riverbend's credit rules make of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser._badges import download_badges
from tests.browser.conftest import check_accessibility, screenshots

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Page

    from tests.browser.conftest import Service


def test_visitor_pastes_a_badge_sees_verified_then_the_credit_decision(
    page: Page, browser: Browser, service: Service
) -> None:
    badge = download_badges(browser, service, "ana@students.lincoln.demo")["weld-smaw-3f"]
    page.goto("/")
    page.get_by_role("link", name="Verify a badge").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Verify a badge"
    check_accessibility(page)
    screenshots(page, "verify")
    page.get_by_label("Paste the badge (JSON or the JWT text)").fill(badge.decode("utf-8"))
    page.get_by_role("button", name="Verify", exact=True).click()
    assert page.locator("#verdict").inner_text() == "Verified"
    assert page.get_by_text("The issuer's digital signature is intact").is_visible()
    summary = page.locator("#summary").inner_text()
    assert "Lincoln High School" in summary
    check_accessibility(page)
    screenshots(page, "verify-verified")
    page.get_by_label("Institution").select_option(label="Riverbend Community College")
    page.get_by_role("button", name="Show the credit decision").click()
    assert page.locator("#verdict").inner_text() == "Verified"
    decision = page.get_by_role("heading", name="Transfer credit at Riverbend Community College")
    assert decision.is_visible()
    assert page.get_by_role("heading", name="Rule by rule").is_visible()
    # The demo's copy of Riverbend's rules trusts the demo's school: the welding badge earns WLD 111.
    decision_text = page.locator(".decision").inner_text()
    assert "WLD 111 Shielded Metal Arc Welding I" in decision_text
    assert "Total credits: 2" in decision_text
    check_accessibility(page)
    screenshots(page, "verify-credit")


def test_visitor_uploads_a_baked_image_and_garbage_gets_a_message(
    page: Page, browser: Browser, service: Service, tmp_path: Path
) -> None:
    png = download_badges(browser, service, "ana@students.lincoln.demo", "png")["math-7rp-proportional"]
    baked = tmp_path / "badge.png"
    baked.write_bytes(png)
    page.goto("/verify")
    page.get_by_label("Or choose a file").set_input_files(str(baked))
    page.get_by_role("button", name="Verify", exact=True).click()
    assert page.locator("#verdict").inner_text() == "Verified"
    page.get_by_label("Paste the badge (JSON or the JWT text)").fill("definitely not a badge")
    page.get_by_role("button", name="Verify", exact=True).click()
    alert = page.get_by_role("alert")
    assert "This could not be read as a badge" in alert.inner_text()
    assert (
        page.get_by_label("Paste the badge (JSON or the JWT text)").input_value() == "definitely not a badge"
    )
    check_accessibility(page)
    screenshots(page, "verify-error")
