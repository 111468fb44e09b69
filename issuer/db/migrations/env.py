"""alembic environment: migrations run on the connection :func:`issuer.db.migrate.upgrade` hands over."""

from __future__ import annotations

from alembic import context

from issuer.db.models import Organisation  # every table: models.py defines them all on one metadata

# The metadata autogenerate compares against (`alembic revision --autogenerate`).
target_metadata = Organisation.metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations through issuer.db.migrate.upgrade(database_url)")
context.configure(connection=connection, target_metadata=target_metadata)
with context.begin_transaction():
    context.run_migrations()
