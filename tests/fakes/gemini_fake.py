"""A fake Gemini API (base `{url}/v1beta`): generateContent and Veo long-running operations."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from tests.fakes.llm import schema_reply
from tests.fakes.server import CdnServer, FakeServer, Recorded, Reply


def _error(code: int, status: str, message: str) -> Reply:
    return Reply(code, {"error": {"code": code, "message": message, "status": status}})


class GeminiFake(FakeServer):
    """Speaks the Gemini API's JSON; operation downloads redirect to a separate CDN origin."""

    def __init__(self, video: bytes, cdn: CdnServer, *, key: str = "gm-test", polls_needed: int = 3) -> None:
        super().__init__(polls_needed=polls_needed)
        self.key = key
        self.video = video
        self.cdn = cdn
        self.inline_video = False  # answer with encodedVideo instead of a uri
        # A fixed reply for every generateContent call; None = answer each responseSchema like a model.
        self.fixed_reply: dict[str, Any] | None = None
        self.reply: dict[str, Any] = {}  # the JSON object the latest generateContent reply carried
        p = "/v1beta"
        self.route("GET", f"{p}/models", "models", lambda r, m: Reply(200, {"models": []}))
        self.route("POST", rf"{p}/models/(?P<model>[^/:]+):generateContent", "generate", self._generate)
        self.route("POST", rf"{p}/models/(?P<model>[^/:]+):predictLongRunning", "predict", self._predict)
        self.route(
            "GET", rf"{p}/models/(?P<model>[^/]+)/operations/(?P<id>[^/]+)", "operation", self._operation
        )
        self.route("GET", rf"{p}/files/(?P<id>[^/:]+):download", "download", self._download)

    @property
    def base_url(self) -> str:
        """What REELSMITH_GEMINI_BASE_URL should be."""
        return f"{self.url}/v1beta"

    def check_auth(self, request: Recorded) -> Reply | None:
        """Gemini's 400 for a bad key (it does not answer 401)."""
        if request.headers.get("x-goog-api-key") != self.key:
            return _error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
        return None

    def _generate(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        if self.refuses(body["contents"]):
            return Reply(200, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})
        self.reply = self.fixed_reply or self._answer(body)
        text = json.dumps(self.reply)
        return Reply(200, {
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 80, "candidatesTokenCount": 30, "totalTokenCount": 110},
            "modelVersion": match["model"],
        })  # fmt: skip

    @staticmethod
    def _answer(body: dict[str, Any]) -> dict[str, Any]:
        """Structured output: JSON that fits `generationConfig.responseSchema` and the user's text."""
        schema = (body.get("generationConfig") or {}).get("responseSchema")
        user = "\n".join(
            str(part.get("text", ""))
            for content in body["contents"]
            if content.get("role", "user") == "user"
            for part in content.get("parts", [])
        )
        return schema_reply(schema or {"type": "OBJECT", "properties": {}}, user)

    def _predict(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        params = body.get("parameters", {})
        if params.get("durationSeconds") not in (4, 6, 8):
            return _error(400, "INVALID_ARGUMENT", "durationSeconds must be 4, 6 or 8")
        if params.get("aspectRatio") not in ("16:9", "9:16"):
            return _error(400, "INVALID_ARGUMENT", "aspectRatio must be 16:9 or 9:16")
        reason = None
        if self.refuses(body["instances"]):
            reason = "Your video was blocked: it may violate our usage guidelines (celebrity likeness)."
        job = self.create_job(request, body, prefix="op", fail_reason=reason)
        return Reply(200, {"name": f"models/{match['model']}/operations/{job.id}"})

    def _operation(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None:
            return _error(404, "NOT_FOUND", "operation not found")
        name = f"models/{match['model']}/operations/{job.id}"
        if job.step() != "done":
            return Reply(200, {"name": name, "done": False})
        response: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
        }
        if job.fail_reason:
            response["generateVideoResponse"] = {
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": [job.fail_reason],
            }
        elif self.inline_video:
            video = {"encodedVideo": base64.b64encode(self.video).decode(), "mimeType": "video/mp4"}
            response["generateVideoResponse"] = {"generatedSamples": [{"video": video}]}
        else:
            uri = f"{self.base_url}/files/{job.id}:download?alt=media"
            response["generateVideoResponse"] = {"generatedSamples": [{"video": {"uri": uri}}]}
        return Reply(200, {"name": name, "done": True, "response": response})

    def _download(self, request: Recorded, match: re.Match[str]) -> Reply:
        if request.query.get("alt") != "media":
            return _error(400, "INVALID_ARGUMENT", "alt=media required")
        url = self.cdn.publish(f"{match['id']}.mp4", self.video, "video/mp4")
        return Reply(302, b"", {"Location": url})
