"""A fake of Gemini TTS: `POST /v1beta/models/{model}:generateContent` answering with inline PCM audio.

Shapes from google-genai 3.3: the request's generationConfig {responseModalities: ["AUDIO"],
speechConfig: {voiceConfig: {prebuiltVoiceConfig: {voiceName}}}}; the reply's
candidates[0].content.parts[0].inlineData {mimeType "audio/L16;codec=pcm;rate=24000", data}. The
audio is little-endian 16-bit PCM with a buzzing tone where each word of the text is "said", at a
pace the fake chooses (longer words longer, a pause after punctuation), and the fake remembers
those spans so a test can compare the derived word timings with them.

Like the API (protobuf's JSON mapping), the fake reads a field under its lowerCamelCase name or its
original snake_case one: google-genai 3.6 sends `speechConfig`'s inner fields as `voice_config`,
`prebuilt_voice_config` and `voice_name`, the REST docs spell them `voiceConfig` and so on.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import numpy as np

from tests.fakes.server import FakeServer, Recorded, Reply

RATE = 24000
TTS_MODELS = frozenset({"gemini-3.8-flash-tts", "gemini-3.8-flash-lite-tts"})
VOICES = frozenset({"Kore", "Puck", "Charon", "Zephyr", "Leda"})


def _bad(message: str) -> Reply:
    return Reply(400, {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}})


def proto_field(message: object, json_name: str) -> Any:
    """A field of a JSON-encoded protobuf message read as the API reads it: by its lowerCamelCase
    name or by its original snake_case name; None when absent."""
    if not isinstance(message, dict):
        return None
    if json_name in message:
        return message[json_name]
    return message.get(re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), json_name))


def spoken_spans(text: str) -> list[tuple[str, float, float]]:
    """Where the fake says each word: 55 ms per letter, 60 ms between words, 300 ms after punctuation."""
    t = 0.15
    spans = []
    for word in text.split():
        length = 0.055 * sum(ch.isalnum() for ch in word) + 0.06
        spans.append((word, round(t, 3), round(t + length, 3)))
        t += length + (0.3 if word[-1] in ".,!?;:" else 0.06)
    return spans


def pcm_for(spans: list[tuple[str, float, float]]) -> bytes:
    """16-bit little-endian PCM, silent but for a tone over each span."""
    total = (spans[-1][2] if spans else 0.0) + 0.2
    samples = np.zeros(int(total * RATE), dtype=np.float32)
    for _, start, end in spans:
        a, b = int(start * RATE), int(end * RATE)
        t = np.arange(b - a) / RATE
        tone = 0.4 * np.sin(2 * np.pi * 140 * t) + 0.2 * np.sin(2 * np.pi * 420 * t)
        samples[a:b] = tone * np.hanning(b - a)
    return (samples * 32767).astype("<i2").tobytes()


class GeminiSpeechFake(FakeServer):
    """Speaks Gemini's generateContent for its TTS models."""

    def __init__(self, *, key: str = "gm-test") -> None:
        super().__init__()
        self.key = key
        self.spans: list[tuple[str, float, float]] = []  # the latest reply's word spans
        self.route("POST", r"/v1beta/models/(?P<model>[^/:]+):generateContent", "generate", self._generate)

    @property
    def base_url(self) -> str:
        """What REELSMITH_GEMINI_BASE_URL should be."""
        return f"{self.url}/v1beta"

    def check_auth(self, request: Recorded) -> Reply | None:
        """Gemini's 400 for a bad key."""
        if request.headers.get("x-goog-api-key") != self.key:
            return _bad("API key not valid. Please pass a valid API key.")
        return None

    def _generate(self, request: Recorded, match: re.Match[str]) -> Reply:
        if match["model"] not in TTS_MODELS:
            return Reply(
                404,
                {
                    "error": {
                        "code": 404,
                        "message": f"models/{match['model']} is not found",
                        "status": "NOT_FOUND",
                    }
                },
            )
        body: dict[str, Any] = request.json()
        config = body.get("generationConfig") or {}
        if config.get("responseModalities") != ["AUDIO"]:
            return _bad("TTS models answer only with responseModalities [AUDIO]")
        voice = proto_field(
            proto_field(proto_field(config.get("speechConfig"), "voiceConfig"), "prebuiltVoiceConfig"),
            "voiceName",
        )
        if voice not in VOICES:
            return _bad(f"Voice name {voice!r} is not supported")
        parts = (body.get("contents") or [{}])[0].get("parts") or []
        text = " ".join(str(p.get("text", "")) for p in parts).strip()
        if not text:
            return _bad("contents must hold text")
        self.spans = spoken_spans(text)
        data = base64.b64encode(pcm_for(self.spans)).decode()
        inline = {"mimeType": f"audio/L16;codec=pcm;rate={RATE}", "data": data}
        content = {"role": "model", "parts": [{"inlineData": inline}]}
        usage = {"promptTokenCount": len(text.split()), "candidatesTokenCount": 25 * len(self.spans)}
        return Reply(200, {
            "candidates": [{"content": content, "finishReason": "STOP"}],
            "usageMetadata": usage,
            "modelVersion": match["model"],
        })  # fmt: skip
