"""Recording a synchronous provider call (text, image, speech) in provider_calls around the call itself.

Clip submissions are recorded by `clips/submit.py` instead: there the record must share a transaction with
the scene's state change, so that a crash never leaves a paid job without its scene knowing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from reelsmith.db.models import ProviderCall
from reelsmith.errors import ProviderError
from reelsmith.vocabulary import CallStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

T = TypeVar("T")


def recorded_call(
    rt: Runtime,
    *,
    generation_id: str | None,
    scene_id: str | None = None,
    provider: str,
    model: str,
    operation: str,
    call: Callable[[], T],
    cost: Callable[[T], float],
) -> T:
    """Record the call before making it, then its outcome, latency and estimated cost."""
    with rt.db.write() as session:
        record = ProviderCall(
            generation_id=generation_id,
            scene_id=scene_id,
            provider=provider,
            model=model,
            operation=operation,
            idempotency_key=f"{operation}:{generation_id or '-'}:{uuid.uuid4().hex}",
        )
        session.add(record)
        session.flush()
        call_id = record.id
    started = time.monotonic()
    try:
        result = call()
    except ProviderError as e:
        _finish(rt, call_id, started, CallStatus.FAILED, e.message, 0.0)
        raise
    _finish(rt, call_id, started, CallStatus.SUCCEEDED, None, cost(result))
    return result


def _finish(
    rt: Runtime, call_id: int, started: float, status: CallStatus, error: str | None, usd: float
) -> None:
    with rt.db.write() as session:
        record = session.get(ProviderCall, call_id)
        if record is not None:
            record.status = status
            record.error_message = error
            record.latency_ms = int((time.monotonic() - started) * 1000)
            record.cost_usd = usd
