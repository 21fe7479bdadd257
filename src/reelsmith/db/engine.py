"""Engine and session set-up that behaves the same on SQLite and PostgreSQL.

SQLite is shared by several processes (CLI, server, workers), so it runs in WAL mode with a busy
timeout, and write transactions start with BEGIN IMMEDIATE: a deferred transaction that reads and
then writes can fail at once with "database is locked" instead of waiting its turn.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WAL_RETRY_S = 0.05


def enable_wal(cursor: Any, timeout_s: float = SQLITE_BUSY_TIMEOUT_MS / 1000) -> None:
    """Put the database in WAL mode, waiting while another process does the same.

    When processes open a fresh file at once, the switch can fail at once with "database is locked"
    without consulting the busy timeout, so it is retried until the timeout instead.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() >= deadline:
                raise
            time.sleep(_WAL_RETRY_S)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that we decide how BEGIN is issued.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for `url` with the per-dialect settings Reelsmith relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """Owns the engine; hands out read sessions and short write transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(sqlite_immediate=True) if self.is_sqlite else self.engine
        self._writes = sessionmaker(writer, expire_on_commit=False)
        # Called with a write session's `info` after it commits (e.g. to announce new events).
        self.commit_hooks: list[Callable[[Mapping[str, Any]], None]] = []

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with self._reads() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error. Keep it short."""
        with self._writes() as session:
            with session.begin():
                yield session
            for hook in self.commit_hooks:
                hook(session.info)

    def dispose(self) -> None:
        """Close pooled connections (before fork, or at shutdown)."""
        self.engine.dispose()
