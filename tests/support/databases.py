"""Migrated template databases, built once per test session and copied for each test.

Running every Alembic migration for every test makes a suite that slows with each test and each
migration added. Instead the session migrates one template from the code's migrations as they are
now (never a cached copy: a migration added since the last run is in it), and each test gets a copy:

- SQLite: the template file, checkpointed and closed so that it holds everything by itself, is copied
  into the test's data dir.
- PostgreSQL: each test gets a schema of its own (the app reaches it through `search_path`). The
  session migrates a template schema with Alembic once and records the SQL it sent; each test's
  schema replays that SQL in one transaction. Measured on the 2-core CI box, per test: Alembic from
  empty ~110 ms, the replay 60 to 80 ms, and `CREATE DATABASE … TEMPLATE` ~300 ms (it writes the whole
  template, system catalogs included, through the WAL), so schemas with a replay it is.

The copies are at head, so the upgrade that `build_runtime` runs on start finds nothing to do.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url

from reelsmith.db.engine import Database
from reelsmith.db.migrate import upgrade


def migrate(url: str) -> None:
    """Bring the database at `url` to head with the packaged migrations, and close its connections."""
    database = Database(url)
    try:
        upgrade(database)
    finally:
        database.dispose()


class SqliteTemplate:
    """A migrated SQLite file that tests get copies of."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "template.db"
        migrate(f"sqlite:///{self.path}")
        # The engine is closed, so the last connection has already folded the WAL into the file;
        # checkpoint anyway and make sure, since a copy of the main file alone must be complete.
        with closing(sqlite3.connect(self.path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        leftover = self.path.with_name(self.path.name + "-wal")
        if leftover.exists() and leftover.stat().st_size:
            raise RuntimeError(f"{leftover} still holds pages after a checkpoint")
        self.path.chmod(0o444)  # a test that writes to the template instead of its copy fails loudly

    def copy_to(self, dest: Path) -> str:
        """Copy the template to `dest` (folders created) and return its SQLAlchemy URL."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, dest)  # contents only: the copy is writable
        return f"sqlite:///{dest}"


# The statements a migration sent, each with the parameters it was sent with.
Script = tuple[tuple[str, Any], ...]


class PostgresSchemas:
    """Schemas on the test PostgreSQL server, one per test, dropped afterwards.

    Names carry the pid, so that a schema left behind by a killed run says whose it was.
    """

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.prefix = f"reelsmith_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._engine: Engine = create_engine(server_url)

    def url_of(self, schema: str) -> str:
        """A URL whose connections see `schema` (and only it) through their search_path.

        Its connections carry the schema's name as their application name, so that `drop` can find
        the ones a test left open (a stream's thread, a worker process).
        """
        query = {"options": f"-csearch_path={schema}", "application_name": schema}
        return make_url(self.server_url).update_query_dict(query).render_as_string(hide_password=False)

    def create(self, script: Script = ()) -> str:
        """Create a schema and run `script` in it, in one transaction; returns its name."""
        name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
        with self._engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
            conn.exec_driver_sql(f'SET LOCAL search_path TO "{name}"')
            for statement, parameters in script:
                conn.exec_driver_sql(statement, parameters)
        return name

    def drop(self, name: str) -> None:
        """End the connections still using schema `name`, then drop it and everything in it."""
        # A connection left reading the schema's tables deadlocks with the DROP, which takes their
        # locks one table at a time.
        with self._engine.begin() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %(name)s AND pid <> pg_backend_pid()",
                {"name": name},
            )
            conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')

    @contextmanager
    def schema(self, script: Script = ()) -> Iterator[str]:
        """A new schema with `script` run in it for the `with` block; yields its URL."""
        name = self.create(script)
        try:
            yield self.url_of(name)
        finally:
            self.drop(name)

    def close(self) -> None:
        """Close the connections the schemas were made with."""
        self._engine.dispose()


class PostgresTemplate:
    """The migrations as the SQL they send, recorded once from a real Alembic upgrade of an empty schema."""

    def __init__(self, schemas: PostgresSchemas) -> None:
        self.schemas = schemas
        sent: list[tuple[str, Any]] = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            sent.append((statement, parameters))

        template = schemas.create()
        try:
            database = Database(schemas.url_of(template))
            event.listen(database.engine, "before_cursor_execute", record)
            try:
                upgrade(database)
            finally:
                database.dispose()
        finally:
            schemas.drop(template)
        # Replayed elsewhere, a statement that names the template's schema would reach into it.
        named = [statement for statement, parameters in sent if template in f"{statement}{parameters!r}"]
        if named:
            raise RuntimeError(f"the migrations named their schema; they cannot be replayed: {named[:3]}")
        self.script: Script = tuple(sent)

    def copy(self) -> AbstractContextManager[str]:
        """A schema at head for one test; yields its URL, and drops it afterwards."""
        return self.schemas.schema(self.script)
