"""Response shapes shared by several routers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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


class SceneEdit(BaseModel):
    """Changes to one scene of a storyboard awaiting approval; fields left out are kept."""

    model_config = ConfigDict(extra="forbid")

    prompt: str | None = Field(default=None, max_length=4000, description="What the clip shows.")
    duration_s: float | None = Field(default=None, description="Seconds, within the mode's limits.")
    on_screen_text: str | None = Field(default=None, max_length=200)


class SceneAdd(BaseModel):
    """A scene added to a storyboard awaiting approval."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(max_length=4000, description="What the clip shows.")
    duration_s: float | None = Field(default=None, description="Seconds; the mode's default when left out.")
    on_screen_text: str = Field(default="", max_length=200)
    index: int | None = Field(
        default=None, ge=0, description="Where it goes (0 first); the end when left out."
    )


class SceneOrder(BaseModel):
    """Every scene of a storyboard, by id, in the new order."""

    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(max_length=100)


class NarrationEdit(BaseModel):
    """A scene's new spoken line (and, optionally, another voice) for a finished narrated generation."""

    model_config = ConfigDict(extra="forbid")

    narration: str = Field(max_length=4000, description="The line the scene speaks.")
    voice: str | None = Field(
        default=None, max_length=100, description="Another voice of the speech provider; left out: the same."
    )
