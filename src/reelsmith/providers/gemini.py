"""Google Gemini API over httpx: JSON text and still images from generateContent, and what each reply
says about the model that served it.

Every generateContent reply names the model version that answered (`modelVersion`) and its life
stage (`modelStatus{modelStage, retirementTime, message}`); Gemini silently routes retired ids to
their successors, so both are logged, and the served model is what a text result records. Clips go
through the Interactions API (gemini_video.py). Driven over httpx rather than google-genai, whose
3.x refuses some operations with an API key and cannot download from an `http://` URI.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelsmith.errors import ProviderError
from reelsmith.providers.base import ImageRequest, TextRequest, TextResult
from reelsmith.providers.http import ProviderHttp
from reelsmith.providers.inputs import save_png

log = logging.getLogger(__name__)

_BLOCKING_FINISH = frozenset(
    {
        "SAFETY",
        "PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "RECITATION",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
    }
)
# Stages after which a model is on its way out (python-genai types.ModelStage).
_LEAVING_STAGES = {"LEGACY": "deprecated (legacy)", "DEPRECATED": "deprecated", "RETIRED": "retired"}
# Gemini's image sizes are named by their long side; 1K is enough for a reference or a card.
IMAGE_SIZE = "1K"


@dataclass(frozen=True)
class ServedModel:
    """Which model answered a call and what the API says about its life stage."""

    requested: str
    served: str
    stage: str = ""  # MODEL_STAGE name, e.g. "STABLE", "DEPRECATED"
    retirement: str = ""  # an RFC 3339 time, when announced
    message: str = ""

    @property
    def rerouted(self) -> bool:
        """Whether a different model than the one asked for answered."""
        return bool(self.served) and not self.served.startswith(self.requested)

    def warning(self) -> str | None:
        """A sentence with the word retired, shut down or deprecated, or None when nothing is wrong."""
        parts: list[str] = []
        if self.stage in _LEAVING_STAGES:
            parts.append(_LEAVING_STAGES[self.stage])
        if self.retirement:
            parts.append(f"shuts down {self.retirement[:10]}")
        if self.rerouted:
            parts.append(f"answered by {self.served} (the requested id is retired)")
        if not parts:
            return None
        return "; ".join(parts) + (f": {self.message}" if self.message else "")


def served_model(reply: Mapping[str, Any], requested: str) -> ServedModel:
    """The served model and its status as a generateContent reply reports them."""
    status = reply.get("modelStatus") or {}
    if not isinstance(status, dict):
        status = {}
    return ServedModel(
        requested=requested,
        served=str(reply.get("modelVersion") or requested),
        stage=str(status.get("modelStage") or ""),
        retirement=str(status.get("retirementTime") or ""),
        message=str(status.get("message") or ""),
    )


def _note_served(http: ProviderHttp, reply: Mapping[str, Any], requested: str) -> ServedModel:
    served = served_model(reply, requested)
    warning = served.warning()
    if warning:
        log.warning("%s: model %s is %s", http.provider, requested, warning)
    return served


def _first_candidate(http: ProviderHttp, reply: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The first candidate's finish reason and parts; a blocked prompt is a permanent failure."""
    blocked = (reply.get("promptFeedback") or {}).get("blockReason")
    if blocked:
        raise http.fail(f"prompt blocked: {blocked}", permanent=True)
    candidates = reply.get("candidates") or []
    if not candidates or not isinstance(candidates[0], dict):
        raise http.fail("reply has no candidates")
    candidate = candidates[0]
    parts = (candidate.get("content") or {}).get("parts") or []
    return str(candidate.get("finishReason") or ""), [p for p in parts if isinstance(p, dict)]


class GeminiTextModel:
    """JSON replies from :generateContent with responseMimeType application/json and a JSON schema."""

    name = "gemini"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model

    def complete_json(self, request: TextRequest) -> TextResult:
        """Ask for a reply constrained to the request's schema and parse it."""
        body = {
            "systemInstruction": {"parts": [{"text": request.system}]},
            "contents": [{"role": "user", "parts": [{"text": request.user}]}],
            "generationConfig": {
                "responseMimeType": "application/json",
                # responseJsonSchema takes JSON Schema as is (responseSchema wanted an OpenAPI subset).
                "responseJsonSchema": dict(request.schema),
            },
        }
        reply = self.http.json("POST", f"models/{self.model}:generateContent", json_body=body)
        finish, parts = _first_candidate(self.http, reply)
        raw = "".join(str(p.get("text", "")) for p in parts if not p.get("thought"))
        if finish in _BLOCKING_FINISH and not raw:
            raise self.http.fail(f"reply blocked: {finish}", permanent=True)
        try:
            data = json.loads(raw)
        except ValueError as e:
            raise self.http.fail(
                f"reply text is not JSON (finishReason {finish or '?'}): {raw[:120]!r}"
            ) from e
        if not isinstance(data, dict):
            raise self.http.fail("reply text is not a JSON object")
        usage = reply.get("usageMetadata") or {}
        return TextResult(
            data=data,
            raw=raw,
            model=_note_served(self.http, reply, self.model).served,
            input_tokens=int(usage.get("promptTokenCount") or 0),
            output_tokens=int(usage.get("candidatesTokenCount") or 0),
        )


class GeminiImageModel:
    """One image from :generateContent with responseModalities IMAGE and imageConfig."""

    name = "gemini"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model

    def generate_image(self, request: ImageRequest, dest: Path) -> None:
        """Generate one image and write it to `dest` as PNG."""
        prompt = request.prompt
        if request.negative_prompt:
            prompt += f" Avoid: {request.negative_prompt}."
        body = {
            "contents": [{"role": "user", "parts": [{"text": prompt}]}],
            "generationConfig": {
                "responseModalities": ["IMAGE"],
                "imageConfig": {"aspectRatio": str(request.aspect), "imageSize": IMAGE_SIZE},
            },
        }
        reply = self.http.json("POST", f"models/{self.model}:generateContent", json_body=body)
        finish, parts = _first_candidate(self.http, reply)
        _note_served(self.http, reply, self.model)
        inline = next((p.get("inlineData") for p in parts if isinstance(p.get("inlineData"), dict)), None)
        if inline is None:
            if finish in _BLOCKING_FINISH:
                raise self.http.fail(f"image blocked: {finish}", permanent=True)
            text = " ".join(str(p.get("text", "")) for p in parts).strip()
            raise self.http.fail(
                f"reply has no image (finishReason {finish or '?'}){': ' + text if text else ''}"
            )
        try:
            data = base64.b64decode(str(inline.get("data", "")), validate=True)
        except binascii.Error as e:
            raise self.http.fail("the image's inlineData is not valid base64") from e
        save_png(data, dest, provider=self.name)


def check_model(http: ProviderHttp, model: str, kind: str) -> str | None:
    """Ask Gemini about `model`; a warning sentence (retired / shut down / deprecated) or None.

    A text model is asked with a one-token generateContent, the only reply that carries
    `modelStatus`; other models with GET /models/{id} (free), where a 404 means the id is gone.
    """
    try:
        if kind != "text":
            http.request("GET", f"models/{model}")
            return None
        body = {
            "contents": [{"role": "user", "parts": [{"text": "ok"}]}],
            "generationConfig": {"maxOutputTokens": 1},
        }
        reply = http.json("POST", f"models/{model}:generateContent", json_body=body)
    except ProviderError as e:
        if "HTTP 404" in e.message:
            return "retired: the API does not know this model id"
        raise
    return served_model(reply, model).warning()
