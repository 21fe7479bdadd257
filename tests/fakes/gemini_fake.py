"""A fake Gemini API (base `{url}/v1beta`): generateContent (JSON text, images) and the Interactions API.

Shapes follow python-genai 3.6: `types.GenerateContentResponse` (with `modelVersion` and
`modelStatus`), and `_gaos/types/interactions` for interactions — `CreateModelInteraction` in,
`Interaction` out, the clip a `video` content block of a `model_output` step, inline or by URI.
Interactions run in the background only; they can be cancelled while unfinished. Like the real API,
the fake refuses fields it does not know, so a misspelt field is a 400 here too.

An interaction's `input` is what `InteractionsInput` allows: a string, one content block, a list of
content blocks, or a list of steps (`{"type": "user_input", "content": [...]}`, the form the SDK's
client sends a list of blocks in). Errors of the Interactions API carry a string `code`
(`_gaos/types/interactions/error.py`; values as in python-genai's own tests, e.g. "invalid_argument"),
unlike generateContent's numeric `code` with a `status`.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from tests.fakes.llm import schema_reply
from tests.fakes.media import image_bytes
from tests.fakes.server import CdnServer, FakeJob, FakeServer, Recorded, Reply

# CreateModelInteraction's fields (python-genai `_gaos/types/interactions/createmodelinteraction.py`).
CREATE_FIELDS = frozenset({
    "model", "background", "cached_content", "continuation_token", "environment", "generation_config",
    "input", "labels", "previous_interaction_id", "response_format", "response_mime_type",
    "response_modalities", "safety_settings", "service_tier", "store", "stream", "system_instruction",
    "tools", "webhook_config",
})  # fmt: skip
VIDEO_FORMAT_FIELDS = frozenset({"type", "aspect_ratio", "delivery", "duration", "gcs_uri", "resolution"})
TASKS = frozenset({"text_to_video", "image_to_video", "reference_to_video", "edit", "extend", "upscale"})
RESOLUTIONS = frozenset({"360p", "720p", "1080p", "4k"})
# Seconds each video model makes (3-10 s for 1.1, 3-15 s reported for 1.2).
VIDEO_SECONDS = {"gemini-omni-1.1-flash": (3, 10), "gemini-omni-1.2-flash": (3, 15)}
_DURATION = re.compile(r"^(\d+)s$")


def _error(code: int, status: str, message: str) -> Reply:
    return Reply(code, {"error": {"code": code, "message": message, "status": status}})


def _bad(message: str) -> Reply:
    return _error(400, "INVALID_ARGUMENT", message)


def _interaction_error(status: int, code: str, message: str) -> Reply:
    """An error of the Interactions API: `{"error": {"code": "invalid_argument", "message": …}}`."""
    return Reply(status, {"error": {"code": code, "message": message}})


class GeminiFake(FakeServer):
    """Speaks the Gemini API's JSON; URI deliveries redirect to a separate CDN origin.

    Like the API, it ignores an Idempotency-Key header: every create is a new interaction.
    """

    honours_idempotency_key = False

    def __init__(self, video: bytes, cdn: CdnServer, *, key: str = "gm-test", polls_needed: int = 3) -> None:
        super().__init__(polls_needed=polls_needed)
        self.key = key
        self.video = video
        self.cdn = cdn
        self.delivery_override: str | None = None  # answer "inline" or "uri" whatever was asked
        # A fixed reply for every JSON generateContent call; None = answer each schema like a model.
        self.fixed_reply: dict[str, Any] | None = None
        self.reply: dict[str, Any] = {}  # the JSON object the latest generateContent reply carried
        # What the API says per model: the model that answers a retired id, and its modelStatus.
        self.served_by: dict[str, str] = {}
        self.status: dict[str, dict[str, str]] = {}
        self.unknown_models: set[str] = set()  # ids GET /models/{id} answers 404 for
        self.cancelled: set[str] = set()
        p = "/v1beta"
        self.route("GET", f"{p}/models", "models", lambda r, m: Reply(200, {"models": []}))
        self.route("GET", rf"{p}/models/(?P<model>[^/:]+)", "model", self._model)
        self.route("POST", rf"{p}/models/(?P<model>[^/:]+):generateContent", "generate", self._generate)
        self.route("POST", f"{p}/interactions", "create_interaction", self._create)
        self.route("GET", rf"{p}/interactions/(?P<id>[^/]+)", "get_interaction", self._get)
        self.route("POST", rf"{p}/interactions/(?P<id>[^/]+)/cancel", "cancel_interaction", self._cancel)
        self.route("GET", rf"{p}/files/(?P<id>[^/:]+):download", "download", self._download)

    @property
    def base_url(self) -> str:
        """What REELSMITH_GEMINI_BASE_URL should be."""
        return f"{self.url}/v1beta"

    def check_auth(self, request: Recorded) -> Reply | None:
        """Gemini's 400 for a bad key (it does not answer 401)."""
        if request.headers.get("x-goog-api-key") != self.key:
            message = "API key not valid. Please pass a valid API key."
            if "/interactions" in request.path:
                return _interaction_error(400, "invalid_argument", message)
            return _bad(message)
        return None

    # -- models and generateContent ---------------------------------------------------------------

    def _model(self, request: Recorded, match: re.Match[str]) -> Reply:
        if match["model"] in self.unknown_models:
            return _error(404, "NOT_FOUND", f"models/{match['model']} is not found for API version v1beta")
        return Reply(200, {"name": f"models/{match['model']}", "displayName": match["model"]})

    def _served(self, model: str) -> dict[str, Any]:
        """The reply fields that say which model answered and its stage."""
        return {
            "modelVersion": self.served_by.get(model, model),
            "modelStatus": self.status.get(model, {"modelStage": "STABLE"}),
        }

    def _generate(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        if self.refuses(body["contents"]):
            return Reply(
                200, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, **self._served(match["model"])}
            )
        config = body.get("generationConfig") or {}
        if "IMAGE" in (config.get("responseModalities") or []):
            parts: list[dict[str, Any]] = [{"inlineData": {
                "mimeType": "image/png", "data": base64.b64encode(image_bytes("PNG")).decode(),
            }}]  # fmt: skip
            finish = "STOP"
        elif config.get("maxOutputTokens") == 1:
            parts, finish = [{"text": "O"}], "MAX_TOKENS"
        else:
            if "responseSchema" in config and "responseJsonSchema" in config:
                return _bad("responseSchema and responseJsonSchema cannot both be set")
            self.reply = self.fixed_reply or self._answer(body)
            parts, finish = [{"text": json.dumps(self.reply)}], "STOP"
        return Reply(200, {
            "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish}],
            "usageMetadata": {"promptTokenCount": 80, "candidatesTokenCount": 30, "totalTokenCount": 110},
            **self._served(match["model"]),
        })  # fmt: skip

    @staticmethod
    def _answer(body: dict[str, Any]) -> dict[str, Any]:
        """Structured output: JSON fitting `responseJsonSchema` (or `responseSchema`) and the user's text."""
        config = body.get("generationConfig") or {}
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        user = "\n".join(
            str(part.get("text", ""))
            for content in body["contents"]
            if content.get("role", "user") == "user"
            for part in content.get("parts", [])
        )
        return schema_reply(schema or {"type": "object", "properties": {}}, user)

    # -- interactions -----------------------------------------------------------------------------

    def _create(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        problem = self._invalid(body)
        if problem:
            return _interaction_error(400, "invalid_argument", problem)
        reason = None
        if self.refuses(body["input"]):
            reason = "The request was blocked because it may violate the usage policy (celebrity likeness)."
        job = self.create_job(request, body, prefix="v1_", fail_reason=reason)
        return Reply(200, self._interaction(job, "in_progress"))

    def _invalid(self, body: dict[str, Any]) -> str | None:
        """Why the API would reject this create, or None."""
        unknown = set(body) - CREATE_FIELDS
        if unknown:
            return f"Invalid JSON payload received. Unknown name {sorted(unknown)[0]!r}"
        model = body.get("model")
        if model not in VIDEO_SECONDS:
            return f"model {model!r} does not make videos through the Interactions API"
        if body.get("background") is not True:
            return "video generation runs only with background: true"
        fmt = body.get("response_format") or {}
        if not isinstance(fmt, dict) or fmt.get("type") != "video" or set(fmt) - VIDEO_FORMAT_FIELDS:
            return (
                "response_format must be a video format (type, aspect_ratio, duration, resolution, delivery)"
            )
        if fmt.get("aspect_ratio", "16:9") not in ("16:9", "9:16"):
            return f"aspect_ratio {fmt.get('aspect_ratio')!r} is not supported"
        seconds = _DURATION.match(str(fmt.get("duration", "8s")))
        low, high = VIDEO_SECONDS[model]
        if not seconds or not low <= int(seconds[1]) <= high:
            return f"duration {fmt.get('duration')!r} must be {low}s to {high}s"
        if fmt.get("resolution", "720p") not in RESOLUTIONS or fmt.get("delivery", "uri") not in (
            "inline",
            "uri",
        ):
            return "resolution or delivery not supported"
        task = ((body.get("generation_config") or {}).get("video_config") or {}).get("task", "text_to_video")
        if task not in TASKS:
            return f"video_config.task {task!r} is not supported"
        return _invalid_input(body.get("input"))

    def _interaction(self, job: FakeJob, status: str) -> dict[str, Any]:
        body = job.body
        out: dict[str, Any] = {
            "id": job.id, "status": status, "model": self.served_by.get(body["model"], body["model"]),
            "created": "2026-11-27T10:00:00Z", "updated": "2026-11-27T10:00:05Z",
            "response_format": body.get("response_format"),
        }  # fmt: skip
        if "webhook_config" in body:
            out["webhook_config"] = body["webhook_config"]
        if status == "completed":
            out["steps"] = [
                *self._input_steps(body),
                {"type": "model_output", "content": [self._video_block(job)]},
            ]
            out["usage"] = {"total_input_tokens": 12, "total_output_tokens": 4000, "total_tokens": 4012}
        elif status == "failed":
            out["steps"] = self._input_steps(body)
            out["errors"] = [{"code": "https://ai.google.dev/errors/safety", "message": job.fail_reason}]
        return out

    @staticmethod
    def _input_steps(body: dict[str, Any]) -> list[dict[str, Any]]:
        """The interaction's input as the steps it opens with."""
        given = body["input"]
        if isinstance(given, str):
            return [{"type": "user_input", "content": [{"type": "text", "text": given}]}]
        if isinstance(given, dict):
            return [{"type": "user_input", "content": [given]}]
        if all(_is_step(item) for item in given):
            return list(given)
        return [{"type": "user_input", "content": given}]

    def _video_block(self, job: FakeJob) -> dict[str, Any]:
        delivery = self.delivery_override or job.body["response_format"].get("delivery", "uri")
        if delivery == "inline":
            return {"type": "video", "mime_type": "video/mp4", "data": base64.b64encode(self.video).decode()}
        return {
            "type": "video",
            "mime_type": "video/mp4",
            "uri": f"{self.base_url}/files/{job.id}:download?alt=media",
        }

    def _get(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None:
            return _interaction_error(404, "not_found", "interaction not found")
        if job.id in self.cancelled:
            return Reply(200, self._interaction(job, "cancelled"))
        if job.step() != "done":
            return Reply(200, self._interaction(job, "in_progress"))
        return Reply(200, self._interaction(job, "failed" if job.fail_reason else "completed"))

    def _cancel(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None:
            return _interaction_error(404, "not_found", "interaction not found")
        if job.polls >= job.polls_needed:
            return _interaction_error(400, "failed_precondition", "the interaction has already finished")
        self.cancelled.add(job.id)
        return Reply(200, self._interaction(job, "cancelled"))

    def _download(self, request: Recorded, match: re.Match[str]) -> Reply:
        if request.query.get("alt") != "media":
            return _bad("alt=media required")
        url = self.cdn.publish(f"{match['id']}.mp4", self.video, "video/mp4")
        return Reply(302, b"", {"Location": url})


STEP_TYPES = frozenset({"user_input", "model_output"})


def _is_step(item: object) -> bool:
    return isinstance(item, dict) and item.get("type") in STEP_TYPES


def _invalid_input(given: object) -> str | None:
    """Why an interaction's `input` is malformed, or None: a string, a content block, a list of content
    blocks, or a list of steps each holding a list of content blocks."""
    if isinstance(given, str):
        return None if given.strip() else "input must not be empty"
    if isinstance(given, dict):
        return _invalid_blocks([given])
    if not isinstance(given, list) or not given:
        return "input must be a string, a content block, or a list of content blocks or of steps"
    if not any(_is_step(item) for item in given):
        return _invalid_blocks(given)
    for step in given:
        if not _is_step(step):
            return f"{step!r} is not a step: a list of steps cannot hold bare content blocks"
        problem = _invalid_blocks(step.get("content"))
        if problem:
            return problem
    return None


def _invalid_blocks(blocks: object) -> str | None:
    """Why a list of content blocks is malformed (only text and image blocks are faked), or None."""
    if not isinstance(blocks, list) or not blocks:
        return "content must be a non-empty list of content blocks"
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and isinstance(block.get("text"), str):
            continue
        if kind == "image" and (block.get("uri") or (block.get("data") and block.get("mime_type"))):
            continue
        return f"content block {block!r} is not a text block or an image with data and mime_type"
    return None
