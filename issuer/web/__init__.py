"""The litestar service (the ``issuer`` extra). Nothing else imports this package."""

from __future__ import annotations

from issuer.web.app import create_app

__all__ = ["create_app"]
