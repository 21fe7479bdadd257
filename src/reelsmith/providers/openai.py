"""OpenAI, and any server that speaks its API: chat completions with a strict JSON schema, images.

`OPENAI_BASE_URL` may point at an OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp's
server); such a server needs no API key, and its replies are read leniently (no usage block, JSON
wrapped in a Markdown fence). OpenAI has no video API any more: the Videos API (Sora 2) was shut
down 2026-09-24; openai_video.py keeps its protocol for servers that still speak it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from reelsmith.errors import ProviderError
from reelsmith.providers.base import ImageRequest, TextRequest, TextResult
from reelsmith.providers.http import ProviderHttp
from reelsmith.providers.inputs import idempotency_header, save_png

IMAGE_SIZES = {"16:9": "1536x1024", "9:16": "1024x1536", "1:1": "1024x1024"}
_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]")
# Local servers often wrap a JSON reply in a Markdown code fence despite response_format.
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def reply_json(raw: str) -> Any:
    """Parse a reply's content as JSON, unwrapping a Markdown code fence around it."""
    fenced = _FENCE.match(raw)
    return json.loads(fenced.group(1) if fenced else raw)


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
            data = reply_json(raw)
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
    """One PNG from /images/generations (GPT Image models always answer base64)."""

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
            "POST", "images/generations", json_body=body, headers=idempotency_header(request.idempotency_key)
        )
        try:
            data = base64.b64decode(reply["data"][0]["b64_json"], validate=True)
        except (KeyError, IndexError, TypeError, binascii.Error) as e:
            raise self.http.fail("image reply has no usable data[0].b64_json") from e
        save_png(data, dest, provider=self.name)


def check_model(http: ProviderHttp, model: str, today: dt.date | None = None) -> str | None:
    """Ask GET /models/{id}; a warning sentence (shut down / deprecated / retired) or None.

    OpenAI's model object carries `shutdown_date` once a shutdown is announced; an id the server
    does not know is reported as retired (or, on a compatible server, not installed).
    """
    day = today or dt.datetime.now(dt.UTC).date()
    try:
        info = http.json("GET", f"models/{model}")
    except ProviderError as e:
        if "HTTP 404" in e.message:
            return "retired: the server does not offer this model id (or it is not installed)"
        raise
    shutdown = str(info.get("shutdown_date") or "")
    if not shutdown:
        return None
    try:
        when = dt.date.fromisoformat(shutdown[:10])
    except ValueError:
        return f"deprecated: shutdown announced for {shutdown}"
    if when <= day:
        return f"shut down {when.isoformat()}"
    return f"deprecated: shuts down {when.isoformat()}"
