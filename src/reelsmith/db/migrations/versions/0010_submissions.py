"""submissions whose outcome is uncertain

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """When a clip submission's latest send began and ended uncertainly, and how often it was looked up."""
    with op.batch_alter_table("provider_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("uncertain_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lookups", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("provider_calls", schema=None) as batch_op:
        batch_op.drop_column("lookups")
        batch_op.drop_column("uncertain_at")
        batch_op.drop_column("sent_at")
