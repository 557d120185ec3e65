"""Alembic environment: migrations run on a connection handed over by ``db.migrate``."""

from __future__ import annotations

from alembic import context

from simulator.store.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic command line
    raise RuntimeError("opsim runs its migrations itself (simulator.store.db.migrate)")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
