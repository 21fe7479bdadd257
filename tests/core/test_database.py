"""Migrations, SQLite concurrency settings and portable types."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import inspect, text

from reelsmith.config import Settings
from reelsmith.db.engine import Database
from reelsmith.db.migrate import upgrade
from reelsmith.db.models import Event, Generation, User

TABLES = {"users", "generations", "variants", "scenes", "assets", "steps", "events", "provider_calls"}


def test_upgrade_creates_every_table_and_is_idempotent(settings: Settings) -> None:
    settings.ensure_data_dir()
    db = Database(settings.effective_database_url)
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
        gen = session.get(Generation, gen_id)
        assert gen is not None and gen.created_at.tzinfo is not None
        assert gen.created_at.utcoffset() == UTC.utcoffset(None)
        assert gen.params == {"a": [1, 2]}
        ids = [e.id for e in session.query(Event).order_by(Event.id)]
        assert len(ids) == 3 and ids == sorted(ids) and len(set(ids)) == 3
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


def test_migrations_match_the_models(settings: Settings) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from reelsmith.db.models import Base

    settings.ensure_data_dir()
    db = Database(settings.effective_database_url)
    upgrade(db)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    db.dispose()
