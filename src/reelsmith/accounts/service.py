"""Sign-up, login and logout, and user management."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelsmith.accounts import ledger
from reelsmith.accounts.auth import IssuedSession, issue_session, revoke_session
from reelsmith.accounts.passwords import hash_password, verify_password
from reelsmith.accounts.ratelimit import Limiter
from reelsmith.accounts.throttle import LoginThrottle
from reelsmith.config import Settings
from reelsmith.db.models import User
from reelsmith.errors import Conflict, Forbidden, InvalidInput, Unauthorized

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

USERNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{1,31}")
# The name the machine's operator (the CLI's user) goes by; nobody can sign up under it.
OPERATOR_USERNAME = "local"
RESERVED_USERNAMES = frozenset({OPERATOR_USERNAME})


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
    check_new_account(username, password)
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


def check_new_account(username: str, password: str | None) -> None:
    """Raise InvalidInput unless `username` may be taken and `password` is long enough."""
    if not USERNAME.fullmatch(username):
        raise InvalidInput("username", "2-32 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
    if username.lower() in RESERVED_USERNAMES:
        raise InvalidInput("username", f"{username!r} is reserved")
    if password is not None and len(password) < 8:
        raise InvalidInput("password", "must be at least 8 characters")


def authenticate(session: Session, username: str, password: str) -> User:
    """The user with these credentials, or Unauthorized (after the same work for unknown users)."""
    user = session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise Unauthorized("wrong username or password")
    return user


def ensure_operator(session: Session) -> str:
    """The id of the machine operator's user, created on first use.

    Found by its `is_operator` flag, never by name: a signed-up user who holds the name is left
    alone, and the operator then goes by the name with a random suffix.
    """
    found = session.scalar(select(User.id).where(User.is_operator.is_(True)).order_by(User.created_at))
    if found:
        return found
    name = OPERATOR_USERNAME
    while session.scalar(select(User.id).where(func.lower(User.username) == name.lower())):
        name = f"{OPERATOR_USERNAME}-{secrets.token_hex(3)}"
    user = User(username=name, is_admin=True, is_operator=True)
    session.add(user)
    session.flush()
    return user.id


def reload_user(session: Session, user: User) -> User:
    """The user as stored now (the balance may have moved since the caller was resolved)."""
    return session.get(User, user.id) or user


@dataclass(frozen=True)
class Login:
    """A user who just proved who they are, and the session (or bearer token) they were given."""

    user: User
    session: IssuedSession


@dataclass(frozen=True)
class NewAccount:
    """What a sign-up asks for; `invite_code` matters only when sign-up is by invitation."""

    username: str
    password: str
    email: str | None = None
    invite_code: str | None = None


def signups_open(settings: Settings) -> bool:
    """Whether anyone may sign up at all (with an invite code, when `invites_required`)."""
    return settings.signup_mode != "closed"


def invites_required(settings: Settings) -> bool:
    """Whether a sign-up must carry one of the configured invite codes."""
    return settings.signup_mode == "invite"


def is_invite_code(settings: Settings, code: str) -> bool:
    """Whether `code` is one of the configured invite codes (compared in constant time)."""
    codes = [c.strip() for c in settings.invite_codes.split(",") if c.strip()]
    # Every code is compared, so the time taken says nothing about which one came close.
    matches = [hmac.compare_digest(c.encode(), code.encode()) for c in codes]
    return any(matches)


def _refuse_unless_open(settings: Settings, account: NewAccount) -> None:
    """Refuse (403) when sign-up is closed, and (422) an invite sign-up that carries no code."""
    if not signups_open(settings):
        raise Forbidden("sign-up is closed")
    if invites_required(settings) and not account.invite_code:
        raise InvalidInput("invite_code", "an invite code is required to sign up")


def sign_up(
    rt: Runtime, throttle: LoginThrottle, signups: Limiter, address: str, account: NewAccount
) -> Login:
    """Create an account with the sign-up token grant, and a bearer token for it.

    Every attempt that gets as far as creating an account counts against `address` in `signups`
    (a taken username or a wrong invite code too, so neither can be tried without end); requests
    refused for their shape do not.
    """
    settings = rt.settings
    _refuse_unless_open(settings, account)
    check_new_account(account.username, account.password)
    signups.hit(address)
    if invites_required(settings) and not is_invite_code(settings, account.invite_code or ""):
        raise InvalidInput("invite_code", "not a valid invite code")
    with throttle.hashing(), rt.db.write() as session:
        user = create_user(
            session, account.username, account.password, email=account.email, tokens=settings.signup_tokens
        )
        return Login(user, issue_session(session, user.id, "bearer"))


def log_in(
    rt: Runtime, throttle: LoginThrottle, address: str, username: str, password: str, kind: str
) -> Login:
    """Check the credentials and open a cookie session or issue a bearer token (`kind`).

    Refused with RateLimited, before any hashing, while `address` or `username` has failed too
    often lately; every failure counts against both.
    """
    throttle.check(username, address)
    # The check runs in a read session so that no write transaction waits on argon2.
    with throttle.hashing(), rt.db.read() as session:
        try:
            user = authenticate(session, username, password)
        except Unauthorized:
            throttle.failed(username, address)
            raise
    throttle.succeeded(username)
    with rt.db.write() as session:
        return Login(user, issue_session(session, user.id, kind))


def log_out(rt: Runtime, secret: str) -> None:
    """End the cookie session or bearer token whose secret this is."""
    with rt.db.write() as session:
        revoke_session(session, secret)
