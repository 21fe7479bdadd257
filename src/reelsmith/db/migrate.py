"""Apply the Alembic migrations that ship inside the package."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config

from reelsmith.db.engine import Database


def alembic_config(database: Database) -> Config:
    """An Alembic config pointing at the packaged migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("reelsmith.db") / "migrations"))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent; safe to run on every start)."""
    command.upgrade(alembic_config(database), revision)
