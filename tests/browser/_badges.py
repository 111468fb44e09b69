"""Demo badges for the browser tests, downloaded as their learner would (the record API, her session)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.conftest import DEMO_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.browser.conftest import Service


def download_badges(
    browser: Browser, service: Service, email: str, file_format: str = "json"
) -> dict[str, bytes]:
    """Every badge of that learner in one format, by badge slug (her own session, through the API)."""
    context = browser.new_context(base_url=service.base_url)
    try:
        signed_in = context.request.post("/api/session", data={"email": email, "password": DEMO_PASSWORD})
        assert signed_in.ok, signed_in.text()
        listed = context.request.get("/api/me/credentials")
        assert listed.ok, listed.text()
        badges = {}
        for entry in listed.json():
            if file_format in entry["downloads"] and entry["state"] == "active":
                answer = context.request.get(entry["downloads"][file_format])
                assert answer.ok, answer.text()
                badges[entry["badge"]] = answer.body()
        return badges
    finally:
        context.close()
