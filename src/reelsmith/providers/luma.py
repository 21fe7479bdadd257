"""Luma Dream Machine: POST /generations → GET /generations/{id} (queued|dreaming|completed|failed).

Reference images are *not* sent: Luma's keyframes take an image URL that its servers fetch, and
Reelsmith's references are local files with no public URL (a data URI is not documented as
accepted). Scenes with references still render here, from the prompt alone; Runway, Veo or Sora
use the references when they matter.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from reelsmith.providers.base import ClipRequest, JobHandle, JobState, JobStatus
from reelsmith.providers.http import ProviderHttp, looks_like_policy
from reelsmith.providers.inputs import clip_prompt, nearest

log = logging.getLogger(__name__)

POLL_S = 5.0
SECONDS = (5, 9)
_STATES: dict[str, JobState] = {
    "queued": "queued",
    "dreaming": "running",
    "completed": "succeeded",
    "failed": "failed",
}


class LumaVideoModel:
    """Text-to-video clips from Ray 2 / Ray Flash 2."""

    name = "luma"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model

    def submit(self, request: ClipRequest) -> JobHandle:
        """Create the generation."""
        if request.reference_images:
            log.info("luma: scene %d has reference images; Luma gets the prompt only", request.scene_index)
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": clip_prompt(request),
            "aspect_ratio": request.aspect,
            "resolution": "720p",
            "duration": f"{nearest(request.duration_s, SECONDS)}s",
        }
        if request.webhook_url:
            body["callback_url"] = request.webhook_url
        headers = {"Idempotency-Key": request.idempotency_key} if request.idempotency_key else {}
        generation = self.http.json("POST", "generations", json_body=body, headers=headers)
        if not generation.get("id"):
            raise self.http.fail("the generation has no id")
        return JobHandle(external_id=str(generation["id"]), poll_after_s=POLL_S)

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


def _video(generation: dict[str, Any]) -> str | None:
    assets = generation.get("assets")
    url = assets.get("video") if isinstance(assets, dict) else None
    return url if isinstance(url, str) and url else None
