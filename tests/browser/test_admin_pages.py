"""The organisation admin pages in a real browser: invite a supervisor, rotate a key, read the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.conftest import check_accessibility, screenshots, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_employer_admin_rotates_a_key_with_confirmation_and_reads_the_audit_log(page: Page) -> None:
    sign_in(page, "admin@acme-welding.demo")
    page.get_by_role("link", name="Acme Welding Co. (internships): administration").click()
    assert "members" in page.get_by_role("heading", level=1).inner_text()
    check_accessibility(page)
    screenshots(page, "admin-members")

    page.get_by_role("link", name="Keys").click()
    assert "signing keys" in page.get_by_role("heading", level=1).inner_text()
    check_accessibility(page)
    screenshots(page, "admin-keys")
    before = page.locator("tbody tr").count()
    page.get_by_label("Key type").select_option("EdDSA")
    page.get_by_role("button", name="Rotate…").click()
    assert page.get_by_role("heading", name="Rotate the EdDSA key?").is_visible()
    check_accessibility(page)
    screenshots(page, "admin-keys-confirm")
    page.get_by_role("button", name="Yes, rotate the EdDSA key").click()
    assert "A new EdDSA key signs from now on" in page.get_by_role("status").inner_text()
    assert page.locator("tbody tr").count() == before + 1
    assert page.get_by_role("cell", name="retired").count() >= 1

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").fill("key.rotate")
    page.get_by_role("button", name="Filter").click()
    events = page.locator("#events").inner_text()
    assert "key.rotate" in events
    assert "Acme Admin" in events
    check_accessibility(page)
    screenshots(page, "admin-audit")


def test_school_admin_invites_a_supervisor_and_sees_the_link_once(page: Page) -> None:
    sign_in(page, "admin@lincoln.demo")
    page.goto("/orgs/lincoln-hs/admin/invitations")
    assert "invitations" in page.get_by_role("heading", level=1).inner_text()
    check_accessibility(page)
    screenshots(page, "admin-invitations")
    page.get_by_label("E-mail").fill("shop.mentor@example.org")
    page.get_by_label("Name", exact=True).fill("Sam Shop")
    page.get_by_role("group", name="Badges they may attest").get_by_role("checkbox").first.check()
    page.get_by_role("group", name="For these students").get_by_label("Ana Student").check()
    page.get_by_label("The link works for (days)").fill("7")
    page.get_by_role("button", name="Create the invitation").click()
    link = page.get_by_label("Invitation link").input_value()
    assert "/invitations/" in link
    check_accessibility(page)
    screenshots(page, "admin-invitation-created")
    page.goto("/orgs/lincoln-hs/admin/invitations")
    assert link not in page.content()
    row = page.get_by_role("row").filter(has_text="Sam Shop")
    assert "open until" in row.inner_text()
    page.get_by_role("button", name="Withdraw the invitation of Sam Shop").click()
    assert page.get_by_role("status").inner_text() == "The invitation was withdrawn, with the grants it gave."
    assert "withdrawn" in page.get_by_role("row").filter(has_text="Sam Shop").inner_text()
    page.goto("/orgs/lincoln-hs/admin/status-lists")
    check_accessibility(page)
    screenshots(page, "admin-status-lists")
    page.goto("/orgs/lincoln-hs/admin/badges")
    check_accessibility(page)
    screenshots(page, "admin-badges")
