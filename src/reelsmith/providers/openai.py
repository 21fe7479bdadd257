"""OpenAI: chat completions with a strict JSON schema, gpt-image-1 images and Sora 2 videos.

OpenAI announced the end of the Videos API / sora-2 for 2026-09-24 (unverified whether in force):
the video adapter is kept and works against any server speaking the protocol, but is never a default.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Any

from reelsmith.providers.base import (
    ClipRequest,
    ImageRequest,
    JobHandle,
    JobState,
    JobStatus,
    TextRequest,
    TextResult,
)
from reelsmith.providers.http import ProviderHttp, looks_like_policy, parse_json
from reelsmith.providers.inputs import clip_prompt, fitted_png, nearest, save_png

VIDEO_SECONDS = (4, 8, 12)
# Sora 2 has no square size; a 1:1 scene gets landscape and the stitcher pads it like any odd size.
VIDEO_SIZES = {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (1280, 720)}
IMAGE_SIZES = {"16:9": "1536x1024", "9:16": "1024x1536", "1:1": "1024x1024"}
_STATES: dict[str, JobState] = {
    "queued": "queued",
    "in_progress": "running",
    "completed": "succeeded",
    "failed": "failed",
}
_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]")


def _idempotency(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


class OpenAITextModel:
    """JSON replies from /chat/completions in strict json_schema mode."""

    name = "openai"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model

    def complete_json(self, request: TextRequest) -> TextResult:
        """Ask for a reply constrained to the request's schema and parse it."""
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": _SCHEMA_NAME.sub("_", request.schema_name)[:64] or "reply",
                    "schema": dict(request.schema),
                    "strict": True,
                },
            },
        }
        reply = self.http.json("POST", "chat/completions", json_body=body)
        try:
            choice = reply["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError) as e:
            raise self.http.fail("reply has no choices[0].message") from e
        if message.get("refusal"):
            raise self.http.fail(f"refused: {message['refusal']}", permanent=True)
        if choice.get("finish_reason") == "content_filter":
            raise self.http.fail("reply withheld by the content filter", permanent=True)
        raw = message.get("content") or ""
        try:
            data = json.loads(raw)
        except ValueError as e:
            raise self.http.fail(f"reply content is not JSON: {raw[:120]!r}") from e
        if not isinstance(data, dict):
            raise self.http.fail("reply content is not a JSON object")
        usage = reply.get("usage") or {}
        return TextResult(
            data=data,
            raw=raw,
            model=str(reply.get("model") or self.model),
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
        )


class OpenAIImageModel:
    """One PNG from /images/generations (gpt-image-1 always answers base64)."""

    name = "openai"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model

    def generate_image(self, request: ImageRequest, dest: Path) -> None:
        """Generate one image and write it to `dest` as PNG."""
        prompt = request.prompt
        if request.negative_prompt:
            prompt += f" Avoid: {request.negative_prompt}."
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": prompt,
            "n": 1,
            "size": IMAGE_SIZES.get(request.aspect, "1024x1024"),
            "output_format": "png",
        }
        reply = self.http.json(
            "POST", "images/generations", json_body=body, headers=_idempotency(request.idempotency_key)
        )
        try:
            data = base64.b64decode(reply["data"][0]["b64_json"], validate=True)
        except (KeyError, IndexError, TypeError, binascii.Error) as e:
            raise self.http.fail("image reply has no usable data[0].b64_json") from e
        save_png(data, dest, provider=self.name)


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
        headers = _idempotency(request.idempotency_key)
        if request.reference_images:
            # Sora wants the reference at exactly the output size, sent as a multipart file.
            png = fitted_png(request.reference_images[0], (width, height), provider=self.name)
            files = {"input_reference": ("reference.png", png, "image/png")}
            job = self.http.json("POST", "videos", data=fields, files=files, headers=headers)
        else:
            job = self.http.json("POST", "videos", json_body=fields, headers=headers)
        if not job.get("id"):
            raise self.http.fail("POST /videos returned no id")
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

    def cancel(self, external_id: str) -> None:
        """DELETE /videos/{id} (stops a queued job; removes a finished one)."""
        self.http.request("DELETE", f"videos/{external_id}")


def _poll_after(header: str | None) -> float:
    try:
        return max(0.0, float(header) / 1000.0) if header else 1.0
    except ValueError:
        return 1.0
