"""Processes starting at once on a fresh database (two CLI runs, a server and a worker) migrate it once.

The whole upgrade is one transaction holding the database's write lock, so a second process finds the
schema current. Were the lock let go between migrations (Alembic's default on SQLite commits after each
one), a second process could take it in between, read an old revision and apply a migration the first
then applies again (on SQLite: "duplicate column name").
"""

from __future__ import annotations

from sqlalchemy import Connection, event

from reelsmith.db.engine import Database
from reelsmith.db.migrate import upgrade


def test_a_fresh_database_is_migrated_in_one_transaction(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    begun: list[Connection] = []
    commits: list[Connection] = []
    event.listen(database.engine, "begin", begun.append)
    event.listen(database.engine, "commit", commits.append)
    try:
        upgrade(database)
    finally:
        database.dispose()
    assert (len(begun), len(commits)) == (1, 1)
