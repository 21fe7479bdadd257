"""A fake OpenAI API (base `{url}/v1`): models, chat completions, image generations and the (shut-down)
Videos API, which servers that still speak it answer as OpenAI did.

Its replies pass openai-python's response types with strict validation (`ChatCompletion`,
`ImagesResponse` with its `usage`, `Model`), which tests/contracts checks.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from tests.fakes.llm import schema_reply
from tests.fakes.media import image_bytes
from tests.fakes.server import FakeServer, Recorded, Reply

VIDEO_SECONDS = {"4", "8", "12"}
VIDEO_SIZES = {"720x1280", "1280x720", "1024x1792", "1792x1024"}


def _error(status: int, message: str, code: str, kind: str = "invalid_request_error") -> Reply:
    return Reply(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})


class OpenAIFake(FakeServer):
    """Speaks OpenAI's JSON shapes; jobs advance one state per poll.

    Like OpenAI (whose SDK sends no Idempotency-Key), it ignores the header: every create is a new job.
    """

    honours_idempotency_key = False

    def __init__(self, video: bytes, *, key: str = "sk-test", polls_needed: int = 3) -> None:
        super().__init__(polls_needed=polls_needed)
        self.key = key
        self.video = video
        # A fixed reply for every chat call; None = answer each schema like a model would.
        self.fixed_reply: dict[str, Any] | None = None
        # The JSON object the latest chat reply carried.
        self.chat_reply: dict[str, Any] = {}
        self.poll_after_ms = "250"
        p = "/v1"
        # Announced shutdowns by model id, as GET /models/{id} reports them (openai-python `types/model.py`).
        self.shutdown_dates: dict[str, str] = {}
        self.unknown_models: set[str] = set()
        self.route("GET", f"{p}/models", "models", lambda r, m: Reply(200, {"object": "list", "data": []}))
        self.route("GET", f"{p}/models/(?P<id>[^/]+)", "model", self._model)
        self.route("POST", f"{p}/chat/completions", "chat", self._chat)
        self.route("POST", f"{p}/images/generations", "images", self._images)
        self.route("POST", f"{p}/videos", "create_video", self._create_video)
        self.route("GET", f"{p}/videos/(?P<id>[^/]+)", "get_video", self._get_video)
        self.route("GET", f"{p}/videos/(?P<id>[^/]+)/content", "video_content", self._content)

    @property
    def base_url(self) -> str:
        """What OPENAI_BASE_URL should be."""
        return f"{self.url}/v1"

    def check_auth(self, request: Recorded) -> Reply | None:
        """OpenAI's 401 for a missing or wrong bearer token."""
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        return None

    def _model(self, request: Recorded, match: re.Match[str]) -> Reply:
        if match["id"] in self.unknown_models:
            return _error(404, f"The model '{match['id']}' does not exist", "model_not_found")
        return Reply(200, {
            "id": match["id"], "object": "model", "created": 1700000000, "owned_by": "system",
            "shutdown_date": self.shutdown_dates.get(match["id"]),
        })  # fmt: skip

    def _chat(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        refused = self.refuses(body["messages"])
        if not refused:
            self.chat_reply = self.fixed_reply or self._answer(body)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None if refused else json.dumps(self.chat_reply),
            "refusal": "I'm sorry, I can't help with that request." if refused else None,
        }
        return Reply(200, {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1764237600,
            "model": body["model"] + "-2024-07-18",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 45, "total_tokens": 165},
        })  # fmt: skip

    @staticmethod
    def _answer(body: dict[str, Any]) -> dict[str, Any]:
        """Structured output: JSON that fits `response_format.json_schema.schema` and the user message."""
        spec = (body.get("response_format") or {}).get("json_schema") or {}
        user = "\n".join(str(m.get("content", "")) for m in body["messages"] if m.get("role") == "user")
        return schema_reply(spec.get("schema") or {"type": "object", "properties": {}}, user)

    def _images(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        if self.refuses(body["prompt"]):
            return _error(
                400, "Your request was rejected by the safety system.", "moderation_blocked",
                "image_generation_user_error",
            )  # fmt: skip
        png = base64.b64encode(image_bytes("PNG")).decode()
        usage = {
            "input_tokens": 10, "input_tokens_details": {"image_tokens": 0, "text_tokens": 10},
            "output_tokens": 272, "total_tokens": 282,
        }  # fmt: skip
        return Reply(200, {
            "created": 1764237600, "data": [{"b64_json": png}], "usage": usage,
            "output_format": body.get("output_format", "png"), "size": body.get("size", "1024x1024"),
        })  # fmt: skip

    def _create_video(self, request: Recorded, match: re.Match[str]) -> Reply:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/"):
            form = request.form()
            body: dict[str, Any] = {k: v.decode() for k, v in form.items() if k != "input_reference"}
            body["input_reference_bytes"] = len(form.get("input_reference", b""))
        else:
            body = request.json()
        if body.get("seconds") not in VIDEO_SECONDS:
            return _error(400, f"Invalid value for 'seconds': {body.get('seconds')!r}.", "invalid_value")
        if body.get("size") not in VIDEO_SIZES:
            return _error(400, f"Invalid value for 'size': {body.get('size')!r}.", "invalid_value")
        reason = (
            "Your request was blocked by our moderation system." if self.refuses(body["prompt"]) else None
        )
        job = self.create_job(request, body, prefix="video_", fail_reason=reason)
        return Reply(200, self._video_json(job.id, "queued", 0))

    def _video_json(self, video_id: str, status: str, progress: int, error: Any = None) -> dict[str, Any]:
        job = self.jobs[video_id]
        return {
            "id": video_id, "object": "video", "model": job.body.get("model"), "status": status,
            "progress": progress, "created_at": 1, "completed_at": None, "expires_at": None,
            "seconds": job.body.get("seconds"), "size": job.body.get("size"), "error": error,
        }  # fmt: skip

    def _get_video(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None:
            return _error(404, "Video not found.", "not_found")
        phase = job.step()
        headers = {"openai-poll-after-ms": self.poll_after_ms}
        if phase != "done":
            status = "queued" if phase == "queued" else "in_progress"
            return Reply(200, self._video_json(job.id, status, int(job.progress * 100)), headers)
        if job.fail_reason:
            error = {"code": "moderation_blocked", "message": job.fail_reason}
            return Reply(200, self._video_json(job.id, "failed", 0, error), headers)
        return Reply(200, self._video_json(job.id, "completed", 100), headers)

    def _content(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None or job.polls < job.polls_needed or job.fail_reason:
            return _error(404, "Video is not ready.", "not_found")
        if request.query.get("variant", "video") != "video":
            return _error(400, "only the video variant is faked", "invalid_value")
        return Reply(200, self.video, {"Content-Type": "video/mp4"})
