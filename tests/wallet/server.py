"""The app factory ``uvicorn --factory tests.wallet.server:app`` runs in the wallet client tests: the
service exactly as ``badges serve`` builds it, with its settings from the ``ISSUER_*`` environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from issuer.settings import Settings
from issuer.web import create_app

if TYPE_CHECKING:
    from litestar import Litestar


def app() -> Litestar:
    return create_app(Settings())
