"""Gemini clips through the Interactions API (Gemini Omni): a background interaction, polled.

`POST /interactions` with `background: true` returns at once with the interaction's id (the prompt
is the `input` string; with images, one `user_input` step holding text and image blocks); `GET
/interactions/{id}` reports `status` until it is completed (or failed, cancelled, incomplete,
budget_exceeded); the clip is a `video` content block of the last `model_output` step, either inline
base64 `data` or a `uri` to download with the API key; `POST /interactions/{id}/cancel` stops it.
Shapes follow python-genai's `_gaos/types/interactions` (CreateModelInteraction, Interaction,
VideoResponseFormat, VideoConfig, WebhookConfig).

The API cannot list interactions, nor take an id or a searchable tag chosen by the caller, so an
interaction whose create reply was lost cannot be looked up: this adapter has no `reconcile`.
A webhook (`webhook_config.uris`) is asked for when the pipeline hands over a webhook URL; its body is
never trusted (it only makes the pipeline poll sooner), so the JWT signature Gemini puts on
per-request webhooks is not needed to keep a forged call harmless.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reelsmith.providers.base import ClipRequest, JobHandle, JobState, JobStatus
from reelsmith.providers.body import frame_aspect
from reelsmith.providers.catalogue import ModelEntry
from reelsmith.providers.fitting import fitted_duration, reference_plan
from reelsmith.providers.http import ProviderHttp, looks_like_policy, write_atomic
from reelsmith.providers.inputs import clip_prompt, idempotency_header, image_base64

log = logging.getLogger(__name__)

PROTOCOL = "interactions"
POLL_S = 10.0
# The resolution prices are quoted at; a model that lists others still gets this one when it has it.
RESOLUTION = "720p"
_STATES: dict[str, JobState] = {"queued": "queued", "in_progress": "running", "completed": "succeeded"}
# Terminal states that a retry on the same provider will not change.
_PERMANENT = frozenset({"cancelled", "budget_exceeded"})
_FAILED = frozenset({"failed", "cancelled", "incomplete", "budget_exceeded"})


class GeminiVideoModel:
    """Gemini Omni clips: background interaction → poll → video content block."""

    name = "gemini"

    def __init__(self, http: ProviderHttp, model: str, entry: ModelEntry) -> None:
        self.http = http
        self.model = model
        self.entry = entry

    def body(self, request: ClipRequest) -> dict[str, Any]:
        """The create request for one clip (CreateModelInteraction)."""
        entry = self.entry
        aspect = frame_aspect(entry, request.aspect)
        seconds = fitted_duration(entry, request.duration_s)
        response_format: dict[str, Any] = {
            "type": "video",
            "aspect_ratio": aspect,
            # A protobuf Duration travels as a string of seconds with an "s" suffix.
            "duration": f"{round(seconds)}s",
            # A URI keeps polls small; an inline clip would ride in every completed GET.
            "delivery": "uri",
        }
        resolutions = entry.capabilities.resolutions
        if not resolutions or RESOLUTION in resolutions:
            response_format["resolution"] = RESOLUTION
        refs = request.reference_images
        plan = reference_plan(entry, aspect, seconds, len(refs))
        images = refs[: plan.as_references] if plan.as_references else refs[:1] if plan.as_start else ()
        prompt = clip_prompt(request)
        task = "text_to_video"
        given: str | list[dict[str, Any]] = prompt
        if images:
            task = "reference_to_video" if plan.as_references else "image_to_video"
            blocks: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
            for path in images:
                data, mime = image_base64(path, provider=self.name)
                blocks.append({"type": "image", "data": data, "mime_type": mime})
            # Text with images travels as one user_input step, the form python-genai's client wraps
            # a list of content blocks in before sending it.
            given = [{"type": "user_input", "content": blocks}]
        body: dict[str, Any] = {
            "model": self.model,
            "input": given,
            "response_format": response_format,
            "generation_config": {"video_config": {"task": task}},
            "background": True,
        }
        if request.webhook_url:
            body["webhook_config"] = {"uris": [request.webhook_url]}
        return body

    def submit(self, request: ClipRequest) -> JobHandle:
        """Start a background interaction; its id is the job id."""
        if self.entry.protocol not in ("", PROTOCOL):
            raise self.http.fail(
                f"{self.model} is called through {self.entry.protocol}, which the Gemini API no longer "
                "serves; Gemini clips are made through the Interactions API (gemini-omni-*)",
                permanent=True,
            )
        reply = self.http.json(
            "POST",
            "interactions",
            json_body=self.body(request),
            headers=idempotency_header(request.idempotency_key),
            creates=True,
        )
        if not reply.get("id"):
            raise self.http.uncertain("the interaction's create reply has no id")
        return JobHandle(external_id=str(reply["id"]), poll_after_s=POLL_S)

    def poll(self, external_id: str) -> JobStatus:
        """Map the interaction's status; a completed one must hold a video."""
        interaction = self.http.json("GET", f"interactions/{external_id}")
        status = str(interaction.get("status") or "")
        served = self._served(interaction)
        if status in _FAILED:
            reason = _failure(interaction, status)
            permanent = status in _PERMANENT or looks_like_policy(reason)
            return JobStatus("failed", reason=reason, permanent=permanent, served_model=served)
        state = _STATES.get(status, "running")
        if state == "succeeded":
            if output_video(interaction) is None:
                return JobStatus(
                    "failed", reason="the interaction completed without a video", served_model=served
                )
            return JobStatus("succeeded", 1.0, poll_after_s=0.0, served_model=served)
        return JobStatus(state, poll_after_s=POLL_S, served_model=served)

    def fetch(self, external_id: str, dest: Path) -> None:
        """Write the clip: decode inline data, or download the URI (with the key on Google's origin)."""
        video = output_video(self.http.json("GET", f"interactions/{external_id}"))
        if video is None:
            raise self.http.fail(f"interaction {external_id} has no video yet")
        if video.get("uri"):
            self.http.download(str(video["uri"]), dest, follow_redirects=True)
            return
        try:
            write_atomic(dest, base64.b64decode(str(video.get("data", "")), validate=True))
        except binascii.Error as e:
            raise self.http.fail("the video's inline data is not valid base64") from e

    def cancel(self, external_id: str) -> None:
        """POST /interactions/{id}/cancel (a finished interaction is left as it is)."""
        self.http.request("POST", f"interactions/{external_id}/cancel")

    def _served(self, interaction: Mapping[str, Any]) -> str:
        """The model the interaction reports, logged when it is not the one asked for."""
        served = str(interaction.get("model") or "")
        if served and served != self.model:
            log.warning("gemini: interaction asked for %s was served by %s", self.model, served)
            return served
        return ""


def output_video(interaction: Mapping[str, Any]) -> dict[str, Any] | None:
    """The clip of an interaction: the last video block of its trailing model outputs (as the SDK's
    `output_video`), or None."""
    steps = interaction.get("steps") or []
    for step in reversed(steps if isinstance(steps, list) else []):
        if not isinstance(step, dict) or step.get("type") == "user_input":
            break
        if step.get("type") != "model_output":
            continue
        for block in reversed(step.get("content") or []):
            if (
                isinstance(block, dict)
                and block.get("type") == "video"
                and (block.get("uri") or block.get("data"))
            ):
                return block
    return None


def _failure(interaction: Mapping[str, Any], status: str) -> str:
    """The provider's words for why an interaction ended without a clip."""
    messages: list[str] = []
    for err in interaction.get("errors") or []:
        if isinstance(err, dict) and err.get("message"):
            messages.append(str(err["message"]))
    for step in interaction.get("steps") or []:
        err = step.get("error") if isinstance(step, dict) else None
        if isinstance(err, dict) and err.get("message"):
            messages.append(str(err["message"]))
    return "; ".join(messages) or f"the interaction ended {status.replace('_', ' ')}"
