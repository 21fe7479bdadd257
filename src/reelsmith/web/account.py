"""Read models of the settings page: the ledger and the API keys of a user."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import ApiKey, LedgerEntry, User


def fresh_user(session: Session, user: User) -> User:
    """The user as stored now (the balance may have moved since the session was resolved)."""
    return session.get(User, user.id) or user


def recent_ledger(session: Session, user_id: str, limit: int = 50) -> list[LedgerEntry]:
    """The user's latest token movements, newest first."""
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.user_id == user_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        )
    )


def api_keys(session: Session, user_id: str) -> list[ApiKey]:
    """The user's API keys, active first, newest first."""
    keys = session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc()))
    return sorted(keys, key=lambda k: k.revoked_at is not None)
