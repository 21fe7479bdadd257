"""Listing generations: filters, full-text-ish search, keyset pagination (newest first)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation
from reelsmith.errors import InvalidInput


@dataclass(frozen=True)
class ListFilter:
    """What to list."""

    user_id: str | None  # None: everyone (admins)
    status: str | None = None
    mode: str | None = None
    q: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def encode_cursor(gen: Generation) -> str:
    """An opaque cursor pointing just after `gen` in newest-first order."""
    raw = f"{gen.created_at.isoformat()}|{gen.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (created_at, id) inside a cursor; a malformed cursor is the caller's error."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, gen_id = raw.split("|", 1)
        return datetime.fromisoformat(stamp), gen_id
    except (binascii.Error, UnicodeDecodeError, ValueError) as e:
        raise InvalidInput("cursor", "not a cursor returned by this API") from e


def _query(flt: ListFilter) -> Select[Generation]:
    query = select(Generation)
    if flt.user_id is not None:
        query = query.where(Generation.user_id == flt.user_id)
    if flt.status:
        query = query.where(Generation.status == flt.status)
    if flt.mode:
        query = query.where(Generation.mode == flt.mode)
    if flt.q:
        needle = f"%{flt.q.lower().replace('%', '').replace('_', '')}%"
        query = query.where(
            or_(func.lower(Generation.title).like(needle), func.lower(Generation.prompt).like(needle))
        )
    if flt.created_after:
        query = query.where(Generation.created_at >= flt.created_after)
    if flt.created_before:
        query = query.where(Generation.created_at < flt.created_before)
    return query


def list_generations(
    session: Session, flt: ListFilter, limit: int, cursor: str | None
) -> tuple[list[Generation], str | None]:
    """One page of generations and the cursor of the next page (None at the end)."""
    query = _query(flt)
    if cursor:
        stamp, gen_id = decode_cursor(cursor)
        query = query.where(
            or_(Generation.created_at < stamp, and_(Generation.created_at == stamp, Generation.id < gen_id))
        )
    rows = list(
        session.scalars(query.order_by(Generation.created_at.desc(), Generation.id.desc()).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)
