"""Progress, current step and events of a generation, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from reelsmith.db.models import Event, Generation, utcnow
from reelsmith.pipeline.announcer import note_touched


def record_event(session: Session, generation_id: str, kind: str, payload: dict[str, Any]) -> None:
    """Append an event (kind: progress | step | scene | llm | log | error | done)."""
    session.add(Event(generation_id=generation_id, kind=kind, payload=payload))
    note_touched(session.info, generation_id)


def set_progress(session: Session, generation_id: str, progress: int, step: str) -> None:
    """Move the progress bar forward (never back) and name the current step; emit an event."""
    gen = session.get(Generation, generation_id)
    if gen is None:
        return
    gen.progress = max(gen.progress, min(100, progress))
    gen.current_step = step
    gen.updated_at = utcnow()
    record_event(session, generation_id, "progress", {"progress": gen.progress, "step": step})
