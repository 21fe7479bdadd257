"""Migrations, SQLite concurrency settings and portable types."""

from __future__ import annotations

import multiprocessing
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import inspect, text

from reelsmith.config import Settings
from reelsmith.db.documents import GenerationParams
from reelsmith.db.engine import Database
from reelsmith.db.migrate import upgrade
from reelsmith.db.models import Event, Generation, User
from reelsmith.vocabulary import AspectRatio

TABLES = {"users", "generations", "variants", "scenes", "assets", "steps", "events", "provider_calls"}


def test_upgrade_creates_every_table_and_is_idempotent(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    assert inspect(db.engine).get_table_names() == []
    upgrade(db)
    upgrade(db)
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    db.dispose()


def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/x.db")
    with db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_timestamps_come_back_timezone_aware_and_events_get_increasing_ids(settings: Settings) -> None:
    settings.ensure_data_dir()
    db = Database(settings.effective_database_url)
    upgrade(db)
    with db.write() as session:
        user = User(username="ada")
        session.add(user)
        session.flush()
        gen = Generation(user_id=user.id, mode="story", prompt="p", params={"a": [1, 2]})
        session.add(gen)
        session.flush()
        session.add_all([Event(generation_id=gen.id, kind="log", payload={"n": i}) for i in range(3)])
        gen_id = gen.id
    with db.read() as session:
        loaded = session.get(Generation, gen_id)
        assert loaded is not None
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at.utcoffset() == UTC.utcoffset(None)
        assert loaded.params == {"a": [1, 2]}
        ids = [e.id for e in session.query(Event).order_by(Event.id)]
        assert len(ids) == 3
        assert ids == sorted(ids)
        assert len(set(ids)) == 3
    db.dispose()


def test_write_rolls_back_on_error(settings: Settings) -> None:
    settings.ensure_data_dir()
    db = Database(settings.effective_database_url)
    upgrade(db)
    try:
        with db.write() as session:
            session.add(User(username="half"))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.read() as session:
        assert session.query(User).filter_by(username="half").count() == 0
    db.dispose()


def test_migrations_from_empty_match_the_models(empty_database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from reelsmith.db.models import Base

    db = Database(empty_database_url)
    upgrade(db)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    db.dispose()


def _open_and_write(path: str, barrier: Any, errors: Any) -> None:
    db = Database(f"sqlite:///{path}")
    barrier.wait()  # every process opens the fresh file at the same moment
    try:
        with db.write() as session:
            session.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            session.execute(text("INSERT INTO t VALUES (1)"))
        db.engine.dispose()
    except Exception as e:  # reported to the parent, which asserts there were none
        errors.put(repr(e))


def test_processes_opening_a_fresh_sqlite_file_at_once_all_get_in(tmp_path: Path) -> None:
    # Switching a new file to WAL can fail at once with "database is locked" while another process
    # switches it; the engine must wait its turn instead (a quarter of these rounds failed before).
    ctx = multiprocessing.get_context("fork")
    errors = ctx.Queue()
    for round_ in range(30):
        path = str(tmp_path / f"race{round_}.db")
        barrier = ctx.Barrier(3)
        procs = [ctx.Process(target=_open_and_write, args=(path, barrier, errors)) for _ in range(3)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        assert all(proc.exitcode == 0 for proc in procs)
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert found == []


def test_a_generation_reads_its_inputs_and_run_state_typed(settings: Settings) -> None:
    settings.ensure_data_dir()
    db = Database(settings.effective_database_url)
    with db.write() as session:
        user = User(username="ada")
        session.add(user)
        session.flush()
        gen = Generation(
            user_id=user.id,
            mode="video",
            prompt="p",
            inputs=GenerationParams(aspect_ratio=AspectRatio.VERTICAL, duration_s=4.0),
        )
        session.add(gen)
        session.flush()
        gen.update_state(run=2, paid_clips=1)
        gen_id = gen.id
    with db.read() as session:
        loaded = session.get(Generation, gen_id)
        assert loaded is not None
        assert (loaded.inputs.aspect_ratio, loaded.inputs.duration_s) == (AspectRatio.VERTICAL, 4.0)
        assert (loaded.state.run, loaded.state.paid_clips, loaded.state.best_variant) == (2, 1, None)
        assert "run" not in loaded.params  # inputs and run state are kept apart
        with pytest.raises(ValidationError):
            loaded.update_state(paid_clip=3)  # a misspelt field is refused, not stored
    db.dispose()
