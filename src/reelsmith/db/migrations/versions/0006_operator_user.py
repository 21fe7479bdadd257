"""mark the operator's user

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

The CLI's user was found by its username, which sign-up could also take. A `users.is_operator`
flag, which sign-up never sets, now identifies it. The user an earlier CLI made is recognised by
what sign-up never produced: the operator's username with admin rights and no password.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

users = sa.table(
    "users",
    sa.column("username", sa.String()),
    sa.column("password_hash", sa.String()),
    sa.column("is_admin", sa.Boolean()),
    sa.column("is_operator", sa.Boolean()),
)


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild), which both databases do in place.
    op.add_column("users", sa.Column("is_operator", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.get_bind().execute(
        sa.update(users)
        .where(users.c.username == "local", users.c.password_hash.is_(None), users.c.is_admin.is_(True))
        .values(is_operator=True)
    )


def downgrade() -> None:
    op.drop_column("users", "is_operator")
