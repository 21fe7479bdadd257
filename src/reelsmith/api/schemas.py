"""Response shapes shared by several routers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from reelsmith.db.models import User


class UserRead(BaseModel):
    """A user as they see themselves."""

    id: str
    username: str
    email: str | None
    is_admin: bool
    token_balance: int
    created_at: datetime


def user_read(user: User) -> dict[str, Any]:
    """The UserRead fields of a user."""
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "is_admin": user.is_admin,
        "token_balance": user.token_balance,
        "created_at": user.created_at,
    }
