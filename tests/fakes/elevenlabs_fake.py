"""A fake ElevenLabs API: `POST /v1/text-to-speech/{voice_id}/with-timestamps` and `GET /v1/voices`.

Shapes from the official SDK (elevenlabs 2.78): the body {text, model_id, language_code?, …}, the
output format as a query parameter (`mp3_44100_128` by default), the reply
{audio_base64, alignment, normalized_alignment} with per-character lists
{characters, character_start_times_seconds, character_end_times_seconds}; voices as
{voices: [{voice_id, name, category, labels, description, …}]}. Auth is the `xi-api-key` header
(401 without it). The audio is real MP3 whose voiced stretches sit exactly where the alignment
says each word is, so a test can check the two agree.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import av
import numpy as np

from tests.fakes.server import FakeServer, Recorded, Reply

CHAR_S = 0.065  # seconds per letter
SPACE_S = 0.08  # the gap a space leaves
RATE = 44100
BODY_FIELDS = frozenset({
    "text", "model_id", "language_code", "voice_settings", "pronunciation_dictionary_locators", "seed",
    "previous_text", "next_text", "previous_request_ids", "next_request_ids", "use_pvc_as_ivc",
    "apply_text_normalization", "apply_language_text_normalization", "audio_effects",
})  # fmt: skip
VOICES: list[dict[str, Any]] = [
    {"voice_id": "21m00Tcm4TlvDq8ikWAM", "name": "Rachel", "category": "premade",
     "labels": {"accent": "american", "gender": "female", "age": "young", "use_case": "narration"},
     "description": "calm"},
    {"voice_id": "JBFqnCBsd6RMkjVDRZzb", "name": "George", "category": "premade",
     "labels": {"accent": "british", "gender": "male", "age": "middle aged", "use_case": "narration"},
     "description": "warm", "verified_languages": [{"language": "en", "model_id": "eleven_multilingual_v2",
                                                    "locale": "en-GB"}]},
]  # fmt: skip


def character_times(text: str) -> tuple[list[str], list[float], list[float]]:
    """Each character of `text` with its start and end (letters take CHAR_S, spaces SPACE_S)."""
    chars, starts, ends = [], [], []
    t = 0.1
    for ch in text:
        length = SPACE_S if ch.isspace() else CHAR_S
        chars.append(ch)
        starts.append(round(t, 3))
        ends.append(round(t + length, 3))
        t += length
    return chars, starts, ends


def voiced_mp3(spans: list[tuple[float, float]], total_s: float) -> bytes:
    """An MP3 file, silent except for a buzzing tone over each span."""
    samples = np.zeros(int(total_s * RATE), dtype=np.float32)
    for start, end in spans:
        a, b = int(start * RATE), int(end * RATE)
        t = np.arange(b - a) / RATE
        tone = 0.4 * np.sin(2 * np.pi * 160 * t) + 0.2 * np.sin(2 * np.pi * 480 * t)
        samples[a:b] = (tone * np.hanning(b - a)).astype(np.float32)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=RATE, layout="mono")
        for offset in range(0, len(samples), 1152 * 8):
            frame = av.AudioFrame.from_ndarray(
                samples[None, offset : offset + 1152 * 8], format="flt", layout="mono"
            )
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def word_spans(text: str) -> list[tuple[str, float, float]]:
    """Where each whitespace-separated token of `text` sounds, by the fake's character clock."""
    _, starts, ends = character_times(text)
    out: list[tuple[str, float, float]] = []
    for m in re.finditer(r"\S+", text):
        out.append((m.group(), starts[m.start()], ends[m.end() - 1]))
    return out


class ElevenLabsFake(FakeServer):
    """Speaks ElevenLabs' JSON; every speech reply carries MP3 audio and character timings."""

    def __init__(self, *, key: str = "xi-test") -> None:
        super().__init__()
        self.key = key
        self.drop_alignment = False  # answer without `alignment` (only `normalized_alignment`)
        self.route("POST", r"/v1/text-to-speech/(?P<voice>[^/]+)/with-timestamps", "speak", self._speak)
        self.route("GET", r"/v1/voices", "voices", lambda r, m: Reply(200, {"voices": VOICES}))

    @property
    def base_url(self) -> str:
        """What REELSMITH_ELEVENLABS_BASE_URL should be (no version segment: paths carry it)."""
        return self.url

    def check_auth(self, request: Recorded) -> Reply | None:
        """ElevenLabs' 401 for a missing or wrong key."""
        if request.headers.get("xi-api-key") != self.key:
            return Reply(401, {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})
        return None

    def _speak(self, request: Recorded, match: re.Match[str]) -> Reply:
        body: dict[str, Any] = request.json()
        unknown = set(body) - BODY_FIELDS
        if unknown or not isinstance(body.get("text"), str) or not body["text"].strip():
            return Reply(
                422, {"detail": [{"loc": ["body", "text"], "msg": f"invalid body {sorted(unknown)}"}]}
            )
        if match["voice"] not in {str(v["voice_id"]) for v in VOICES}:
            return Reply(
                404,
                {"detail": {"status": "voice_not_found", "message": "A voice with that ID does not exist."}},
            )
        if request.query.get("output_format", "mp3_44100_128") != "mp3_44100_128":
            return Reply(400, {"detail": {"status": "invalid_output_format", "message": "unsupported"}})
        text = body["text"]
        chars, starts, ends = character_times(text)
        spans = [(s, e) for _, s, e in word_spans(text)]
        audio = voiced_mp3(spans, ends[-1] + 0.2)
        alignment = {
            "characters": chars,
            "character_start_times_seconds": starts,
            "character_end_times_seconds": ends,
        }
        reply: dict[str, Any] = {
            "audio_base64": base64.b64encode(audio).decode(),
            "alignment": None if self.drop_alignment else alignment,
            "normalized_alignment": alignment,
        }
        return Reply(200, reply)
