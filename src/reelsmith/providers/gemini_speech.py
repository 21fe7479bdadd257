"""Gemini TTS: `POST /models/{model}:generateContent` answering with audio instead of text.

Shape from google-genai 3.3 (`types.SpeechConfig`, `VoiceConfig`, `PrebuiltVoiceConfig`; its
`test_speech_with_config`): generationConfig {responseModalities: ["AUDIO"], speechConfig:
{voiceConfig: {prebuiltVoiceConfig: {voiceName}}}}. The reply's first part carries inlineData
{mimeType "audio/L16;codec=pcm;rate=24000", data (base64 PCM)}, wrapped here as a WAV file. The
samples are little-endian, as the docs' own sample writes them straight into a WAV file.
Gemini gives no word timings, so they are derived by aligning the text to the audio.
The connection (key header, base URL) is the Gemini provider's, shared with its other models.
The language is not sent: the TTS models detect it from the text.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from reelsmith.providers.base import SpeechRequest, SpeechResult, VoiceInfo
from reelsmith.providers.http import ProviderHttp
from reelsmith.speech.align import align_words
from reelsmith.speech.audio import duration_s, read_wav, wav_from_pcm16
from reelsmith.speech.words import split_words

DEFAULT_VOICE = "Kore"
DEFAULT_RATE = 24000
_RATE = re.compile(r"rate=(\d+)")
_BLOCKING_FINISH = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"})
# The prebuilt voices of Gemini TTS and the character the docs give each (the API has no list call).
PREBUILT_VOICES: tuple[tuple[str, str], ...] = (
    ("Zephyr", "bright"), ("Puck", "upbeat"), ("Charon", "informative"), ("Kore", "firm"),
    ("Fenrir", "excitable"), ("Leda", "youthful"), ("Orus", "firm"), ("Aoede", "breezy"),
    ("Callirrhoe", "easy-going"), ("Autonoe", "bright"), ("Enceladus", "breathy"), ("Iapetus", "clear"),
    ("Umbriel", "easy-going"), ("Algieba", "smooth"), ("Despina", "smooth"), ("Erinome", "clear"),
    ("Algenib", "gravelly"), ("Rasalgethi", "informative"), ("Laomedeia", "upbeat"),
    ("Achernar", "soft"), ("Alnilam", "firm"), ("Schedar", "even"), ("Gacrux", "mature"),
    ("Pulcherrima", "forward"), ("Achird", "friendly"), ("Zubenelgenubi", "casual"),
    ("Vindemiatrix", "gentle"), ("Sadachbia", "lively"), ("Sadaltager", "knowledgeable"),
    ("Sulafat", "warm"),
)  # fmt: skip


class GeminiSpeechModel:
    """Speech from Gemini's TTS models; word timings derived from the audio."""

    name = "gemini"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model

    def speak(self, request: SpeechRequest) -> SpeechResult:
        """One generateContent call; the PCM reply becomes a WAV file."""
        voice = request.voice or DEFAULT_VOICE
        body = {
            "contents": [{"role": "user", "parts": [{"text": request.text}]}],
            "generationConfig": {
                "responseModalities": ["AUDIO"],
                "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": voice}}},
            },
        }
        reply = self.http.json("POST", f"models/{self.model}:generateContent", json_body=body)
        pcm, rate = self._pcm(reply)
        audio = wav_from_pcm16(pcm, rate)
        samples, rate = read_wav(audio)
        return SpeechResult(
            audio=audio,
            audio_suffix=".wav",
            words=align_words(split_words(request.text), samples, rate),
            duration_s=round(duration_s(samples, rate), 3),
            model=self.model,
            voice=voice,
        )

    def _pcm(self, reply: dict[str, Any]) -> tuple[bytes, int]:
        blocked = (reply.get("promptFeedback") or {}).get("blockReason")
        if blocked:
            raise self.http.fail(f"prompt blocked: {blocked}", permanent=True)
        candidates = reply.get("candidates") or []
        if not candidates:
            raise self.http.fail("reply has no candidates")
        finish = str(candidates[0].get("finishReason") or "")
        parts = (candidates[0].get("content") or {}).get("parts") or []
        inline = next(
            (p.get("inlineData") for p in parts if isinstance(p, dict) and p.get("inlineData")), None
        )
        if not isinstance(inline, dict):
            permanent = finish in _BLOCKING_FINISH
            raise self.http.fail(f"reply has no audio (finishReason {finish or '?'})", permanent=permanent)
        mime = str(inline.get("mimeType") or "")
        if mime and not mime.lower().startswith("audio/l16") and "pcm" not in mime.lower():
            raise self.http.fail(f"unexpected audio type {mime!r} (expected audio/L16 PCM)")
        match = _RATE.search(mime)
        try:
            pcm = base64.b64decode(str(inline.get("data") or ""), validate=True)
        except binascii.Error as e:
            raise self.http.fail("the reply's audio is not valid base64") from e
        if not pcm:
            raise self.http.fail("the reply's audio is empty")
        return pcm, int(match.group(1)) if match else DEFAULT_RATE

    def voices(self) -> list[VoiceInfo]:
        """Gemini TTS's prebuilt voices (they speak every supported language)."""
        return [VoiceInfo(name, "multilingual", f"prebuilt voice, {tone}") for name, tone in PREBUILT_VOICES]
