"""Speaking one scene's line: a queue task of its own, started beside the scene's clip.

The voice never waits for video: the clips step queues one speech task per narrated scene next to the
clip submissions, and the variant's join (see `clips/join.py`) waits for both a scene's clip and its
speech. Whichever of the two arrives last moves the variant on to stitching.

A task may run twice. It speaks only while the scene has no speech for its current line, and stores the
result only if the line is still the one it spoke (an owner may have edited it meanwhile); a duplicate's
recording is dropped. The speech provider chain fails over like the others; when no provider can speak
the line, the generation fails with the reason and the usual refund, or, when the line was a re-voice
of a finished video, the previous line is restored and the re-voice refunded.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from reelsmith.db.models import Generation, Scene, Variant
from reelsmith.errors import ProviderError, ReelsmithError, ServiceUnavailable
from reelsmith.pipeline.assets import StoredBlob, add_asset
from reelsmith.pipeline.billing import refresh_cost
from reelsmith.pipeline.calls import recorded_call
from reelsmith.pipeline.clips.join import join_variant
from reelsmith.pipeline.failure import explain, fail_generation, scene_label
from reelsmith.pipeline.narration import audio_type, speech_key, store_file, words_json
from reelsmith.pipeline.progress import record_event
from reelsmith.pipeline.revoicing import restore_line
from reelsmith.pipeline.unrecorded import discard_blobs, discard_unrecorded
from reelsmith.providers.base import SpeechRequest, SpeechResult
from reelsmith.vocabulary import SPEECH_ASSET, GenerationStatus, VariantStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

# Seconds before a line is spoken again when a service it needs (the blob store) was unreachable.
OUTAGE_RETRY_S = 5.0


@dataclass(frozen=True)
class _Line:
    """What one speech task is to say, read before anything is spoken."""

    scene_id: str
    generation_id: str
    user_id: str
    variant: str
    index: int
    text: str
    voice: str
    chain: tuple[str, ...]

    @property
    def digest(self) -> str:
        """A short fingerprint of the line and voice (part of the call's idempotency key)."""
        return hashlib.sha256(f"{self.voice}\n{self.text}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class _Spoken:
    """A line spoken and stored, ready to be recorded on its scene."""

    blob: StoredBlob
    result: SpeechResult
    provider: str


def speech_chain(rt: Runtime, gen: Generation) -> list[str]:
    """The generation's speech provider chain (as asked for, else the configured one)."""
    from reelsmith.providers.registry import SPEECH_PROVIDERS, parse_chain

    value = gen.inputs.speech_provider or rt.settings.speech_providers
    return parse_chain(value, SPEECH_PROVIDERS, "speech_provider")


def speak_scene(rt: Runtime, scene_id: str) -> None:
    """Speak the scene's line if it has none yet, record it, and move the variant on if it was the last."""
    line = _line_to_speak(rt, scene_id)
    if line is None:
        return
    try:
        spoken = _speak(rt, line)
    except ServiceUnavailable as e:
        # The blob store (or another service) is down for a while: the line is spoken again later
        # rather than failing the whole generation over an outage.
        log.warning("speech of scene %s waits for a service: %s", scene_id, e.message)
        rt.dispatch.speak_scene(scene_id, OUTAGE_RETRY_S)
        return
    except ReelsmithError as e:
        _speech_failed(rt, line, e)
        return
    try:
        recorded = _record(rt, line, spoken)
    except Exception:
        discard_unrecorded(rt, [spoken.blob.key])  # unless the commit went through after all
        raise
    if recorded is None:
        discard_blobs(rt, [spoken.blob.key])  # a duplicate, or the line changed meanwhile
    elif recorded:
        rt.dispatch.advance(line.generation_id)


def _line_to_speak(rt: Runtime, scene_id: str) -> _Line | None:
    """The scene's line, if its generation is running and the line has no speech yet."""
    with rt.db.read() as session:
        scene = session.get(Scene, scene_id)
        if scene is None or not scene.narration or scene.speech_asset_id is not None:
            return None
        gen = scene.variant.generation
        if gen.status != GenerationStatus.PROCESSING:
            return None
        return _Line(
            scene_id=scene.id,
            generation_id=gen.id,
            user_id=gen.user_id,
            variant=scene.variant.kind,
            index=scene.index,
            text=scene.narration,
            voice=scene.voice or gen.inputs.voice,
            chain=tuple(speech_chain(rt, gen)),
        )


def _speak(rt: Runtime, line: _Line) -> _Spoken:
    """Ask each provider of the chain in turn (the chosen voice is the first one's) and store the audio."""
    last: ProviderError | None = None
    for n, item in enumerate(line.chain):
        request = SpeechRequest(
            text=line.text,
            voice=line.voice if n == 0 else "",
            idempotency_key=f"speech:{line.scene_id}:{line.digest}",
        )
        try:
            model = rt.providers.speech(item)
            result = recorded_call(
                rt,
                generation_id=line.generation_id,
                scene_id=line.scene_id,
                provider=item,
                model=rt.providers.model_for(item, "speech"),
                operation="speech",
                call=partial(model.speak, request),
                cost=partial(_cost, rt, item, len(line.text)),
            )
        except ProviderError as e:
            log.warning("speech of scene %s by %s failed: %s", line.scene_id, item, e.message)
            last = e
            continue
        with tempfile.TemporaryDirectory(dir=rt.settings.scratch_dir) as tmp:
            path = Path(tmp) / f"speech{result.audio_suffix}"
            path.write_bytes(result.audio)
            key = speech_key(line.generation_id, line.variant, line.index, result.audio_suffix)
            blob = store_file(rt, key, path, audio_type(result.audio_suffix), result.duration_s)
        return _Spoken(blob, result, item)
    raise last or ProviderError("no speech provider is configured", permanent=True)


def _cost(rt: Runtime, item: str, characters: int, result: SpeechResult) -> float:
    from reelsmith.providers.pricing import speech_cost

    return speech_cost(
        item, result.model, characters, prices=rt.settings.prices, catalogue=rt.providers.catalogue
    )


def _record(rt: Runtime, line: _Line, spoken: _Spoken) -> bool | None:
    """Attach the speech to its scene; True when the generation should advance (the last one in), None
    when the speech is not wanted any more."""
    with rt.db.write() as session:
        scene = session.get(Scene, line.scene_id)
        if scene is None:
            return None
        # The variant is locked before the scene is looked at, as the clip finishers do, so that the
        # last of the clip and speech tasks to finish sees the other's result.
        variant = session.scalars(
            select(Variant).where(Variant.id == scene.variant_id).with_for_update()
        ).one()
        session.refresh(scene)
        gen = variant.generation
        current = scene.narration == line.text and scene.speech_asset_id is None
        if not current or gen.status != GenerationStatus.PROCESSING:
            return None
        scene.speech_asset_id = add_asset(session, line.user_id, gen.id, SPEECH_ASSET, spoken.blob).id
        scene.words = words_json(spoken.result.words)
        scene.voice = spoken.result.voice
        refresh_cost(session, gen)
        record_event(
            session,
            gen.id,
            "scene",
            {
                "index": scene.index,
                "variant": variant.kind,
                "speech": "completed",
                "provider": spoken.provider,
                "duration_s": round(spoken.result.duration_s, 3),
            },
        )
        revoicing = gen.state.revoicing
        if revoicing is not None and revoicing.scene_id == scene.id:
            return True  # a re-voice: the clips are all there, the stitch runs next
        return variant.status == VariantStatus.RENDERING and join_variant(session, variant.id)


def _speech_failed(rt: Runtime, line: _Line, error: ReelsmithError) -> None:
    """No provider could speak the line: undo a re-voice, else fail the generation with the reason."""
    text = explain(error, "the speech provider failed")
    with rt.db.write() as session:
        gen = session.get(Generation, line.generation_id, with_for_update=True)
        scene = session.get(Scene, line.scene_id)
        if gen is None or scene is None or gen.status != GenerationStatus.PROCESSING:
            return
        if restore_line(session, gen, f"the new line could not be spoken: {text.public}"):
            return
        fail_generation(
            session,
            gen.id,
            f"Narration failed: {scene_label(scene)}: {text.public}",
            detail=f"narration of {scene_label(scene)}: {text.detail}",
        )
