"""Alembic environment: runs migrations on the engine handed over by reelsmith.db.migrate.

Several processes may start at once on a fresh database (two CLI runs, a server and a worker), so
the whole upgrade runs under one exclusive lock: BEGIN IMMEDIATE on SQLite, an advisory
transaction lock on PostgreSQL. The second process then finds the schema already current.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, text

from reelsmith.db.models import Base

MIGRATION_LOCK_ID = 0x5EE15A17

config = context.config
engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url") or "")


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Switch SQLite's foreign key enforcement, which only takes effect outside a transaction."""
    # A batch migration rebuilds a table by dropping the old one; with enforcement on, SQLite first
    # applies every ON DELETE CASCADE and empties the tables that refer to it.
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


with engine.connect() as connection:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        _sqlite_foreign_keys(connection, on=False)
        connection = connection.execution_options(sqlite_immediate=True)
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=dialect == "sqlite",
        # SQLite's DDL is transactional, but Alembic assumes otherwise and commits after each migration:
        # a second process would get the lock in between, read an old revision and apply a migration
        # the first one then applies again. One transaction holds the lock for the whole upgrade.
        transactional_ddl=True,
    )
    try:
        with context.begin_transaction():
            if dialect == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
            context.run_migrations()
            if dialect == "sqlite":
                broken = connection.execute(text("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migration left rows with dangling references: {broken[:5]}")
        connection.commit()
    finally:
        if dialect == "sqlite":
            _sqlite_foreign_keys(connection, on=True)
