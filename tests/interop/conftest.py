"""Interop tests: every test in this folder carries the ``interop`` marker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.js import require_js

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of this folder ``interop`` (``-m "not interop"`` deselects them)."""
    for item in items:
        if _HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.interop)


@pytest.fixture(name="js_stack")
def fx_js_stack() -> None:
    """Skip (or fail under CI=true) when node or the npm packages are missing."""
    require_js()
