"""spoken lines, voices and captions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

Each scene may speak a line: its text, the voice that speaks it, the speech audio and the words'
timings within that audio. A variant keeps its captions as .srt and .vtt assets. The options a
generation was made with (narration on or off, the voice, the caption mode) live in its params JSON.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the scenes' narration columns and the variants' caption assets."""
    with op.batch_alter_table("scenes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("narration", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("voice", sa.String(length=100), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("speech_asset_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("words", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            "fk_scenes_speech_asset_id_assets", "assets", ["speech_asset_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("variants", schema=None) as batch_op:
        for column in ("captions_srt_asset_id", "captions_vtt_asset_id"):
            batch_op.add_column(sa.Column(column, sa.String(length=36), nullable=True))
            batch_op.create_foreign_key(
                f"fk_variants_{column}_assets", "assets", [column], ["id"], ondelete="SET NULL"
            )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("variants", schema=None) as batch_op:
        for column in ("captions_vtt_asset_id", "captions_srt_asset_id"):
            batch_op.drop_constraint(f"fk_variants_{column}_assets", type_="foreignkey")
            batch_op.drop_column(column)
    with op.batch_alter_table("scenes", schema=None) as batch_op:
        batch_op.drop_constraint("fk_scenes_speech_asset_id_assets", type_="foreignkey")
        batch_op.drop_column("words")
        batch_op.drop_column("speech_asset_id")
        batch_op.drop_column("voice")
        batch_op.drop_column("narration")
