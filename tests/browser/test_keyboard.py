"""Keyboard only: a person who cannot use a mouse signs in, finds a badge and shares it with Tab, arrow
keys and Enter, always seeing where the focus is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

MAX_TABS = 120


def _tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element matching ``selector`` has the focus, checking each stop is visible."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        outline = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return e === document.body ? 'body' : s.outlineStyle + ' ' + s.outlineWidth; }"
        )
        assert outline == "body" or not outline.startswith("none"), f"focus not visible: {outline}"
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} never got the focus by Tab")


def test_sign_in_open_a_badge_and_share_it_with_the_keyboard_only(page: Page) -> None:
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    _tab_to(page, "#email")
    page.keyboard.type("ana@students.lincoln.demo")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-password-2026")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Signed in as Ana Student.")).to_be_visible()

    _tab_to(page, 'main a[href="/me/badges"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My badges")
    _tab_to(page, 'main a[href^="/me/badges/"]')
    page.keyboard.press("Enter")
    expect(page.locator("#wallet")).to_be_visible()

    _tab_to(page, "#audience")
    page.keyboard.type("Riverbend admissions")
    _tab_to(page, "#until-date")
    page.keyboard.press("ArrowDown")  # radio buttons move with the arrow keys
    assert page.evaluate("document.activeElement.id") == "until-withdrawn"
    _tab_to(page, "#share-form button[type=submit], form[action$='/share'] button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Share link created")
    assert "/s/mbs_" in page.get_by_label("Your share link").input_value()
