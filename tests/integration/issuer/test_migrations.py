"""The alembic migrations build exactly the schema the SQLModel tables describe, and the audit log
refuses changes, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import DBAPIError

from issuer.db import create_engine, upgrade
from issuer.db.models import AuditEvent
from tests.conftest import NOW

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

pytestmark = pytest.mark.anyio


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, AuditEvent.metadata))


async def test_migrations_match_the_models(empty_database_url: str) -> None:
    await upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_migrations_make_the_audit_log_append_only(empty_database_url: str) -> None:
    await upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    table = AuditEvent.metadata.tables["audit_event"]
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(table).values(
                    organisation_id=uuid.uuid4(),
                    actor_role="system",
                    action="test.event",
                    subject_type="test",
                    detail={},
                    at=NOW,
                )
            )
        for statement in (sa.update(table).values(action="forged"), sa.delete(table)):
            with pytest.raises(DBAPIError, match="append-only"):
                async with engine.begin() as connection:
                    await connection.execute(statement)
        async with engine.connect() as connection:
            actions = (await connection.execute(sa.select(table.c.action))).scalars().all()
        assert actions == ["test.event"]
    finally:
        await engine.dispose()
