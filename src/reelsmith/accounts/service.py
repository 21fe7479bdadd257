"""Sign-up, login and logout, and user management."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.accounts.auth import IssuedSession, issue_session, revoke_session
from reelsmith.accounts.passwords import hash_password, verify_password
from reelsmith.db.models import User
from reelsmith.errors import Conflict, InvalidInput, Unauthorized

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{1,31}$")


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


def reload_user(session: Session, user: User) -> User:
    """The user as stored now (the balance may have moved since the caller was resolved)."""
    return session.get(User, user.id) or user


@dataclass(frozen=True)
class Login:
    """A user who just proved who they are, and the session (or bearer token) they were given."""

    user: User
    session: IssuedSession


def sign_up(rt: Runtime, username: str, password: str, email: str | None = None) -> Login:
    """Create an account with the sign-up token grant, and a bearer token for it."""
    with rt.db.write() as session:
        user = create_user(session, username, password, email=email, tokens=rt.settings.signup_tokens)
        return Login(user, issue_session(session, user.id, "bearer"))


def log_in(rt: Runtime, username: str, password: str, kind: str) -> Login:
    """Check the credentials and open a cookie session or issue a bearer token (`kind`)."""
    with rt.db.write() as session:
        user = authenticate(session, username, password)
        return Login(user, issue_session(session, user.id, kind))


def log_out(rt: Runtime, secret: str) -> None:
    """End the cookie session or bearer token whose secret this is."""
    with rt.db.write() as session:
        revoke_session(session, secret)
