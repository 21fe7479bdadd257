"""run state of generations apart from their inputs

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

What the pipeline records while a generation runs moves out of `params` (the user's inputs) into a
`run_state` column. The rows are moved in Python, one generation at a time, so the same code runs
on SQLite and PostgreSQL without their differing JSON functions.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The run-state keys as this revision knows them (not imported: later code may name others).
RUN_STATE_KEYS = (
    "run",
    "paid_clips",
    "clips_delivered_before_run",
    "style_anchor",
    "image_asset_id",
    "image_provider_used",
    "best_variant",
    "regenerating",
)

generations = sa.table(
    "generations",
    sa.column("id", sa.String()),
    sa.column("params", sa.JSON()),
    sa.column("run_state", sa.JSON()),
)


def _rows() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    rows = op.get_bind().execute(sa.select(generations.c.id, generations.c.params, generations.c.run_state))
    return [(gid, dict(params or {}), dict(state or {})) for gid, params, state in rows]


def _store(gid: str, params: dict[str, Any], state: dict[str, Any]) -> None:
    op.get_bind().execute(
        sa.update(generations).where(generations.c.id == gid).values(params=params, run_state=state)
    )


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild), which both databases do in place.
    op.add_column("generations", sa.Column("run_state", sa.JSON(), server_default="{}", nullable=False))
    for gid, params, state in _rows():
        moved = {k: params.pop(k) for k in RUN_STATE_KEYS if k in params}
        if moved:
            _store(gid, params, {**state, **moved})


def downgrade() -> None:
    for gid, params, state in _rows():
        if state:
            _store(gid, {**params, **state}, {})
    op.drop_column("generations", "run_state")
