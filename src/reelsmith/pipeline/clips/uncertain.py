"""A submission that may have reached the provider: find the job it made, or never pay for it twice.

No provider honours an idempotency key, so a create that timed out after sending, lost its
connection after the body, got a 5xx or an unreadable 2xx may have started (and will bill) a job.
Such a send is not sent again. The adapter's `reconcile` (providers whose jobs can be listed: it
finds the job by a marker the adapter put in the create) is asked instead:

- it finds the job → the scene goes on with it;
- it finds none, twice, `LOOKUP_DELAY_S` apart (a listing may lag behind a create) → the
  provider's own records say nothing was made, so the same submission is sent again;
- it cannot be asked (the adapter has no `reconcile`, or the lookups keep failing) → the scene
  fails with "submission uncertain", without a retry or a failover (either could pay twice), and
  the generation's unrendered clips are refunded — unless `resubmit_uncertain` accepts the risk,
  in which case the failure is an ordinary transient one.

Our own renderer (`local`) returns the job it already has for a repeated key, so it is simply resent.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from reelsmith.db.models import ProviderCall, Scene
from reelsmith.errors import ProviderError
from reelsmith.pipeline.clips.failover import handle_failure
from reelsmith.pipeline.clips.request import clip_request, fitted_request
from reelsmith.pipeline.clips.store import store_job
from reelsmith.pipeline.clips.submissions import (
    KEYED_PROVIDERS,
    MAX_SENDS,
    Lookup,
    Send,
    earlier_jobs,
    mark_uncertain,
    sends_used_up,
    settle,
)
from reelsmith.pipeline.clips.webhooks import webhook_url_for
from reelsmith.providers.base import Reconcilable
from reelsmith.providers.registry import split_item

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

# Between the lookups that must both find nothing before a submission is sent again.
LOOKUP_DELAY_S = 1.0
# Lookups that must find nothing before the provider's records count as "no job".
LOOKUPS_FOR_ABSENCE = 2
# Lookups that fail (the provider cannot be asked) before the submission is given up as uncertain.
MAX_LOOKUPS = 5
# What the scene and the generation show.
UNCERTAIN = (
    "submission uncertain: the provider may have started this clip and could not be asked; "
    "it was not sent again so that it is not paid for twice"
)


def note_uncertain(rt: Runtime, scene_id: str, send: Send, reason: str) -> None:
    """Record that a send ended without telling whether a job was made, and look it up shortly."""
    with rt.db.write() as session:
        mark_uncertain(session, send.call_id, send.sends, reason)
    rt.dispatch.submit_scene(scene_id, LOOKUP_DELAY_S)


def look_up(rt: Runtime, scene_id: str, lookup: Lookup) -> None:
    """Find the job an uncertain send made and go on with it, send again, or give up (module docstring)."""
    provider = lookup.provider
    if split_item(provider)[0] in KEYED_PROVIDERS:
        _send_again(rt, scene_id, lookup)
        return
    model = rt.providers.video(provider)
    if not isinstance(model, Reconcilable):
        _give_up(rt, scene_id, lookup, f"{lookup.reason} ({provider} cannot list its jobs)")
        return
    with rt.db.read() as session:
        call_key = _call_key(session, scene_id, lookup.call_id)
        earlier = earlier_jobs(session, scene_id, lookup.call_id)
    if call_key is None:
        return
    request = clip_request(rt, scene_id, call_key[0], webhook_url_for(rt, provider, call_key[1]))
    if request is None:
        return
    try:
        handle = model.reconcile(fitted_request(rt, provider, request).request)
    except ProviderError as e:
        if e.permanent or lookup.lookups >= MAX_LOOKUPS:
            _give_up(rt, scene_id, lookup, f"{lookup.reason}; looking the job up failed: {e.message}")
        else:
            log.warning("lookup of scene %s's job failed (%s); trying again", scene_id, e.message)
            rt.dispatch.submit_scene(scene_id, e.retry_after_s or LOOKUP_DELAY_S * 2**lookup.lookups)
        return
    if handle is not None and handle.external_id not in earlier:
        log.info(
            "scene %s: the uncertain submission made job %s; going on with it", scene_id, handle.external_id
        )
        if store_job(rt, scene_id, lookup.call_id, provider, handle.external_id):
            rt.dispatch.poll_scene(scene_id, handle.poll_after_s)
        return
    if handle is not None:
        log.info("scene %s: the job found, %s, is an earlier attempt's", scene_id, handle.external_id)
    if lookup.lookups < LOOKUPS_FOR_ABSENCE:
        rt.dispatch.submit_scene(scene_id, LOOKUP_DELAY_S)
        return
    log.info("scene %s: %s has no job for the uncertain submission; sending it again", scene_id, provider)
    _send_again(rt, scene_id, lookup)


def _call_key(session: Session, scene_id: str, call_id: int) -> tuple[str, str | None] | None:
    """(idempotency key, webhook token) of the call's sends; None when the scene is gone."""
    call = session.get(ProviderCall, call_id)
    if call is None or session.get(Scene, scene_id) is None:
        return None
    return call.idempotency_key, call.webhook_token


def _send_again(rt: Runtime, scene_id: str, lookup: Lookup) -> None:
    """The provider made no job: the next task sends the same submission again (a counted send), or,
    with its sends used up, the attempt fails.

    Only if nothing happened to the submission since this lookup began: a task that looked at the
    same time, or sent since, has the newer knowledge.
    """
    if lookup.sends >= MAX_SENDS:
        handle_failure(rt, scene_id, sends_used_up(lookup.sends), permanent=False, at=lookup.at)
        return
    with rt.db.write() as session:
        if not settle(session, lookup.call_id, sends=lookup.sends, lookups=lookup.lookups):
            return
    rt.dispatch.submit_scene(scene_id)


def _give_up(rt: Runtime, scene_id: str, lookup: Lookup, reason: str) -> None:
    """No lookup can tell: fail the scene as uncertain (as a transient failure if the setting allows)."""
    detail = f"submission uncertain: {reason}"
    if rt.settings.resubmit_uncertain:
        log.warning("scene %s: %s; submitting again as resubmit_uncertain allows", scene_id, detail)
        handle_failure(rt, scene_id, detail, permanent=False, at=lookup.at)
        return
    handle_failure(rt, scene_id, detail, permanent=True, plain=UNCERTAIN, final=True, at=lookup.at)
