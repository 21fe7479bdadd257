"""Listing generations: filters, full-text-ish search, keyset pagination (newest first by default)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation
from reelsmith.errors import InvalidInput

Sort = Literal["newest", "oldest", "slowest", "fastest"]
SORTS: tuple[Sort, ...] = ("newest", "oldest", "slowest", "fastest")
# Unfinished generations have no generation time; they sort as if it were this.
_NO_TIME = -1.0


@dataclass(frozen=True)
class ListFilter:
    """What to list."""

    user_id: str | None  # None: everyone (admins)
    status: str | None = None
    mode: str | None = None
    q: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    visibility: str | None = None  # draft | published
    statuses: tuple[str, ...] = ()  # any of these (on top of `status`)


def _encode(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def encode_cursor(gen: Generation, sort: Sort = "newest") -> str:
    """An opaque cursor pointing just after `gen` in the given order."""
    if sort in ("slowest", "fastest"):
        seconds = gen.generation_time_seconds if gen.generation_time_seconds is not None else _NO_TIME
        return _encode(f"t:{seconds!r}|{gen.id}")
    return _encode(f"{gen.created_at.isoformat()}|{gen.id}")


def _decode_raw(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key, gen_id = raw.split("|", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError) as e:
        raise InvalidInput("cursor", "not a cursor returned by this API") from e
    return key, gen_id


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (created_at, id) inside a date cursor; a malformed cursor is the caller's error."""
    stamp, gen_id = _decode_raw(cursor)
    try:
        return datetime.fromisoformat(stamp), gen_id
    except ValueError as e:
        raise InvalidInput("cursor", "not a cursor returned by this API") from e


def _decode_time(cursor: str) -> tuple[float, str]:
    key, gen_id = _decode_raw(cursor)
    try:
        if not key.startswith("t:"):
            raise ValueError(key)
        return float(key[2:]), gen_id
    except ValueError as e:
        raise InvalidInput("cursor", "not a cursor for this sort order") from e


def _query(flt: ListFilter) -> Select[Generation]:
    query = select(Generation)
    if flt.user_id is not None:
        query = query.where(Generation.user_id == flt.user_id)
    if flt.status:
        query = query.where(Generation.status == flt.status)
    if flt.statuses:
        query = query.where(Generation.status.in_(flt.statuses))
    if flt.mode:
        query = query.where(Generation.mode == flt.mode)
    if flt.visibility:
        query = query.where(Generation.visibility == flt.visibility)
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


def _after(key: Any, value: Any, descending: bool, gen_id: str) -> ColumnElement[bool]:
    """Rows strictly after (value, gen_id) in (key, id) order, both descending or both ascending."""
    if descending:
        return or_(key < value, and_(key == value, Generation.id < gen_id))
    return or_(key > value, and_(key == value, Generation.id > gen_id))


def list_generations(
    session: Session, flt: ListFilter, limit: int, cursor: str | None, sort: Sort = "newest"
) -> tuple[list[Generation], str | None]:
    """One page of generations and the cursor of the next page (None at the end)."""
    if sort not in SORTS:
        raise InvalidInput("sort", f"one of {', '.join(SORTS)}")
    query = _query(flt)
    descending = sort in ("newest", "slowest")
    key: Any = (
        func.coalesce(Generation.generation_time_seconds, _NO_TIME)
        if sort in ("slowest", "fastest")
        else Generation.created_at
    )
    if cursor:
        value: Any
        if sort in ("slowest", "fastest"):
            value, gen_id = _decode_time(cursor)
        else:
            value, gen_id = decode_cursor(cursor)
        query = query.where(_after(key, value, descending, gen_id))
    order = (key.desc(), Generation.id.desc()) if descending else (key.asc(), Generation.id.asc())
    rows = list(session.scalars(query.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1], sort) if more and rows else None)


def count_generations(session: Session, flt: ListFilter) -> int:
    """How many generations match the filter."""
    query = _query(flt).with_only_columns(func.count(Generation.id)).order_by(None)
    return int(session.scalar(query) or 0)
