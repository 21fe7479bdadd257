"""Sora 2 clips through OpenAI's Videos API: POST /videos → GET /videos/{id} → GET /videos/{id}/content.

OpenAI shut the Videos API down on 2026-09-24 and has no video API now, so no catalogue entry makes
this a default and a generation choosing a shut-down model is refused before it is charged. The
protocol is kept for servers that still speak it (a user catalogue can list such a model again).
There is no `cancel`: DELETE /videos/{id} only deletes a finished or failed video, it does not stop
a running one.
"""

from __future__ import annotations

from pathlib import Path

from reelsmith.providers.base import ClipRequest, JobHandle, JobState, JobStatus
from reelsmith.providers.http import ProviderHttp, looks_like_policy, parse_json
from reelsmith.providers.inputs import clip_prompt, fitted_png, idempotency_header, nearest

VIDEO_SECONDS = (4, 8, 12)
# Sora 2 has no square size; a 1:1 scene gets landscape and the stitcher pads it like any odd size.
VIDEO_SIZES = {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (1280, 720)}
_STATES: dict[str, JobState] = {
    "queued": "queued",
    "in_progress": "running",
    "completed": "succeeded",
    "failed": "failed",
}


class OpenAIVideoModel:
    """Sora 2 clips through POST /videos → GET /videos/{id} → GET /videos/{id}/content."""

    name = "openai"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model

    def submit(self, request: ClipRequest) -> JobHandle:
        """Create the video job; the idempotency key travels as the `Idempotency-Key` header."""
        width, height = VIDEO_SIZES.get(request.aspect, VIDEO_SIZES["16:9"])
        fields = {
            "model": self.model,
            "prompt": clip_prompt(request),
            "seconds": str(nearest(request.duration_s, VIDEO_SECONDS)),
            "size": f"{width}x{height}",
        }
        headers = idempotency_header(request.idempotency_key)
        if request.reference_images:
            # Sora wants the reference at exactly the output size, sent as a multipart file.
            png = fitted_png(request.reference_images[0], (width, height), provider=self.name)
            files = {"input_reference": ("reference.png", png, "image/png")}
            job = self.http.json("POST", "videos", data=fields, files=files, headers=headers, creates=True)
        else:
            job = self.http.json("POST", "videos", json_body=fields, headers=headers, creates=True)
        if not job.get("id"):
            raise self.http.uncertain("POST /videos returned no id")
        return JobHandle(external_id=str(job["id"]), poll_after_s=1.0)

    def poll(self, external_id: str) -> JobStatus:
        """Map the job's status and progress; the server's `openai-poll-after-ms` sets the next look."""
        response = self.http.request("GET", f"videos/{external_id}")
        job = parse_json(self.http, response)
        poll_after = _poll_after(response.headers.get("openai-poll-after-ms"))
        state = _STATES.get(str(job.get("status")))
        if state is None:
            return JobStatus("running", poll_after_s=poll_after)
        progress = max(0.0, min(1.0, float(job.get("progress") or 0) / 100.0))
        if state == "failed":
            err = job.get("error") or {}
            code, message = err.get("code", ""), err.get("message") or "video generation failed"
            reason = f"{message} ({code})" if code else str(message)
            return JobStatus("failed", progress, reason=reason, permanent=looks_like_policy(code, message))
        if state == "succeeded":
            progress = 1.0
        return JobStatus(state, progress, poll_after_s=poll_after)

    def fetch(self, external_id: str, dest: Path) -> None:
        """Stream the finished MP4 to `dest`."""
        self.http.download(f"videos/{external_id}/content?variant=video", dest)


def _poll_after(header: str | None) -> float:
    try:
        return max(0.0, float(header) / 1000.0) if header else 1.0
    except ValueError:
        return 1.0
