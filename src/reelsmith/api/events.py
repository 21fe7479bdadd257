"""Server-sent events from the `events` table, so they work whichever process runs the worker."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from reelsmith.db.models import Event, Generation
from reelsmith.vocabulary import TERMINAL_STATUSES

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

# Streams wake when their generation's events are announced; this is only the safety net.
RECHECK_S = 2.0
HEARTBEAT_S = 15.0
# How long a stream waits out an unreachable database before it closes (the client then reconnects).
OUTAGE_PATIENCE_S = 60.0
PAGE = 200  # events read at a time


def _fetch(rt: Runtime, generation_id: str, after: int) -> tuple[list[Event], str | None]:
    """The next events after `after`, and the generation's status read *before* them.

    Reading the status first matters under READ COMMITTED (each statement sees its own snapshot): every
    event committed before a final status is then among the rows, so a final status with a short page
    means the stream has sent everything.
    """
    with rt.db.read() as session:
        status = session.scalar(select(Generation.status).where(Generation.id == generation_id))
        rows = list(
            session.scalars(
                select(Event)
                .where(Event.generation_id == generation_id, Event.id > after, Event.kind != "llm")
                .order_by(Event.id)
                .limit(PAGE)
            )
        )
        return rows, status


def format_event(event_id: int, kind: str, payload: dict[str, Any]) -> str:
    """One SSE message."""
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


async def event_stream(
    rt: Runtime, generation_id: str, after: int, request: Request, *, heartbeat_s: float = HEARTBEAT_S
) -> AsyncIterator[str]:
    """Yield events newer than `after` until the generation ends (or the client leaves).

    The stream closes once the generation is in a final state and every event has been sent; an
    old final event (before a retry) does not close it while the generation is running again.
    """
    yield "retry: 2000\n\n"
    last_sent = last_read = time.monotonic()
    with rt.announcer.listen(generation_id) as woken:
        while True:
            woken.clear()  # before reading, so events committed during the read wake the next wait
            try:
                rows, status = await run_in_threadpool(_fetch, rt, generation_id, after)
            except DBAPIError as e:
                if not (e.connection_invalidated or isinstance(e, OperationalError | InterfaceError)):
                    raise
                # The database is away for a moment (a restart, a failover): keep the stream open and
                # look again, rather than make every watcher reconnect at once; give up in the end.
                if time.monotonic() - last_read > OUTAGE_PATIENCE_S:
                    return
                yield ": database unavailable, retrying\n\n"
                await asyncio.sleep(RECHECK_S)
                continue
            last_read = time.monotonic()
            for row in rows:
                after = row.id
                yield format_event(row.id, row.kind, {**row.payload, "at": row.at.isoformat()})
                last_sent = time.monotonic()
            if status is None:
                return  # deleted
            if status in TERMINAL_STATUSES and len(rows) < PAGE:
                return  # ended, and every event up to the end has been sent
            if time.monotonic() - last_sent >= heartbeat_s:
                yield ": heartbeat\n\n"
                last_sent = time.monotonic()
            if await request.is_disconnected():
                return
            wait_s = min(RECHECK_S, max(0.05, heartbeat_s - (time.monotonic() - last_sent)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout=wait_s)
