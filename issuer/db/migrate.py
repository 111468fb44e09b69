"""Run the alembic migrations programmatically (the app at start-up, ``badges org create``, the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

from issuer.db.engine import create_engine

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["MIGRATIONS", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _upgrade_on(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # env.py runs on this connection rather than opening its own (see migrations/env.py).
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade(database_url: str) -> None:
    """Bring the database at ``database_url`` to the latest revision (a no-op when it is there).

    A SQLite database file's folder is created first.
    """
    engine = create_engine(database_url)
    if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_on)
    finally:
        await engine.dispose()
