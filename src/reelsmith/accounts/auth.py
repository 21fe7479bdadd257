"""Sessions, bearer access tokens and API keys: random secrets of which only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reelsmith.db.models import ApiKey, AuthSession, User, utcnow

SESSION_LIFETIME = timedelta(days=14)
ACCESS_TOKEN_LIFETIME = timedelta(days=1)


def token_hash(secret: str) -> str:
    """SHA-256 of a high-entropy secret (enough: these are random, not human passwords)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedSession:
    """A new login: the secret to hand out once, and the CSRF token bound to it."""

    token: str
    csrf_token: str


def issue_session(session: Session, user_id: str, kind: str) -> IssuedSession:
    """Create a cookie session or a bearer access token for the user."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24) if kind == "cookie" else ""
    lifetime = SESSION_LIFETIME if kind == "cookie" else ACCESS_TOKEN_LIFETIME
    session.add(
        AuthSession(
            user_id=user_id,
            kind=kind,
            token_hash=token_hash(token),
            csrf_token=csrf,
            expires_at=utcnow() + lifetime,
        )
    )
    session.flush()
    return IssuedSession(token, csrf)


def revoke_session(session: Session, token: str) -> None:
    """End a login (logout)."""
    row = session.scalars(select(AuthSession).where(AuthSession.token_hash == token_hash(token))).first()
    if row is not None:
        session.delete(row)


@dataclass(frozen=True)
class Principal:
    """Who is calling, and how they proved it."""

    user: User
    via: str  # cookie | bearer | api_key
    csrf_token: str = ""


def resolve_session(session: Session, token: str, kind: str) -> Principal | None:
    """The user behind a cookie session or bearer access token, if valid and unexpired."""
    row = session.scalars(
        select(AuthSession).where(AuthSession.token_hash == token_hash(token), AuthSession.kind == kind)
    ).first()
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return Principal(user, kind, row.csrf_token) if user else None


LAST_USED_RESOLUTION = timedelta(minutes=1)


def resolve_api_key(session: Session, secret: str) -> tuple[Principal, str | None] | None:
    """The user behind an API key if valid, and the key's id when its last use is worth recording.

    `last_used_at` is kept to the minute so that authenticating stays a read, not a write.
    """
    key = session.scalars(select(ApiKey).where(ApiKey.hash == token_hash(secret))).first()
    if key is None or key.revoked_at is not None:
        return None
    user = session.get(User, key.user_id)
    if user is None:
        return None
    stale = key.last_used_at is None or utcnow() - key.last_used_at > LAST_USED_RESOLUTION
    return Principal(user, "api_key"), key.id if stale else None


def record_api_key_use(session: Session, key_id: str) -> None:
    """Stamp the key's last use."""
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))
