"""Migrations that move data: rows written by an older schema survive and land where the code reads them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from reelsmith.db.engine import Database
from reelsmith.db.migrate import alembic_config, upgrade
from reelsmith.db.models import Generation

NOW = datetime(2026, 11, 30, tzinfo=UTC)
INPUTS = {"scene_count": 3, "aspect_ratio": "9:16", "transition": "fade", "variants": ["soft", "ultra"]}
RUN_STATE = {
    "run": 2,
    "paid_clips": 1,
    "clips_delivered_before_run": 2,
    "style_anchor": "Warm film grain.",
    "best_variant": "ultra",
    "regenerating": {"scene_id": "s1", "clip_asset_id": "a1", "thumbnail_asset_id": "a2", "charged": True},
}


@pytest.fixture
def db(empty_database_url: str) -> Iterator[Database]:
    database = Database(empty_database_url)
    yield database
    database.dispose()


def _insert_story(db: Database, params: dict[str, Any]) -> None:
    """A user's generation with one variant and one scene, written against the schema as it stands."""
    stamps = {"created_at": NOW, "updated_at": NOW}
    rows = {
        "users": {"id": "u", "username": "ada", "is_admin": False, "token_balance": 0, "created_at": NOW},
        "generations": {
            "id": "g", "user_id": "u", "mode": "ad_clone", "title": "", "prompt": "p", "params": params,
            "status": "completed", "progress": 100, "current_step": "", "visibility": "draft",
            "like_count": 0, "tokens_charged": 0, "cost_usd": 0.0, **stamps,
        },
        "variants": {
            "id": "v", "generation_id": "g", "kind": "ultra", "status": "completed", "total_scenes": 1,
            "scenes_completed": 1, **stamps,
        },
        "scenes": {
            "id": "s1", "variant_id": "v", "index": 0, "description": "d", "negative_prompt": "",
            "camera": "", "on_screen_text": "", "duration_s": 3.0, "status": "completed", "attempts": 1,
            "progress": 1.0, **stamps,
        },
    }  # fmt: skip
    with db.engine.begin() as conn:
        for name, values in rows.items():
            conn.execute(sa.insert(sa.Table(name, sa.MetaData(), autoload_with=conn)).values(**values))


def test_0005_moves_the_run_state_out_of_params(db: Database) -> None:
    upgrade(db, "0004")
    _insert_story(db, {**INPUTS, **RUN_STATE})

    upgrade(db)

    with db.engine.connect() as conn:
        params, state = conn.execute(sa.text("SELECT params, run_state FROM generations")).one()
    assert _json(params) == INPUTS
    assert _json(state) == RUN_STATE
    with db.read() as session:
        gen = session.get(Generation, "g")
        assert gen is not None
        assert gen.inputs.aspect_ratio == "9:16"
        assert gen.inputs.variants == ("soft", "ultra")
        assert gen.state.run == 2
        assert gen.state.best_variant == "ultra"
        assert gen.state.regenerating is not None
        assert gen.state.regenerating.clip_asset_id == "a1"


def test_0005_downgrade_puts_the_run_state_back(db: Database) -> None:
    upgrade(db, "0004")
    _insert_story(db, {**INPUTS, **RUN_STATE})
    upgrade(db)

    command.downgrade(alembic_config(db), "0004")

    with db.engine.connect() as conn:
        assert _json(conn.execute(sa.text("SELECT params FROM generations")).scalar_one()) == {
            **INPUTS,
            **RUN_STATE,
        }
        columns = {c["name"] for c in sa.inspect(conn).get_columns("generations")}
    assert "run_state" not in columns


def test_a_table_rebuilt_on_sqlite_keeps_the_rows_that_refer_to_it(db: Database) -> None:
    # 0004 rebuilds `variants` on SQLite (a new foreign key needs a copy of the table); dropping the old
    # copy must not cascade into `scenes`.
    upgrade(db, "0003")
    _insert_story(db, INPUTS)

    upgrade(db)

    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM scenes")).scalar_one() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM variants")).scalar_one() == 1
    if db.is_sqlite:  # enforcement was off for the rebuilds, and is on again for everyone after
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1


def _json(value: Any) -> Any:
    """A JSON column's value as Python (SQLite hands back text through a raw query)."""
    return json.loads(value) if isinstance(value, str) else value
