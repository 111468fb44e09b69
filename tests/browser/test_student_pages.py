"""The learner's pages in a real browser: submitting evidence with a file, my badges and downloads, a share
link opened by an anonymous visitor (verified live), withdrawn, and gone for the visitor."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import zxingcpp
from PIL import Image

from tests.browser.conftest import DESKTOP, PHONE, check_accessibility, new_page, screenshots, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.browser.conftest import Service


def _png() -> bytes:
    """A tiny valid PNG (one white pixel): evidence the store accepts by its content."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def _shots(page: Page, name: str) -> None:
    """Screenshots, and nothing wider than a phone's screen (no sideways scrolling at 390 px)."""
    screenshots(page, name)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.set_viewport_size(DESKTOP)
    assert overflow <= 0, f"{name}: {overflow}px wider than a phone"


def test_student_submits_evidence_with_a_file_and_follows_it(page: Page) -> None:
    sign_in(page, "ana@students.lincoln.demo")
    page.goto("/me/submit")
    assert page.get_by_role("heading", level=1).inner_text() == "Submit evidence"
    assert page.get_by_text("10 MiB each").is_visible()
    check_accessibility(page)
    _shots(page, "learner-submit")
    page.get_by_label("Badge").select_option(label="Professional Communication in the Workplace")
    page.get_by_label("Level you claim").select_option("2")
    page.get_by_label("What you did (narrative)").fill("I led the **weekly stand-up** at my placement.")
    page.get_by_label("Links to your work").fill("https://example.org/ana/standup-notes")
    page.get_by_label("Files").set_input_files(
        {"name": "standup-photo.png", "mimeType": "image/png", "buffer": _png()}
    )
    page.get_by_role("button", name="Send for review").click()
    assert page.get_by_role("status").inner_text() == "Your evidence was sent for review."
    assert page.get_by_role("heading", level=1).inner_text() == "Professional Communication in the Workplace"
    main = page.get_by_role("main")
    assert main.get_by_text("Waiting for review").first.is_visible()
    assert main.get_by_text("standup-photo.png").is_visible()
    assert main.locator("strong", has_text="weekly stand-up").is_visible()  # the narrative's Markdown
    check_accessibility(page)
    _shots(page, "learner-submission")
    submission_url = page.url
    page.goto("/me/submissions")
    check_accessibility(page)
    _shots(page, "learner-submissions")
    page.get_by_role("link", name="Professional Communication in the Workplace").first.click()
    assert page.url == submission_url


def test_student_shares_a_badge_a_visitor_sees_it_verified_then_withdrawn(
    page: Page, browser: Browser, service: Service
) -> None:
    sign_in(page, "ana@students.lincoln.demo")
    page.goto("/me/badges")
    assert page.get_by_role("heading", level=1).inner_text() == "My badges"
    row = page.get_by_role("row", name="Proportional Relationships")
    assert row.get_by_text("Active").is_visible()
    check_accessibility(page)
    _shots(page, "learner-badges")
    row.get_by_role("link", name="Proportional Relationships").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Proportional Relationships"
    assert page.locator("#wallet").get_by_role("heading", name="Add to a wallet").is_visible()
    check_accessibility(page)
    _shots(page, "learner-badge")

    # Downloads: the signed JSON-LD as issued, and the baked PNG.
    with page.expect_download() as json_download:
        page.get_by_role("link", name="Credential (JSON-LD, .json)").click()
    credential = json.loads(Path(json_download.value.path()).read_bytes())
    assert "OpenBadgeCredential" in credential["type"]
    with page.expect_download() as png_download:
        page.get_by_role("link", name="Badge image with the credential inside (PNG)").click()
    assert Path(png_download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # A share link for one audience, until she withdraws it, with the evidence shown.
    page.get_by_label("Who is it for?").fill("Boise State admissions")
    page.get_by_label("Name shown on the page").fill("Ana S.")
    page.get_by_label("Until I withdraw it").check()
    page.get_by_label("Show my evidence").check()
    page.get_by_role("button", name="Create the link").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Share link created"
    url = page.get_by_label("Your share link").input_value()
    assert "/s/mbs_" in url
    linkedin = page.get_by_role("link", name="Add to LinkedIn profile").get_attribute("href") or ""
    assert linkedin.startswith("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME")
    check_accessibility(page)
    _shots(page, "learner-share-created")

    visitor = new_page(browser, service)
    try:
        visitor.goto(url)
        assert visitor.get_by_role("heading", level=1).inner_text() == "Proportional Relationships"
        assert visitor.get_by_text("Held by Ana S.").is_visible()
        assert visitor.locator("#verdict").inner_text() == "Verified", visitor.locator(
            ".checks"
        ).text_content()  # the checks, if not
        assert visitor.get_by_text("The issuer's digital signature is intact").is_visible()
        assert visitor.get_by_text("The issuer has not revoked or suspended the badge.").is_visible()
        assert visitor.get_by_text("Ana Student").count() == 0  # only the name she chose
        assert visitor.locator('meta[property="og:url"]').get_attribute("content") == url
        check_accessibility(visitor)
        _shots(visitor, "public-badge")
        # The inline QR code, as the browser draws it, leads back to this page.
        shot = visitor.locator("svg.qr").screenshot()
        [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        assert decoded.text == url

        page.goto("/me/badges")
        page.get_by_role("row", name="Proportional Relationships").get_by_role("link").click()
        links = page.get_by_role("table", name="Your share links for this badge")
        assert links.get_by_role("row", name="Boise State admissions").get_by_text("1 time").is_visible()
        links.get_by_role("button", name="Withdraw the link for Boise State admissions").first.click()
        assert "was withdrawn" in page.get_by_role("status").first.inner_text()

        response = visitor.reload()
        assert response is not None
        assert response.status == 410
        assert visitor.get_by_role("heading", level=1).inner_text() == "This link is no longer valid"
        assert visitor.get_by_text("has withdrawn the link").is_visible()
        assert visitor.get_by_text("Ana").count() == 0
        check_accessibility(visitor)
        _shots(visitor, "public-badge-gone")
    finally:
        visitor.context.close()


def test_student_makes_a_wallet_qr_code_that_scans_to_an_offer(page: Page) -> None:
    sign_in(page, "ana@students.lincoln.demo")
    page.goto("/me/badges")
    page.get_by_role("link", name="Proportional Relationships").first.click()
    wallet = page.locator("#wallet")
    wallet.get_by_label("Also ask for a 6-digit PIN").check()
    wallet.get_by_role("button", name="Make a wallet QR code").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Add to a wallet"
    assert len(page.locator("#wallet-pin").inner_text()) == 6
    check_accessibility(page)
    _shots(page, "learner-wallet-offer")
    # The QR code a phone scans holds the OpenID4VCI offer the link opens.
    qr = page.get_by_role("img", name="QR code for a wallet app (OpenID4VCI)")
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    link = page.get_by_role("link", name="Open in a wallet app on this device").get_attribute("href")
    assert decoded.text == link
    assert decoded.text.startswith("openid-credential-offer://?credential_offer_uri=")
