"""Luma Dream Machine (ray-2, ray-flash-2): POST /generations/video → GET /generations/{id}.

States are queued | dreaming | completed | failed (lumaai SDK `types/generation.py`). Reference images
are *not* sent: Dream Machine's keyframes take an image URL its servers fetch, and Reelsmith's
references are local files with no public URL. The current Luma surface is the Agents API
(luma_agents.py), which takes an inline start frame.

An uncertain create can be reconciled: GET /generations lists recent generations with the request
each was made from, so ours is found by the marker its callback URL carries (`ref=`, derived from the
idempotency key) or, without a webhook, by the identical request it echoes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from reelsmith.providers.base import ClipRequest, JobHandle, JobState, JobStatus
from reelsmith.providers.body import frame_aspect
from reelsmith.providers.catalogue import ModelEntry
from reelsmith.providers.fitting import fitted_duration
from reelsmith.providers.http import ProviderHttp, looks_like_policy
from reelsmith.providers.inputs import clip_prompt, idempotency_header

log = logging.getLogger(__name__)

POLL_S = 5.0
RESOLUTION = "720p"
# How far back reconcile looks: an uncertain create is looked up within minutes of sending it.
RECENT = 100
_STATES: dict[str, JobState] = {
    "queued": "queued",
    "dreaming": "running",
    "completed": "succeeded",
    "failed": "failed",
}


def marker(idempotency_key: str) -> str:
    """A short opaque tag naming one create, derived from its idempotency key."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


def tagged_url(url: str, tag: str) -> str:
    """`url` with `ref=tag` added to its query (the webhook route ignores the query)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    query["ref"] = [tag]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


class LumaVideoModel:
    """Text-to-video clips from the Dream Machine API."""

    name = "luma"

    def __init__(self, http: ProviderHttp, model: str, entry: ModelEntry) -> None:
        self.http = http
        self.model = model
        self.entry = entry

    def body(self, request: ClipRequest) -> dict[str, Any]:
        """The create request for one clip."""
        seconds = fitted_duration(self.entry, request.duration_s)
        body: dict[str, Any] = {
            "model": self.model,
            "generation_type": "video",
            "prompt": clip_prompt(request),
            "aspect_ratio": frame_aspect(self.entry, request.aspect),
            "resolution": RESOLUTION,
            "duration": f"{round(seconds)}s",
        }
        if request.webhook_url:
            body["callback_url"] = tagged_url(request.webhook_url, marker(request.idempotency_key))
        return body

    def submit(self, request: ClipRequest) -> JobHandle:
        """Create the generation."""
        if request.reference_images:
            log.info(
                "luma: scene %d has reference images; Dream Machine gets the prompt only", request.scene_index
            )
        generation = self.http.json(
            "POST",
            "generations/video",
            json_body=self.body(request),
            headers=idempotency_header(request.idempotency_key),
            creates=True,
        )
        if not generation.get("id"):
            raise self.http.uncertain("the generation has no id")
        return JobHandle(external_id=str(generation["id"]), poll_after_s=POLL_S)

    def reconcile(self, request: ClipRequest) -> JobHandle | None:
        """The generation an earlier create of `request` started, found among the recent ones."""
        listing = self.http.json("GET", "generations", params={"limit": str(RECENT), "offset": "0"})
        wanted = self.body(request)
        for generation in listing.get("generations") or []:
            if isinstance(generation, dict) and generation.get("id") and _same_create(generation, wanted):
                return JobHandle(external_id=str(generation["id"]), poll_after_s=POLL_S)
        return None

    def cancel(self, external_id: str) -> None:
        """DELETE /generations/{id}."""
        self.http.request("DELETE", f"generations/{external_id}")

    def poll(self, external_id: str) -> JobStatus:
        """Map the generation's state; `failure_reason` is the failure's text."""
        generation = self.http.json("GET", f"generations/{external_id}")
        state = _STATES.get(str(generation.get("state")), "running")
        if state == "failed":
            reason = str(generation.get("failure_reason") or "the generation failed")
            return JobStatus("failed", reason=reason, permanent=looks_like_policy(reason))
        if state == "succeeded":
            if not _video(generation):
                return JobStatus("failed", reason="the generation completed without a video")
            return JobStatus("succeeded", 1.0, poll_after_s=0.0)
        return JobStatus(state, poll_after_s=POLL_S)

    def fetch(self, external_id: str, dest: Path) -> None:
        """Download `assets.video` (a CDN URL: sent without our key)."""
        url = _video(self.http.json("GET", f"generations/{external_id}"))
        if not url:
            raise self.http.fail(f"generation {external_id} has no video yet")
        self.http.download(url, dest)


def _same_create(generation: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether a listed generation was made from the create `wanted` would send."""
    echoed = generation.get("request")
    if not isinstance(echoed, dict):
        return False
    callback = str(wanted.get("callback_url") or "")
    if callback:
        tag = parse_qs(urlsplit(callback).query).get("ref", [""])[0]
        return parse_qs(urlsplit(str(echoed.get("callback_url") or "")).query).get("ref", [""])[0] == tag
    keys = ("model", "prompt", "aspect_ratio", "duration")
    return not echoed.get("callback_url") and all(echoed.get(k) == wanted.get(k) for k in keys)


def _video(generation: Mapping[str, Any]) -> str | None:
    assets = generation.get("assets")
    url = assets.get("video") if isinstance(assets, dict) else None
    return url if isinstance(url, str) and url else None
