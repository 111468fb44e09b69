"""Wallet client tests: real wallet-side libraries (npm) against the service running under uvicorn.
Every test here carries the ``interop`` marker."""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of this folder ``interop`` (``-m "not interop"`` deselects them)."""
    for item in items:
        if _HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.interop)
