"""The async engine and session factory: SQLite through aiosqlite, PostgreSQL through asyncpg."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

__all__ = ["async_url", "create_engine", "session_factory"]

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def async_url(database_url: str) -> str:
    """The URL with its async driver: ``postgresql://`` -> ``postgresql+asyncpg://``, and so on.

    A URL that already names a driver is kept as it is.
    """
    scheme, separator, rest = database_url.partition("://")
    return f"{_DRIVERS.get(scheme, scheme)}{separator}{rest}"


def create_engine(database_url: str) -> AsyncEngine:
    """An async engine for ``database_url`` (see :func:`async_url`)."""
    url = async_url(database_url)
    # pool_pre_ping: a PostgreSQL restart must not leave dead connections in the pool.
    engine = create_async_engine(url, pool_pre_ping=url.startswith("postgresql"))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # SQLite leaves foreign keys (and so ON DELETE) off unless asked, per connection; WAL lets pages be
    # read while an award job writes; busy_timeout makes a second writer wait instead of failing at once.
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (handlers read them afterwards)."""
    return async_sessionmaker(engine, expire_on_commit=False)
