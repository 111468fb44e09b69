"""Browser tests: Playwright drives Debian's headless Chromium against the real service (``badges demo``
in a subprocess, its own SQLite folder, on a free loopback port).

Helpers: :func:`sign_in`, :func:`check_accessibility` (axe-core from npm: WCAG 2.1 A/AA, no violation
allowed) and :func:`screenshots` (phone and desktop widths into ``artifacts/screens/``, not committed).
Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it); without it these tests
skip with a reason here and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import require_in_ci

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page, ViewportSize

ROOT = Path(__file__).resolve().parent.parent.parent
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = ROOT / "artifacts" / "screens"
DEMO_PASSWORD = "demo-password-2026"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Service:
    base_url: str
    data_dir: Path


@pytest.fixture(name="service", scope="session")
def fx_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``badges demo`` running in a subprocess, with demo people (password ``demo-password-2026``)."""
    data_dir = tmp_path_factory.mktemp("browser-demo")
    port = _free_port()
    env = {**os.environ, "ISSUER_LOGIN_RATE_PER_MINUTE": "1000"}
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "issuer.cli",
            "demo",
            # A host name, not 127.0.0.1: the organisations' did:web DIDs derive from it, and did:web
            # refuses IP addresses, so badges issued under an IP base URL would never verify.
            "--host",
            "localhost",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir / "demo"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://localhost:{port}"  # the demo's own base URL (a did:web needs a host name)
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the demo service did not start:\n" + (data_dir / "server.log").read_text())
        time.sleep(0.3)
    try:
        yield Service(base_url, data_dir / "demo")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# Module scope: Playwright's sync API runs an event loop in this thread while the browser is open,
# and the async tests of other modules (run by the same worker) need the thread without one.
@pytest.fixture(name="browser", scope="module")
def fx_browser() -> Iterator[Browser]:
    chromium = _chromium()
    require_in_ci(chromium is not None, "Chromium is not installed (apt-get install -y chromium)")
    require_in_ci(AXE.is_file(), "axe-core is not installed (make interop-deps: npm ci in tests/browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(name="page")
def fx_page(browser: Browser, service: Service) -> Iterator[Page]:
    """A fresh browser context (no cookies) at desktop width, its base URL the service."""
    context = browser.new_context(base_url=service.base_url, viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def new_page(browser: Browser, service: Service, **options: Any) -> Page:
    """Another visitor (own cookies), for tests with two people at once; closed with its context."""
    context = browser.new_context(base_url=service.base_url, viewport=DESKTOP, locale="en-US", **options)
    return context.new_page()


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form, with the keyboard only (as a screen-reader or switch user would)."""
    page.goto("/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    # Wait for the form's answer: Playwright's actions no longer wait for the navigation they start, and
    # wait_for_load_state() alone returns at once on the sign-in page that is still loaded.
    with page.expect_navigation():
        page.get_by_label("Password").press("Enter")
    assert "/sign-in" not in page.url, f"sign-in failed for {email}: {page.content()[:2000]}"


def check_accessibility(page: Page) -> None:
    """axe-core's WCAG 2.1 A and AA rules on the page as it is now: no violation.

    The script is evaluated through the DevTools protocol, which the page's CSP does not govern (the page
    itself could not load it: script-src 'self').
    """
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    violations = [
        {
            "id": violation["id"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
    ]
    assert violations == [], f"{page.url}: " + json.dumps(violations, indent=1)


def screenshots(page: Page, name: str) -> None:
    """Full-page screenshots at phone and desktop widths: ``artifacts/screens/<name>-{phone,desktop}.png``."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
