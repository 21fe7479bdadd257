"""Runway: image-to-video tasks (POST /v1/image_to_video → GET /v1/tasks/{id}).

Runway animates a first frame, so a scene without a reference image cannot run here: that is a
permanent error, which moves the scene to the next provider of the chain. Each model has its own
frame sizes and durations (veo3.1 makes no 960:960). The API cannot list tasks, so a create whose
answer was lost cannot be looked up: it stays uncertain (the pipeline does not send it again).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelsmith.providers.base import ClipRequest, JobHandle, JobState, JobStatus
from reelsmith.providers.http import ProviderHttp
from reelsmith.providers.inputs import clip_prompt, data_uri, nearest

POLL_S = 6.0  # what the official SDK waits between polls
RATIOS = {"16:9": "1280:720", "9:16": "720:1280", "1:1": "960:960"}
# Models that cannot make every one of RATIOS' frame sizes.
MODEL_RATIOS = {
    "veo3.1": {"16:9": "1280:720", "9:16": "720:1280"},
    "veo3.1_fast": {"16:9": "1280:720", "9:16": "720:1280"},
    "veo3": {"16:9": "1280:720", "9:16": "720:1280"},
    "gemini_omni_flash": {"16:9": "1280:720", "9:16": "720:1280"},
}
# Durations each model accepts; a model not named here takes the (already fitted) whole seconds.
SECONDS = {
    "gen4.5": tuple(range(2, 11)),
    "gen4_turbo": (5, 10),
    "gen3a_turbo": (5, 10),
    "veo3": (8,),
    "veo3.1": (4, 6, 8),
    "veo3.1_fast": (4, 6, 8),
    "gemini_omni_flash": tuple(range(3, 11)),
}
_STATES: dict[str, JobState] = {
    "PENDING": "queued",
    "THROTTLED": "queued",
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "CANCELLED": "failed",
}
# promptText is limited to 1000 UTF-16 code units (an emoji counts two).
MAX_PROMPT_UNITS = 1000


def utf16_prefix(text: str, units: int) -> str:
    """The longest prefix of `text` of at most `units` UTF-16 code units (never half a pair)."""
    encoded = text.encode("utf-16-le")
    if len(encoded) <= 2 * units:
        return text
    return encoded[: 2 * units].decode("utf-16-le", errors="ignore")


class RunwayVideoModel:
    """Clips animated from the scene's first reference image."""

    name = "runway"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model

    def submit(self, request: ClipRequest) -> JobHandle:
        """Create the image_to_video task from the first reference image (as a data URI)."""
        self.http.check_configured()
        if not request.reference_images:
            raise self.http.fail(
                "image_to_video needs a reference image and this scene has none", permanent=True
            )
        ratios = MODEL_RATIOS.get(self.model, RATIOS)
        if request.aspect not in ratios:
            raise self.http.fail(f"{self.model} cannot make {request.aspect} clips", permanent=True)
        allowed = SECONDS.get(self.model)
        body: dict[str, Any] = {
            "model": self.model,
            "promptImage": data_uri(request.reference_images[0], provider=self.name),
            "promptText": utf16_prefix(clip_prompt(request), MAX_PROMPT_UNITS),
            "ratio": ratios[request.aspect],
            "duration": nearest(request.duration_s, allowed)
            if allowed
            else max(1, round(request.duration_s)),
            "seed": request.seed % 4_294_967_296,
        }
        headers = {"Idempotency-Key": request.idempotency_key} if request.idempotency_key else {}
        task = self.http.json("POST", "v1/image_to_video", json_body=body, headers=headers, creates=True)
        if not task.get("id"):
            raise self.http.uncertain("image_to_video returned no id")
        return JobHandle(external_id=str(task["id"]), poll_after_s=POLL_S)

    def cancel(self, external_id: str) -> None:
        """DELETE /v1/tasks/{id} (cancels a running task)."""
        self.http.request("DELETE", f"v1/tasks/{external_id}")

    def poll(self, external_id: str) -> JobStatus:
        """Map the task's status; a `SAFETY.*` failure code is permanent."""
        task = self.http.json("GET", f"v1/tasks/{external_id}")
        state = _STATES.get(str(task.get("status")), "running")
        progress = max(0.0, min(1.0, float(task.get("progress") or 0.0)))
        if state == "failed":
            code = str(task.get("failureCode") or "")
            reason = str(task.get("failure") or f"task {str(task.get('status')).lower()}")
            return JobStatus(
                "failed", progress, reason=f"{reason} ({code})" if code else reason,
                permanent=code.startswith("SAFETY") or code.startswith("INPUT_PREPROCESSING.SAFETY"),
            )  # fmt: skip
        if state == "succeeded":
            if not _output(task):
                return JobStatus("failed", reason="the task succeeded without an output")
            return JobStatus("succeeded", 1.0, poll_after_s=0.0)
        return JobStatus(state, progress, poll_after_s=POLL_S)

    def fetch(self, external_id: str, dest: Path) -> None:
        """Download the task's first output URL (pre-signed: sent without our key)."""
        url = _output(self.http.json("GET", f"v1/tasks/{external_id}"))
        if not url:
            raise self.http.fail(f"task {external_id} has no output yet")
        self.http.download(url, dest)


def _output(task: dict[str, Any]) -> str | None:
    output = task.get("output")
    first = output[0] if isinstance(output, list) and output else None
    return first if isinstance(first, str) and first else None
