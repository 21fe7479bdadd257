"""Asking providers to stop the jobs of a canceled or deleted generation."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from reelsmith.errors import ReelsmithError
from reelsmith.providers.base import CancellableVideoModel

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)


def cancel_provider_jobs(rt: Runtime, jobs: list[tuple[str, str]]) -> int:
    """Ask providers to stop jobs nobody wants any more (best effort); returns how many were asked."""
    asked = 0
    for provider, job_id in jobs:
        model = rt.providers.video(provider)
        if not isinstance(model, CancellableVideoModel):
            continue
        try:
            model.cancel(job_id)
            asked += 1
        except ReelsmithError as e:
            log.warning("could not cancel %s job %s: %s", provider, job_id, e.message)
    return asked
