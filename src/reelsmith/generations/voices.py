"""Voices: a new generation's narration options checked, the voices on offer, and a sample of each.

A sample is one fixed sentence spoken by the chosen voice, made once per provider and voice and kept in
the blob store, so playing it again in the Create page costs no second provider call.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelsmith.errors import InvalidInput, ProviderError
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.vocabulary import CaptionMode

if TYPE_CHECKING:
    from reelsmith.providers.base import VoiceInfo
    from reelsmith.runtime import Runtime

SAMPLE_TEXT = "Every story deserves a voice. This is how I would tell yours."
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class ProviderVoices:
    """The voices of one speech provider of the configured chain (or why they could not be listed)."""

    provider: str
    voices: list[VoiceInfo]
    error: str | None = None


def speech_chain_of(rt: Runtime, value: str | None, field: str) -> list[str]:
    """A speech provider chain as asked for (else the configured one), checked."""
    from reelsmith.providers.registry import SPEECH_PROVIDERS, parse_chain

    return parse_chain(value or rt.settings.speech_providers, SPEECH_PROVIDERS, field)


def speech_options(rt: Runtime, request: GenerationCreate) -> dict[str, Any]:
    """The narration fields of a new generation's params, after checking the speech chain and the voice."""
    # Unasked, a mode that can be narrated is narrated when the operator's default says so, or when the
    # request chose a voice or captions (which only narration has).
    asked = (
        request.narration is not None
        or bool(request.voice)
        or request.captions not in (None, CaptionMode.OFF)
    )
    narrate = request.narrated and (asked or rt.settings.narrate_by_default)
    if not narrate:
        return {"narration": False}
    chain = speech_chain_of(rt, request.providers.speech, "providers.speech")
    if request.voice:
        check_voice(rt, chain[0], request.voice, "voice")
    return {
        "narration": True,
        "voice": request.voice,
        "captions": request.captions or CaptionMode.FILE,
        "caption_style": request.caption_style,
        "speech_provider": ",".join(chain),
    }


def check_voice(rt: Runtime, provider: str, voice: str, field: str) -> None:
    """Refuse a voice the provider does not offer (422 naming `field`); unchecked if it cannot list them."""
    try:
        names = {v.name for v in rt.providers.speech(provider).voices()}
    except ProviderError:
        return  # the provider cannot be asked now; the speech call will say what it thinks of the voice
    if names and voice not in names:
        shown = ", ".join(sorted(names)[:12])
        raise InvalidInput(field, f"{provider} has no voice {voice!r}; it offers {shown}")


def list_voices(rt: Runtime) -> list[ProviderVoices]:
    """The voices of each provider in the configured speech chain."""
    listed = []
    for item in speech_chain_of(rt, None, "speech_providers"):
        try:
            listed.append(ProviderVoices(item, rt.providers.speech(item).voices()))
        except ProviderError as e:
            listed.append(ProviderVoices(item, [], e.message))
    return listed


def sample_key(provider: str, voice: str) -> str:
    """Where a voice's sample is kept (one per provider, voice and sample sentence)."""
    digest = hashlib.sha256(f"{provider}\n{voice}\n{SAMPLE_TEXT}".encode()).hexdigest()[:10]
    return f"voices/{_SAFE.sub('_', provider)}/{_SAFE.sub('_', voice or 'default')}_{digest}"


def voice_sample(
    rt: Runtime, provider: str | None, voice: str, before_speaking: Callable[[], None] = lambda: None
) -> tuple[str, str]:
    """(storage key, content type) of the voice's sample, spoken now if it was never asked for before.

    `before_speaking` runs only when the sample has to be made (a rate limit for provider calls).
    """
    from reelsmith.providers.base import SpeechRequest

    item = speech_chain_of(rt, provider, "provider")[0]
    if voice:
        check_voice(rt, item, voice, "voice")
    base = sample_key(item, voice)
    for suffix, content_type in ((".wav", "audio/wav"), (".mp3", "audio/mpeg")):
        if rt.blobs.exists(base + suffix):
            return base + suffix, content_type
    before_speaking()
    result = rt.providers.speech(item).speak(SpeechRequest(text=SAMPLE_TEXT, voice=voice))
    content_type = "audio/mpeg" if result.audio_suffix == ".mp3" else "audio/wav"
    with tempfile.TemporaryDirectory(dir=rt.settings.scratch_dir) as tmp:
        path = Path(tmp) / f"sample{result.audio_suffix}"
        path.write_bytes(result.audio)
        rt.blobs.put_file(base + result.audio_suffix, path, content_type)
    return base + result.audio_suffix, content_type
