"""keep the clip a provider delivered beside its house-format copy; room for model-naming chain items

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Clips from providers are converted to the house format when they arrive, so the final stitch only
copies; `scenes.delivered_asset_id` names the file as the provider delivered it, for its owner.
The provider columns hold failover chain items, which may name a model (`fal:fal-ai/kling-video/...`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provider_calls", schema=None) as batch_op:
        batch_op.alter_column("provider", existing_type=sa.String(length=50), type_=sa.String(length=200))
    with op.batch_alter_table("scenes", schema=None) as batch_op:
        batch_op.alter_column("provider", existing_type=sa.String(length=50), type_=sa.String(length=200))
        batch_op.add_column(sa.Column("delivered_asset_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            "fk_scenes_delivered_asset_id_assets",
            "assets",
            ["delivered_asset_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("scenes", schema=None) as batch_op:
        batch_op.drop_constraint("fk_scenes_delivered_asset_id_assets", type_="foreignkey")
        batch_op.drop_column("delivered_asset_id")
        batch_op.alter_column("provider", existing_type=sa.String(length=200), type_=sa.String(length=50))
    with op.batch_alter_table("provider_calls", schema=None) as batch_op:
        batch_op.alter_column("provider", existing_type=sa.String(length=200), type_=sa.String(length=50))
