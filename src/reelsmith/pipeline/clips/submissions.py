"""A scene's recorded submissions (provider_calls rows): the latest one, its sends, and what to do next.

Every send of a submission is counted, and its start recorded, before it goes out; while it waits for
the provider its task keeps that record fresh (a heartbeat on `sent_at`), and the record is cleared
once the outcome is known (a job id, or a failure that proves no job was made). A send whose record
is fresh is still on its way: others wait. One whose record went stale (its task died) or that ended
without telling whether the provider made the job is looked up before anything is sent again (see
`uncertain`). Deciding what to do locks the call's row, so of several tasks finding the scene at once
only one sends; a lookup's conclusion is applied only if no other send or lookup happened meanwhile.
A submission is sent at most `MAX_SENDS` times: the attempt's failure is recorded in the transaction
that settles its last send, so no task ever finds that send settled and the scene still submitting.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
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


@dataclass(frozen=True)
class SendAt:
    """What a task knows of a submission: the call at its `sends`-th send (and `lookups`-th lookup).

    A decision taken on this knowledge is applied only while the call is still there.
    """

    call_id: int
    sends: int
    lookups: int | None = None


@dataclass(frozen=True)
class Send:
    """One send of a recorded submission, counted before it goes out."""

    call_id: int
    provider: str
    sends: int  # including this one
    idempotency_key: str
    webhook_token: str | None

    @property
    def at(self) -> SendAt:
        return SendAt(self.call_id, self.sends)


@dataclass(frozen=True)
class Lookup:
    """Look for the job an uncertain send may have started (the `lookups`-th look)."""

    call_id: int
    provider: str
    sends: int
    lookups: int
    reason: str

    @property
    def at(self) -> SendAt:
        return SendAt(self.call_id, self.sends, self.lookups)


@dataclass(frozen=True)
class GiveUp:
    """The submission was sent `MAX_SENDS` times without a job: its attempt has failed."""

    at: SendAt
    reason: str


@dataclass(frozen=True)
class Wait:
    """A send may still be on its way in another task: look again after `delay_s`."""

    delay_s: float


def latest_submit(session: Session, scene_id: str, *, lock: bool = False) -> ProviderCall:
    """The scene's most recent submission call (the one its current attempt recorded); with `lock`, its
    row stays locked until the transaction ends."""
    query = (
        select(ProviderCall)
        .where(ProviderCall.scene_id == scene_id, ProviderCall.operation == SUBMIT)
        .order_by(ProviderCall.id.desc())
        .limit(1)
    )
    call = session.scalars(query.with_for_update() if lock else query).first()
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


def seconds_until_silent(settings: Settings, call: ProviderCall) -> float:
    """Seconds until the call's send counts as gone (its task's heartbeat stopped); 0 or less: gone."""
    assert call.sent_at is not None
    return settings.stale_after_s - (utcnow() - call.sent_at).total_seconds()


def next_step(settings: Settings, session: Session, scene_id: str) -> Send | Lookup | GiveUp | Wait:
    """What a task finding the scene submitting does: send (counted here), look up, wait, or fail the
    attempt (its sends used up)."""
    call = latest_submit(session, scene_id, lock=True)
    now = utcnow()
    if call.sent_at is not None and call.provider.partition(":")[0] not in KEYED_PROVIDERS:
        if call.uncertain_at is None:
            # No task said how the send ended: it is on its way (its heartbeat fresh), or its task died.
            remaining = seconds_until_silent(settings, call)
            if remaining > 0:
                return Wait(remaining)
            call.uncertain_at = now
            call.error_message = "the task sending this submission stopped before it was answered"
        call.lookups += 1
        reason = call.error_message or "the outcome of the submission is unknown"
        return Lookup(call.id, call.provider, call.sends, call.lookups, reason)
    # Settled sends used up (ours, keyed, are sent again while one is unsettled: that is free and safe).
    if call.sends >= MAX_SENDS and call.sent_at is None:
        return GiveUp(SendAt(call.id, call.sends), sends_used_up(call.sends))
    call.sends += 1
    call.sent_at, call.uncertain_at, call.lookups = now, None, 0
    return Send(call.id, call.provider, call.sends, call.idempotency_key, call.webhook_token)


def sends_used_up(sends: int) -> str:
    """Why an attempt whose submission was sent `sends` times without a job failed."""
    return f"the submission was sent {sends} times without an answer"


def beat_send(session: Session, call_id: int, sends: int) -> bool:
    """Refresh the record of the call's `sends`-th send while it is on its way; False (nothing done) if
    that send is no longer the one in flight, or was given up for lost and is being looked up."""
    done = session.execute(
        update(ProviderCall)
        .where(
            ProviderCall.id == call_id,
            ProviderCall.sends == sends,
            ProviderCall.sent_at.is_not(None),
            ProviderCall.uncertain_at.is_(None),
        )
        .values(sent_at=utcnow())
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def mark_uncertain(session: Session, call_id: int, sends: int, reason: str) -> None:
    """Record that the call's `sends`-th send ended without telling whether a job was made (unless
    another send followed it)."""
    call = session.get(ProviderCall, call_id)
    if call is not None and call.sends == sends and call.sent_at is not None:
        call.uncertain_at = utcnow()
        call.lookups = 0
        call.error_message = reason[:2000]


def settle(session: Session, call_id: int, *, sends: int | None = None, lookups: int | None = None) -> bool:
    """Record that the call's latest send made no job (it failed certainly, or a lookup found none).

    With `sends` (and `lookups`) only if the call is still at that send (and lookup): a task whose
    knowledge is older than another's must not undo what that one started. True if recorded.
    """
    query = update(ProviderCall).where(ProviderCall.id == call_id)
    if sends is not None:
        query = query.where(ProviderCall.sends == sends)
    if lookups is not None:
        query = query.where(ProviderCall.lookups == lookups)
    done = session.execute(query.values(sent_at=None, uncertain_at=None))
    return bool(done.rowcount)  # type: ignore[attr-defined]


def settle_at(session: Session, scene_id: str, at: SendAt) -> bool:
    """Settle the send `at` names if it is still the scene's latest submission's; True if recorded."""
    if latest_submit(session, scene_id).id != at.call_id:
        return False
    return settle(session, at.call_id, sends=at.sends, lookups=at.lookups)
