"""Ending a generation that cannot finish: a reason for the user and nothing left in flight.

A failure is told twice. Error messages on generations, variants and scenes are shown wherever the
generation is (the explore feed, a public profile, the generation page), so they carry a plain reason
only: "Stitching failed", "the video provider failed". What went wrong in full (exception texts,
server paths, setting names) goes to the log and to the failed step's record, which only the owner
reads. The one exception is a provider's refusal of the content: its words are the user's to act on.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, Scene, Step, Variant, utcnow
from reelsmith.errors import ReelsmithError
from reelsmith.pipeline.billing import refresh_cost, refund_undelivered
from reelsmith.pipeline.progress import record_event
from reelsmith.providers.http import looks_like_policy
from reelsmith.vocabulary import (
    TERMINAL_STATUSES,
    UNFINISHED_SCENES,
    GenerationStatus,
    SceneStatus,
    StepStatus,
    VariantStatus,
)

log = logging.getLogger(__name__)

# Variants that keep their own ending when the generation ends.
_ENDED_VARIANTS = (VariantStatus.COMPLETED, VariantStatus.FAILED)
# Where a failed step's record keeps the full text of its failure.
STEP_ERROR = "error"
# A provider's refusal is shown as the provider put it, up to this many characters.
_MAX_REFUSAL_CHARS = 300
_REFUSAL_WORDS = ("refus", "declin", "violat")
# What marks a text as ours rather than a provider's: a file path, or a setting's NAME_LIKE_THIS.
_SERVER_DETAIL = re.compile(r"(^|[\s'\"(=:])(/|[A-Za-z]:\\)[^\s]+|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")


@dataclass(frozen=True)
class FailureText:
    """One failure, told plainly for anyone who may see the generation and in full for its owner."""

    public: str
    detail: str


def explain(error: BaseException | str, plain: str) -> FailureText:
    """Split a failure into a reason anyone may read (`plain`, or a provider's refusal) and its detail."""
    detail = _detail_of(error)
    refusal = _refusal(detail)
    return FailureText(public=refusal or plain, detail=detail)


def _detail_of(error: BaseException | str) -> str:
    """The full text of a failure: our own errors' message, any other exception with its type."""
    if isinstance(error, str):
        return error
    if isinstance(error, ReelsmithError):
        return error.message
    return f"{type(error).__name__}: {error}"


def _refusal(detail: str) -> str | None:
    """A provider's message about the content (which the user needs to see), else None."""
    lowered = detail.lower()
    if not (looks_like_policy(detail) or any(word in lowered for word in _REFUSAL_WORDS)):
        return None
    if _SERVER_DETAIL.search(detail):
        return None  # a word like "blocked" in a text that names our paths or settings is no refusal
    return detail[:_MAX_REFUSAL_CHARS]


def split_reason(reason: str) -> FailureText:
    """Split "<what> failed: <detail>" into its plain head and its detail; plain reasons stay whole."""
    head, sep, tail = reason.partition(": ")
    if not sep:
        return FailureText(public=reason, detail=reason)
    text = explain(tail, "")
    return FailureText(public=f"{head}: {text.public}" if text.public else head, detail=reason)


def fail_generation(
    session: Session,
    generation_id: str,
    reason: str,
    *,
    detail: str | None = None,
    status: GenerationStatus = GenerationStatus.FAILED,
) -> bool:
    """Mark the generation failed (or canceled) with `reason`; False if it had already ended.

    `reason` is shown to anyone who sees the generation and `detail` only to its owner. Without a
    `detail`, a reason of the form "<what> failed: <detail>" is split at its first colon.
    """
    text = FailureText(reason, detail) if detail is not None else split_reason(reason)
    gen = session.get(Generation, generation_id, with_for_update=True, populate_existing=True)
    if gen is None or gen.status in TERMINAL_STATUSES:
        return False
    if text.detail != text.public:
        log.warning("generation %s failed: %s", generation_id, text.detail)
    reason = text.public
    now = utcnow()
    gen.status = status
    gen.error_message = reason
    gen.current_step = "Canceled" if status == GenerationStatus.CANCELED else "Failed"
    gen.completed_at = now
    gen.updated_at = now
    for variant in session.scalars(select(Variant).where(Variant.generation_id == generation_id)):
        if variant.status not in _ENDED_VARIANTS:
            variant.status = status
            variant.error_message = variant.error_message or reason
            variant.updated_at = now
        for scene in variant.scenes:
            if scene.status in UNFINISHED_SCENES:
                # Stops further submissions and polls; the scene keeps its own reason if it has one.
                scene.status = SceneStatus.CANCELED
                scene.updated_at = now
    for step in session.scalars(select(Step).where(Step.generation_id == generation_id)):
        if step.status == StepStatus.RUNNING:
            step.status = StepStatus.FAILED
            step.finished_at = now
            step.output = {**(step.output or {}), STEP_ERROR: text.detail}
    session.flush()
    refunded = refund_undelivered(session, gen)
    refresh_cost(session, gen)
    record_event(
        session,
        generation_id,
        "failed" if status == GenerationStatus.FAILED else "canceled",
        {"status": status, "error": reason, "refunded_tokens": refunded},
    )
    return True


def scene_label(scene: Scene) -> str:
    """How a scene is named in messages to the user (1-based)."""
    return f"Scene {scene.index + 1}"
