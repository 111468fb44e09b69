"""Signing in and out, the start page, the account page, languages: in a real browser."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.conftest import check_accessibility, screenshots, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_sign_in_page_is_accessible_and_refuses_a_wrong_password_with_one_message(page: Page) -> None:
    response = page.goto("/sign-in")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["referrer-policy"] == "same-origin"
    check_accessibility(page)
    screenshots(page, "sign-in")
    page.get_by_label("E-mail").fill("ana@students.lincoln.demo")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong e-mail or password."
    assert page.get_by_label("E-mail").input_value() == "ana@students.lincoln.demo"
    check_accessibility(page)


def test_teacher_signs_in_with_the_keyboard_and_sees_their_school(page: Page) -> None:
    sign_in(page, "teacher@lincoln.demo")
    assert page.get_by_role("heading", level=1).inner_text() == "Mastery Badges"
    assert page.get_by_text("Signed in as Tom Teacher.").is_visible()
    main = page.get_by_role("main")
    assert main.get_by_role("link", name="Lincoln High School: review queue").is_visible()
    assert main.get_by_role("link", name="Riverbend Community College: transfer credit").count() == 0
    check_accessibility(page)
    screenshots(page, "home-teacher")
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("link", name="Sign in").first.is_visible()
    # The session is gone: a page that needs it sends the visitor to the sign-in page, and back after.
    page.goto("/account")
    assert "/sign-in?next=/account" in page.url


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(page: Page) -> None:
    page.goto("/sign-in?next=//evil.example/steal")
    page.get_by_label("E-mail").fill("ana@students.lincoln.demo")
    page.get_by_label("Password").fill("demo-password-2026")
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/")
    assert "evil" not in page.url
    page.goto("/account")
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"


def test_password_change_needs_the_current_password(page: Page, browser, service) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "ben@students.lincoln.demo")
    page.goto("/account")
    check_accessibility(page)
    page.get_by_label("Current password").fill("wrong password here")
    page.get_by_label("New password").fill("a-brand-new-password")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("alert").inner_text() == "The current password is not right."
    page.get_by_label("Current password").fill("demo-password-2026")
    page.get_by_label("New password").fill("a-brand-new-password")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_role("status").inner_text() == "Your password was changed."
    from tests.browser.conftest import new_page

    other = new_page(browser, service)
    sign_in(other, "ben@students.lincoln.demo", "a-brand-new-password")
    # Back to the demo password: the demo service is shared by the browser tests, which sign Ben in too.
    other.goto("/account")
    other.get_by_label("Current password").fill("a-brand-new-password")
    other.get_by_label("New password").fill("demo-password-2026")
    other.get_by_role("button", name="Change password").click()
    assert other.get_by_role("status").inner_text() == "Your password was changed."
    other.context.close()


def test_pages_speak_spanish_when_asked(page: Page) -> None:
    page.goto("/sign-in?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", level=1).inner_text() == "Iniciar sesión"
    page.goto("/")  # the choice is kept (cookie)
    assert page.locator("html").get_attribute("lang") == "es"
    check_accessibility(page)
    screenshots(page, "home-es")


def test_the_browser_language_is_used_when_nothing_was_chosen(browser, service) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=service.base_url, locale="es-MX")
    page = context.new_page()
    page.goto("/sign-in")
    assert page.get_by_role("heading", level=1).inner_text() == "Iniciar sesión"
    context.close()


def test_error_pages_are_accessible_and_keep_the_security_headers(page: Page) -> None:
    """What a mistyped address, a link that is gone, and a page one may not see look like."""
    for path, status, shot in (
        ("/no-such-page", 404, "error-not-found"),
        ("/s/no-such-share-link", 404, "error-share-link-unknown"),
        ("/invitations/no-such-invitation", 410, "error-invitation-gone"),
        ("/orgs/lincoln-hs/admin", 401, "error-sign-in-needed"),
    ):
        response = page.goto(path)
        assert response is not None
        assert response.status == status or (status == 401 and "/sign-in" in page.url), (
            path,
            response.status,
        )
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        assert page.get_by_role("heading", level=1).inner_text()
        check_accessibility(page)
        screenshots(page, shot)
    sign_in(page, "ana@students.lincoln.demo")
    response = page.goto("/orgs/lincoln-hs/admin")  # a student at the admin page
    assert response is not None
    assert response.status == 403
    assert "script-src 'self'" in response.headers["content-security-policy"]
    check_accessibility(page)
    screenshots(page, "error-forbidden")
