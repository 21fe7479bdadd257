"""Google Gemini API: generateContent with a response schema, and Veo clips as long-running operations.

Driven over httpx rather than google-genai: its 3.x refuses Veo with an API key and its downloader
cannot take an `http://` file URI (PROVIDERS.md), which also rules out a loopback fake.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reelsmith.providers.base import ClipRequest, JobHandle, JobStatus, TextRequest, TextResult
from reelsmith.providers.http import ProviderHttp, looks_like_policy, write_atomic
from reelsmith.providers.inputs import clip_prompt, image_base64, nearest

VEO_SECONDS = (4, 6, 8)
VEO_POLL_S = 10.0
# Gemini's responseSchema is an OpenAPI 3.0 subset; everything else in a JSON schema is dropped.
_SCHEMA_KEYS = frozenset({
    "type", "format", "description", "nullable", "enum", "properties", "required", "items",
    "minItems", "maxItems", "minimum", "maximum", "anyOf", "propertyOrdering",
})  # fmt: skip
_BLOCKING_FINISH = frozenset(
    {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY"}
)


def to_gemini_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a JSON schema to the OpenAPI subset `responseSchema` accepts, keeping property order."""
    out: dict[str, Any] = {}
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"] → type string, nullable
        non_null = [k for k in kind if k != "null"]
        kind = non_null[0] if non_null else "string"
        out["nullable"] = True
    for key, value in schema.items():
        if key not in _SCHEMA_KEYS or key == "type":
            continue
        if key == "properties":
            out[key] = {name: to_gemini_schema(sub) for name, sub in value.items()}
            out["propertyOrdering"] = list(value)
        elif key == "items":
            out[key] = to_gemini_schema(value)
        elif key == "anyOf":
            out[key] = [to_gemini_schema(sub) for sub in value]
        else:
            out[key] = value
    if kind:
        out["type"] = str(kind).upper()
    return out


class GeminiTextModel:
    """JSON replies from :generateContent with responseMimeType application/json."""

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
                "responseSchema": to_gemini_schema(request.schema),
            },
        }
        reply = self.http.json("POST", f"models/{self.model}:generateContent", json_body=body)
        blocked = (reply.get("promptFeedback") or {}).get("blockReason")
        if blocked:
            raise self.http.fail(f"prompt blocked: {blocked}", permanent=True)
        candidates = reply.get("candidates") or []
        if not candidates:
            raise self.http.fail("reply has no candidates")
        candidate = candidates[0]
        finish = str(candidate.get("finishReason") or "")
        parts = (candidate.get("content") or {}).get("parts") or []
        raw = "".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))
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
            model=str(reply.get("modelVersion") or self.model),
            input_tokens=int(usage.get("promptTokenCount") or 0),
            output_tokens=int(usage.get("candidatesTokenCount") or 0),
        )


class GeminiVideoModel:
    """Veo clips: :predictLongRunning → GET /{operation} → the sample's file URI (or inline bytes)."""

    name = "gemini"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model

    def submit(self, request: ClipRequest) -> JobHandle:
        """Start the operation; its name (`models/…/operations/…`) is the job id."""
        instance: dict[str, Any] = {"prompt": clip_prompt(request, with_negative=False)}
        if request.reference_images:
            b64, mime = image_base64(request.reference_images[0], provider=self.name)
            instance["image"] = {"bytesBase64Encoded": b64, "mimeType": mime}
        parameters: dict[str, Any] = {
            "sampleCount": 1,
            "durationSeconds": nearest(request.duration_s, VEO_SECONDS),
            # Veo makes no square video; 1:1 scenes get landscape and the stitcher fits them.
            "aspectRatio": "9:16" if request.aspect == "9:16" else "16:9",
        }
        if request.negative_prompt:
            parameters["negativePrompt"] = request.negative_prompt
        headers = {"Idempotency-Key": request.idempotency_key} if request.idempotency_key else {}
        op = self.http.json(
            "POST",
            f"models/{self.model}:predictLongRunning",
            json_body={"instances": [instance], "parameters": parameters},
            headers=headers,
        )
        if not op.get("name"):
            raise self.http.fail("predictLongRunning returned no operation name")
        return JobHandle(external_id=str(op["name"]), poll_after_s=VEO_POLL_S)

    def poll(self, external_id: str) -> JobStatus:
        """Map the operation: not done → running; done → a sample, a filter reason or an error."""
        op = self.http.json("GET", external_id)
        if not op.get("done"):
            return JobStatus("running", poll_after_s=VEO_POLL_S)
        try:
            self._sample(op)
        except _Failed as failed:
            return JobStatus("failed", reason=failed.reason, permanent=failed.permanent)
        return JobStatus("succeeded", progress=1.0, poll_after_s=0.0)

    def fetch(self, external_id: str, dest: Path) -> None:
        """Download the sample's URI with the key header (following redirects), or decode inline bytes."""
        op = self.http.json("GET", external_id)
        try:
            video = self._sample(op)
        except _Failed as failed:
            raise self.http.fail(failed.reason, permanent=failed.permanent) from None
        if video.get("uri"):
            self.http.download(str(video["uri"]), dest, follow_redirects=True)
            return
        try:
            write_atomic(dest, base64.b64decode(str(video["encodedVideo"]), validate=True))
        except (KeyError, binascii.Error) as e:
            raise self.http.fail("the sample has neither a uri nor valid encodedVideo") from e

    @staticmethod
    def _sample(op: Mapping[str, Any]) -> dict[str, Any]:
        if op.get("error"):
            err = op["error"]
            message = str(err.get("message") or err)
            permanent = err.get("code") == 400 or looks_like_policy(message, err.get("status"))
            raise _Failed(message, permanent)
        generated = (op.get("response") or {}).get("generateVideoResponse") or {}
        reasons = generated.get("raiMediaFilteredReasons") or []
        if reasons or generated.get("raiMediaFilteredCount"):
            raise _Failed("filtered by safety policy: " + ("; ".join(map(str, reasons)) or "no reason"), True)
        samples = generated.get("generatedSamples") or []
        video = samples[0].get("video") if samples and isinstance(samples[0], dict) else None
        if not isinstance(video, dict) or not (video.get("uri") or video.get("encodedVideo")):
            raise _Failed("the operation finished without a video", False)
        return video


class _Failed(Exception):
    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
