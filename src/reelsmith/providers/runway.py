"""Runway: video tasks from text (POST /v1/text_to_video) or from a first frame (POST /v1/image_to_video),
both followed at GET /v1/tasks/{id}.

A scene with a reference image animates it; a scene without one is made from its prompt alone, on
the text endpoint, which some models do not have (gen4_turbo) and which can make fewer frame sizes
than the image endpoint (gen4.5: no 960:960). Which sizes, durations and endpoints a model has is
catalogue data (`aspects`, `text_aspects`, `needs_start_image`, `durations`); the pipeline fits
each request to it before paying, and the adapter checks again so no size Runway would refuse is
ever sent. The API cannot list tasks, so a create whose answer was lost cannot be looked up: it
stays uncertain (the pipeline does not send it again).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelsmith.providers.base import ClipRequest, JobHandle, JobState, JobStatus
from reelsmith.providers.catalogue import ModelEntry, shipped
from reelsmith.providers.fitting import aspect_refusal, fitted_duration, image_refusal, reference_plan
from reelsmith.providers.http import ProviderHttp
from reelsmith.providers.inputs import clip_prompt, data_uri, idempotency_header

POLL_S = 6.0  # what the official SDK waits between polls
# The frame size Runway names for each aspect; every model that makes an aspect takes this size.
RATIOS = {"16:9": "1280:720", "9:16": "720:1280", "1:1": "960:960"}
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
    """Clips from text, or animated from the scene's first reference image."""

    name = "runway"

    def __init__(self, http: ProviderHttp, model: str, entry: ModelEntry | None = None) -> None:
        self.http = http
        self.model = model
        # The registry's entry includes the user's catalogue; alone, the shipped one is the reference.
        self.entry = entry or shipped().entry("runway", model, "video")

    def submit(self, request: ClipRequest) -> JobHandle:
        """Create a text_to_video task, or an image_to_video one from the first reference image."""
        self.http.check_configured()
        entry = self.entry
        seconds = fitted_duration(entry, request.duration_s)
        plan = reference_plan(entry, request.aspect, seconds, len(request.reference_images))
        # As in fitting: any image the model takes makes it an image_to_video task (its first frame).
        with_image = plan.used > 0
        refusal = aspect_refusal(entry, request.aspect, with_image=with_image) or image_refusal(
            entry, with_image
        )
        if refusal is None and request.aspect not in RATIOS:
            refusal = f"Runway names no frame size for {request.aspect} clips"
        if refusal:
            raise self.http.fail(refusal, permanent=True)
        body: dict[str, Any] = {"model": self.model}
        if with_image:
            body["promptImage"] = data_uri(request.reference_images[0], provider=self.name)
        body["promptText"] = utf16_prefix(clip_prompt(request), MAX_PROMPT_UNITS)
        body["ratio"] = RATIOS[request.aspect]
        body["duration"] = max(1, round(seconds))
        if entry.fields.seed:  # the Gemini Omni models take no seed
            body["seed"] = request.seed % 4_294_967_296
        path = "v1/image_to_video" if with_image else "v1/text_to_video"
        headers = idempotency_header(request.idempotency_key)
        task = self.http.json("POST", path, json_body=body, headers=headers, creates=True)
        if not task.get("id"):
            raise self.http.uncertain(f"{path.removeprefix('v1/')} returned no id")
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
