"""A user's API keys: issued with a secret shown once, listed without it, revoked for good.

Only a hash of each secret is stored; `accounts.auth` resolves a presented key to its user.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.accounts.auth import token_hash
from reelsmith.db.models import ApiKey, utcnow
from reelsmith.errors import NotFound

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

API_KEY_PREFIX = "rsk_"


def create_api_key(session: Session, user_id: str, name: str = "") -> tuple[ApiKey, str]:
    """A new API key; the returned secret is never stored and cannot be shown again."""
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(user_id=user_id, name=name[:100], prefix=secret[:10], hash=token_hash(secret))
    session.add(key)
    session.flush()
    return key, secret


def issue_api_key(rt: Runtime, user_id: str, name: str = "") -> tuple[ApiKey, str]:
    """Create and commit a key for the user; returns it with its one-time secret."""
    with rt.db.write() as session:
        return create_api_key(session, user_id, name)


def list_api_keys(session: Session, user_id: str) -> list[ApiKey]:
    """The user's keys (revoked ones included), newest first."""
    return list(
        session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc()))
    )


def revoke_api_key(rt: Runtime, user_id: str, key_id: str) -> None:
    """Turn one of the user's keys off for good (404 for anyone else's, so existence is not leaked)."""
    with rt.db.write() as session:
        key = session.get(ApiKey, key_id)
        if key is None or key.user_id != user_id:
            raise NotFound(f"API key not found: {key_id}")
        key.revoked_at = key.revoked_at or utcnow()
