"""ElevenLabs speech: `POST /v1/text-to-speech/{voice_id}/with-timestamps`, voices from `GET /v1/voices`.

Shapes follow the official SDK (elevenlabs 2.78, `text_to_speech/raw_client.py`,
`types/audio_with_timestamps_response.py`): the body is {text, model_id, language_code?}, the
output format a query parameter, and the reply {audio_base64, alignment, normalized_alignment}
with per-character {characters, character_start_times_seconds, character_end_times_seconds}.
`alignment` follows the text as sent, so its characters group into the caption's words;
`normalized_alignment` (numbers spelled out, …) is used only when the other is missing.

A voice may be named by its id (20 letters and digits) or by its name; names are looked up once
per process in the voice list, so a speak is one call.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Mapping
from typing import Any

from reelsmith.providers.base import SpeechRequest, SpeechResult, VoiceInfo, WordTiming
from reelsmith.providers.http import ProviderHttp
from reelsmith.speech.align import align_words
from reelsmith.speech.audio import decode_audio, duration_s
from reelsmith.speech.words import group_characters, split_words

DEFAULT_VOICE_ID = "21m00Tcm4TlvDq8ikWAM"  # "Rachel", the premade voice the SDK's examples use
OUTPUT_FORMAT = "mp3_44100_128"
_VOICE_ID = re.compile(r"[A-Za-z0-9]{20}")
# Models that reject `language_code` (the SDK: "not supported for multilingual_v2 models").
_NO_LANGUAGE_CODE = ("eleven_multilingual_v2",)


class ElevenLabsSpeechModel:
    """Speech with character timings grouped into words."""

    name = "elevenlabs"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model
        self._lock = threading.Lock()
        self._ids_by_name: dict[str, str] | None = None

    def speak(self, request: SpeechRequest) -> SpeechResult:
        """One with-timestamps call: MP3 audio and the words' times."""
        voice_id = self._voice_id(request.voice)
        body: dict[str, Any] = {"text": request.text, "model_id": self.model}
        if request.language and self.model not in _NO_LANGUAGE_CODE:
            body["language_code"] = request.language.split("-")[0].lower()
        reply = self.http.json(
            "POST",
            f"v1/text-to-speech/{voice_id}/with-timestamps",
            json_body=body,
            params={"output_format": OUTPUT_FORMAT},
        )
        try:
            audio = base64.b64decode(str(reply["audio_base64"]), validate=True)
        except (KeyError, binascii.Error) as e:
            raise self.http.fail("the reply has no valid audio_base64") from e
        if not audio:
            raise self.http.fail("the reply's audio is empty")
        try:
            samples, rate = decode_audio(audio, ".mp3")
        except (ValueError, OSError) as e:  # av raises OSError subclasses on broken files
            raise self.http.fail(f"the reply's audio cannot be decoded: {e}") from e
        alignment = reply.get("alignment") or reply.get("normalized_alignment")
        if isinstance(alignment, Mapping):
            words = self._words(alignment)
        else:
            words = align_words(split_words(request.text), samples, rate)
        return SpeechResult(
            audio=audio,
            audio_suffix=".mp3",
            words=words,
            duration_s=round(duration_s(samples, rate), 3),
            model=self.model,
            voice=request.voice or voice_id,
        )

    def _words(self, alignment: Mapping[str, Any]) -> tuple[WordTiming, ...]:
        try:
            return group_characters(
                [str(c) for c in alignment["characters"]],
                [float(t) for t in alignment["character_start_times_seconds"]],
                [float(t) for t in alignment["character_end_times_seconds"]],
            )
        except (KeyError, TypeError, ValueError) as e:
            raise self.http.fail(f"the reply's alignment is malformed: {e}") from e

    def voices(self) -> list[VoiceInfo]:
        """The account's voices (premade, cloned and library voices added to it)."""
        reply = self.http.json("GET", "v1/voices")
        infos: list[VoiceInfo] = []
        ids: dict[str, str] = {}
        for voice in reply.get("voices") or []:
            if not isinstance(voice, Mapping) or not voice.get("voice_id"):
                continue
            name = str(voice.get("name") or voice["voice_id"])
            ids.setdefault(name.lower(), str(voice["voice_id"]))
            raw_labels = voice.get("labels")
            labels: Mapping[str, Any] = raw_labels if isinstance(raw_labels, Mapping) else {}
            traits = [
                str(labels[k])
                for k in ("gender", "age", "accent", "description", "use_case")
                if labels.get(k)
            ]
            description = ", ".join([*traits, str(voice.get("description") or "")][:5]).strip(", ")
            infos.append(
                VoiceInfo(name, _language(voice, labels), f"{description} ({voice['voice_id']})".strip())
            )
        with self._lock:
            self._ids_by_name = ids
        return infos

    def _voice_id(self, voice: str) -> str:
        """The voice id for a name or id ("" = the default voice)."""
        if not voice:
            return DEFAULT_VOICE_ID
        if _VOICE_ID.fullmatch(voice):
            return voice
        with self._lock:
            known = self._ids_by_name
        if known is None:
            self.voices()
            with self._lock:
                known = self._ids_by_name or {}
        if voice.lower() not in known:
            raise self.http.fail(f"no voice named {voice!r} in this account", permanent=True)
        return known[voice.lower()]


def _language(voice: Mapping[str, Any], labels: Mapping[str, Any]) -> str:
    verified = voice.get("verified_languages")
    if isinstance(verified, list) and verified and isinstance(verified[0], Mapping):
        return str(verified[0].get("locale") or verified[0].get("language") or "en")
    return str(labels.get("language") or "en")
