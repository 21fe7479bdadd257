"""A fake OpenAI-compatible server (base `{url}/v1`) as Ollama, vLLM, LM Studio or llama.cpp run one.

No authentication; `GET /v1/models` lists the installed models; `POST /v1/chat/completions` honours
`response_format: {type: "json_schema"}` (replies with JSON fitting the schema) and answers an
unknown model with Ollama's 404. Like many local models it can be told to wrap its JSON in a
Markdown fence, and it sends no `usage` block unless asked to.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.llm import schema_reply
from tests.fakes.server import FakeServer, Recorded, Reply


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"error": {"message": message, "type": "api_error", "param": None, "code": None}})


class OpenAICompatibleFake(FakeServer):
    """A local model server: chat completions with structured output, no API key."""

    def __init__(self, models: tuple[str, ...] = ("llama3.2",)) -> None:
        super().__init__()
        self.models = models
        self.fence_replies = False  # wrap the JSON content in ```json … ```
        self.with_usage = False
        self.chat_reply: dict[str, Any] = {}
        p = "/v1"
        self.route("GET", f"{p}/models", "models", self._models)
        self.route("GET", f"{p}/models/(?P<id>.+)", "model", self._model)
        self.route("POST", f"{p}/chat/completions", "chat", self._chat)

    @property
    def base_url(self) -> str:
        """What OPENAI_BASE_URL should be."""
        return f"{self.url}/v1"

    def _entry(self, model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": 1700000000, "owned_by": "library"}

    def _models(self, request: Recorded, match: re.Match[str]) -> Reply:
        return Reply(200, {"object": "list", "data": [self._entry(m) for m in self.models]})

    def _model(self, request: Recorded, match: re.Match[str]) -> Reply:
        if match["id"] not in self.models:
            return _error(404, f'model "{match["id"]}" not found, try pulling it first')
        return Reply(200, self._entry(match["id"]))

    def _chat(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        if body.get("model") not in self.models:
            return _error(404, f'model "{body.get("model")}" not found, try pulling it first')
        spec = body.get("response_format") or {}
        if spec.get("type") != "json_schema" or "schema" not in (spec.get("json_schema") or {}):
            return _error(400, "this fake answers structured-output requests only")
        user = "\n".join(str(m.get("content", "")) for m in body["messages"] if m.get("role") == "user")
        self.chat_reply = schema_reply(spec["json_schema"]["schema"], user)
        content = json.dumps(self.chat_reply)
        if self.fence_replies:
            content = f"```json\n{content}\n```"
        reply: dict[str, Any] = {
            "id": "chatcmpl-42", "object": "chat.completion", "created": 1700000000, "model": body["model"],
            "system_fingerprint": "fp_ollama",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
        }  # fmt: skip
        if self.with_usage:
            reply["usage"] = {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}
        return Reply(200, reply)
