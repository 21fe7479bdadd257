"""A scene's recorded submissions (provider_calls rows): the latest one, its sends, and what to do next.

Every send of a submission is counted, and its start recorded, before it goes out; the start is
cleared once the outcome is known (a job id, or a failure that proves no job was made). A send whose
start is still recorded when a task looks at the scene either is still on its way, or ended without
telling whether the provider made the job: then the provider's jobs are looked up before anything
is sent again (see `uncertain`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelsmith.config import Settings
from reelsmith.db.models import ProviderCall, utcnow
from reelsmith.errors import ReelsmithError

SUBMIT = "submit"  # the operation of a clip submission's call
# How often one submission (one idempotency key) is sent before the attempt counts as failed.
MAX_SENDS = 3
# Providers whose submit returns the job it already has for a repeated idempotency key (our own
# renderer): sending again is always safe, so an unfinished send is simply sent again.
KEYED_PROVIDERS = ("local",)
# The longest a backoff sleep between two tries of one request can be (ProviderHttp.max_delay_s).
_MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class Send:
    """One send of a recorded submission, counted before it goes out."""

    call_id: int
    provider: str
    sends: int  # including this one
    idempotency_key: str
    webhook_token: str | None


@dataclass(frozen=True)
class Lookup:
    """Look for the job an uncertain send may have started (the `lookups`-th look)."""

    call_id: int
    provider: str
    sends: int
    lookups: int
    reason: str


@dataclass(frozen=True)
class Wait:
    """A send may still be on its way in another task: look again after `delay_s`."""

    delay_s: float


def latest_submit(session: Session, scene_id: str) -> ProviderCall:
    """The scene's most recent submission call (the one its current attempt recorded)."""
    call = session.scalars(
        select(ProviderCall)
        .where(ProviderCall.scene_id == scene_id, ProviderCall.operation == SUBMIT)
        .order_by(ProviderCall.id.desc())
        .limit(1)
    ).first()
    if call is None:
        raise ReelsmithError(f"scene {scene_id} is submitting but has no recorded call", code="pipeline")
    return call


def submits_to(session: Session, scene_id: str, provider: str) -> int:
    """How many attempts of the scene were submitted to `provider`."""
    count = session.scalar(
        select(func.count())
        .select_from(ProviderCall)
        .where(
            ProviderCall.scene_id == scene_id,
            ProviderCall.provider == provider,
            ProviderCall.operation == SUBMIT,
        )
    )
    return count or 0


def earlier_jobs(session: Session, scene_id: str, call_id: int) -> frozenset[str]:
    """The job ids earlier attempts of the scene got (a lookup must not mistake one for this send's)."""
    ids = session.scalars(
        select(ProviderCall.external_id).where(
            ProviderCall.scene_id == scene_id,
            ProviderCall.operation == SUBMIT,
            ProviderCall.id != call_id,
            ProviderCall.external_id.is_not(None),
        )
    )
    return frozenset(i for i in ids if i)


def send_window_s(settings: Settings) -> float:
    """The longest one send can take with all its tries; a send started longer ago has ended."""
    return (settings.provider_timeout_s + _MAX_BACKOFF_S) * (settings.provider_retries + 1)


def next_step(settings: Settings, session: Session, scene_id: str) -> Send | Lookup | Wait:
    """What a task finding the scene submitting does: send (counted here), look up, or wait."""
    call = latest_submit(session, scene_id)
    now = utcnow()
    if call.sent_at is not None and call.provider.partition(":")[0] not in KEYED_PROVIDERS:
        if call.uncertain_at is None:
            # No task said how the send ended: it is on its way, or its task died while sending.
            remaining = send_window_s(settings) - (now - call.sent_at).total_seconds()
            if remaining > 0:
                return Wait(remaining)
            call.uncertain_at = now
            call.error_message = "the task sending this submission stopped before it was answered"
        call.lookups += 1
        reason = call.error_message or "the outcome of the submission is unknown"
        return Lookup(call.id, call.provider, call.sends, call.lookups, reason)
    call.sends += 1
    call.sent_at, call.uncertain_at, call.lookups = now, None, 0
    return Send(call.id, call.provider, call.sends, call.idempotency_key, call.webhook_token)


def mark_uncertain(session: Session, call_id: int, reason: str) -> None:
    """Record that the call's latest send ended without telling whether a job was made."""
    call = session.get(ProviderCall, call_id)
    if call is not None and call.sent_at is not None:
        call.uncertain_at = utcnow()
        call.lookups = 0
        call.error_message = reason[:2000]


def settle(session: Session, call_id: int) -> None:
    """Record that the call's latest send made no job (it failed certainly, or a lookup found none)."""
    call = session.get(ProviderCall, call_id)
    if call is not None:
        call.sent_at = call.uncertain_at = None
