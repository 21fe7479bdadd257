"""Progress, current step and events of a generation, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from reelsmith.db.models import Event, Generation, utcnow
from reelsmith.pipeline.announcer import note_touched
from reelsmith.pipeline.eta import estimate_for


def record_event(session: Session, generation_id: str, kind: str, payload: dict[str, Any]) -> None:
    """Append an event (kind: progress | step | scene | llm | log | error | done)."""
    session.add(Event(generation_id=generation_id, kind=kind, payload=payload))
    note_touched(session.info, generation_id)


def set_progress(session: Session, generation_id: str, progress: int, step: str) -> None:
    """Move the progress bar forward (never back) and name the current step; emit an event.

    The event carries `eta_s`, the seconds left as estimated now (None without history to go by).
    """
    gen = session.get(Generation, generation_id)
    if gen is None:
        return
    gen.progress = max(gen.progress, min(100, progress))
    gen.current_step = step
    gen.updated_at = utcnow()
    payload = {"progress": gen.progress, "step": step, "eta_s": estimate_for(session, gen)}
    record_event(session, generation_id, "progress", payload)
