"""Sign-up, login and user management."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.accounts.passwords import hash_password, verify_password
from reelsmith.db.models import User
from reelsmith.errors import InvalidInput, ReelsmithError

USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{1,31}$")


class Conflict(ReelsmithError):
    """The thing already exists."""

    code = "conflict"
    http_status = 409


class Unauthorized(ReelsmithError):
    """Missing or wrong credentials."""

    code = "unauthorized"
    http_status = 401


def create_user(
    session: Session,
    username: str,
    password: str | None,
    *,
    email: str | None = None,
    is_admin: bool = False,
    tokens: int = 0,
) -> User:
    """Create a user with a starting token grant; usernames are unique case-insensitively."""
    if not USERNAME.match(username):
        raise InvalidInput("username", "2-32 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
    if password is not None and len(password) < 8:
        raise InvalidInput("password", "must be at least 8 characters")
    taken = session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken:
        raise Conflict(f"username {username!r} is taken")
    user = User(
        username=username,
        email=email,
        password_hash=hash_password(password) if password else None,
        is_admin=is_admin,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as e:
        raise Conflict(f"username {username!r} is taken") from e
    ledger.grant(session, user.id, tokens, f"grant:signup:{user.id}", note="sign-up grant")
    session.flush()
    session.refresh(user)
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """The user with these credentials, or Unauthorized."""
    user = session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()
    if user is None or not verify_password(user.password_hash, password):
        raise Unauthorized("wrong username or password")
    return user
