"""The Luma Agents API (ray-3.2): POST /generations → GET /generations/{id}.

Shapes from luma-agents-python (`types/generation_create_params.py`, `video_options_param.py`,
`generation.py`): `{prompt, model, type: "video", aspect_ratio, video: {duration "5s"|"10s",
resolution, start_frame}}`; a generation is queued | processing | completed | failed, with
`failure_code`/`failure_reason`, and its clip is the `output[]` entry of type video (a presigned URL,
valid for an hour). A start frame travels inline as base64 with its media type.

The API offers neither a list of generations, nor a cancel, nor callbacks, so this adapter has no
`reconcile` and no `cancel`, and it is always polled.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reelsmith.providers.base import ClipRequest, JobHandle, JobState, JobStatus
from reelsmith.providers.body import frame_aspect
from reelsmith.providers.catalogue import ModelEntry
from reelsmith.providers.fitting import fitted_duration, reference_plan
from reelsmith.providers.http import ProviderHttp, looks_like_policy
from reelsmith.providers.inputs import clip_prompt, idempotency_header, image_base64

PROTOCOL = "agents"
POLL_S = 5.0
RESOLUTION = "720p"
_STATES: dict[str, JobState] = {
    "queued": "queued",
    "processing": "running",
    "completed": "succeeded",
    "failed": "failed",
}
# Failure codes a retry on Luma will not fix (luma-agents `GenerationFailureCode`).
_PERMANENT_CODES = frozenset(
    {"content_moderated", "budget_exhausted", "image_too_large", "unsupported_format", "corrupt_input",
     "invalid_request"}
)  # fmt: skip


class LumaAgentsVideoModel:
    """Text- and image-to-video clips from Ray 3.2."""

    name = "luma"

    def __init__(self, http: ProviderHttp, model: str, entry: ModelEntry) -> None:
        self.http = http
        self.model = model
        self.entry = entry

    def body(self, request: ClipRequest) -> dict[str, Any]:
        """The create request for one clip."""
        entry = self.entry
        aspect = frame_aspect(entry, request.aspect)
        seconds = fitted_duration(entry, request.duration_s)
        video: dict[str, Any] = {"duration": f"{round(seconds)}s"}
        resolutions = entry.capabilities.resolutions
        if not resolutions or RESOLUTION in resolutions:
            video["resolution"] = RESOLUTION
        plan = reference_plan(entry, aspect, seconds, len(request.reference_images))
        if plan.as_start:
            data, mime = image_base64(request.reference_images[0], provider=self.name)
            video["start_frame"] = {"data": data, "media_type": mime}
        return {
            "prompt": clip_prompt(request),
            "model": self.model,
            "type": "video",
            "aspect_ratio": aspect,
            "video": video,
        }

    def submit(self, request: ClipRequest) -> JobHandle:
        """Create the generation."""
        generation = self.http.json(
            "POST",
            "generations",
            json_body=self.body(request),
            headers=idempotency_header(request.idempotency_key),
            creates=True,
        )
        if not generation.get("id"):
            raise self.http.uncertain("the generation has no id")
        return JobHandle(external_id=str(generation["id"]), poll_after_s=POLL_S)

    def poll(self, external_id: str) -> JobStatus:
        """Map the generation's state; `failure_code` decides whether a failure is permanent."""
        generation = self.http.json("GET", f"generations/{external_id}")
        state = _STATES.get(str(generation.get("state")), "running")
        if state == "failed":
            code = str(generation.get("failure_code") or "")
            reason = str(generation.get("failure_reason") or code or "the generation failed")
            if code and code not in reason:
                reason = f"{reason} ({code})"
            permanent = code in _PERMANENT_CODES or looks_like_policy(reason)
            return JobStatus("failed", reason=reason, permanent=permanent)
        if state == "succeeded":
            if not _video(generation):
                return JobStatus("failed", reason="the generation completed without a video")
            return JobStatus("succeeded", 1.0, poll_after_s=0.0)
        return JobStatus(state, poll_after_s=POLL_S)

    def fetch(self, external_id: str, dest: Path) -> None:
        """Download the video output (a presigned URL: sent without our key)."""
        url = _video(self.http.json("GET", f"generations/{external_id}"))
        if not url:
            raise self.http.fail(f"generation {external_id} has no video yet")
        self.http.download(url, dest)


def _video(generation: Mapping[str, Any]) -> str | None:
    """The URL of the generation's video output, if it has one."""
    for output in generation.get("output") or []:
        if isinstance(output, dict) and output.get("url") and str(output.get("type", "video")) == "video":
            return str(output["url"])
    return None
