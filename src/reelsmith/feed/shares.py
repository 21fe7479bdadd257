"""Share links: HMAC-signed, expiring tokens whose rows can be revoked.

A token is `{id}.{expires}.{signature}`: the signature (HMAC-SHA256 with a key derived from the
secret key) covers the id and the expiry, so neither can be changed; the row lets the owner revoke.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, ShareLink, utcnow
from reelsmith.errors import NotFound, ShareGone, WrongState
from reelsmith.vocabulary import GenerationStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

TOKEN = re.compile(r"^([0-9a-f]{32})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")


def _signature(secret: str, share_id: str, expires: int) -> str:
    key = hmac.new(secret.encode(), b"reelsmith share links", hashlib.sha256).digest()
    mac = hmac.new(key, f"{share_id}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_for(secret: str, link: ShareLink) -> str:
    """The public token of a link."""
    expires = int(link.expires_at.timestamp())
    return f"{link.id}.{expires}.{_signature(secret, link.id, expires)}"


def share_read(secret: str, link: ShareLink, base_url: str) -> dict[str, Any]:
    """The ShareRead fields, with an absolute URL under `base_url`."""
    return {
        "id": link.id,
        "generation_id": link.generation_id,
        "url": f"{base_url.rstrip('/')}/s/{token_for(secret, link)}",
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
    }


def create_share(rt: Runtime, generation_id: str, user_id: str, expires_in_s: int) -> ShareLink:
    """A new link to a completed generation, valid for `expires_in_s` seconds."""
    with rt.db.write() as session:
        gen = session.get(Generation, generation_id)
        if gen is None:
            raise NotFound(f"generation not found: {generation_id}")
        if gen.status != GenerationStatus.COMPLETED:
            raise WrongState(f"generation is {gen.status}; only completed generations can be shared")
        # Whole seconds, so the expiry in the token and in the row agree exactly.
        expires = datetime.fromtimestamp(int(utcnow().timestamp()) + expires_in_s, UTC)
        link = ShareLink(generation_id=generation_id, user_id=user_id, expires_at=expires)
        session.add(link)
        session.flush()
        return link


def list_shares(session: Session, generation_id: str) -> list[ShareLink]:
    """A generation's links, newest first."""
    return list(
        session.scalars(
            select(ShareLink)
            .where(ShareLink.generation_id == generation_id)
            .order_by(ShareLink.created_at.desc(), ShareLink.id)
        )
    )


def active_shares(session: Session, generation_id: str) -> list[ShareLink]:
    """A generation's links that still work."""
    now = utcnow()
    return [s for s in list_shares(session, generation_id) if s.revoked_at is None and s.expires_at > now]


def revoke_share(rt: Runtime, share_id: str, user_id: str, *, is_admin: bool = False) -> None:
    """Turn a link off for good (404 unless it is the caller's)."""
    with rt.db.write() as session:
        link = session.get(ShareLink, share_id)
        if link is None or (link.user_id != user_id and not is_admin):
            raise NotFound(f"share link not found: {share_id}")
        link.revoked_at = link.revoked_at or utcnow()


def resolve_token(session: Session, secret: str, token: str, *, now: datetime | None = None) -> ShareLink:
    """The live link behind a token: 404 if forged or unknown, 410 if expired or revoked."""
    match = TOKEN.match(token)
    if match is None:
        raise NotFound("this share link is not valid")
    share_id, expires, signature = match.group(1), int(match.group(2)), match.group(3)
    if not hmac.compare_digest(signature, _signature(secret, share_id, expires)):
        raise NotFound("this share link is not valid")
    link = session.get(ShareLink, share_id)
    if link is None or int(link.expires_at.timestamp()) != expires:
        raise NotFound("this share link does not exist (any more)")
    if link.revoked_at is not None:
        raise ShareGone("this share link was turned off by its owner")
    if (now or utcnow()) >= link.expires_at or (now or utcnow()).timestamp() >= expires:
        raise ShareGone("this share link has expired")
    return link
