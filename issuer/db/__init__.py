"""Persistence: SQLModel tables, the async engine, alembic migrations (the ``issuer`` extra)."""

from __future__ import annotations

from issuer.db.engine import async_url, create_engine, session_factory
from issuer.db.migrate import upgrade
from issuer.db.models import Organisation
from issuer.db.organisations import create_organisation, get_organisation, list_organisations

__all__ = [
    "Organisation",
    "async_url",
    "create_engine",
    "create_organisation",
    "get_organisation",
    "list_organisations",
    "session_factory",
    "upgrade",
]
