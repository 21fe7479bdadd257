"""Narrated stories spoken by the remote voices (ElevenLabs, Gemini TTS), each played by a fake that
speaks its HTTP protocol: exactly one paid speech call per scene, the words timed, the cost recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from reelsmith.config import Settings
from reelsmith.db.models import ProviderCall
from reelsmith.generations.reading import read_fresh
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.runtime import build_runtime
from reelsmith.vocabulary import AspectRatio
from tests.fakes.elevenlabs_fake import ElevenLabsFake
from tests.fakes.gemini_speech_fake import GeminiSpeechFake
from tests.fakes.server import FakeServer

SCENES = 2


@dataclass(frozen=True)
class Voice:
    """A remote voice: its fake, the settings pointing at it, and the fake's route of a paid call."""

    provider: str
    build: Callable[[], FakeServer]
    settings: Callable[[Any], dict[str, str]]
    route: str


VOICES = [
    Voice(
        "elevenlabs", ElevenLabsFake,
        lambda f: {"elevenlabs_api_key": f.key, "elevenlabs_base_url": f.url}, "speak",
    ),
    Voice(
        "gemini", GeminiSpeechFake,
        lambda f: {"gemini_api_key": f.key, "gemini_base_url": f.base_url}, "generate",
    ),
]  # fmt: skip


@pytest.fixture(params=VOICES, ids=[v.provider for v in VOICES])
def voice(request: pytest.FixtureRequest) -> Iterator[tuple[Voice, FakeServer]]:
    chosen: Voice = request.param
    with chosen.build() as fake:
        yield chosen, fake


def test_each_scene_is_spoken_by_one_paid_call(voice: tuple[Voice, FakeServer], settings: Settings) -> None:
    chosen, fake = voice
    configured = settings.model_copy(update={**chosen.settings(fake), "speech_providers": chosen.provider})
    rt = build_runtime(configured, inline=True)
    try:
        request = GenerationCreate.model_validate(
            {
                "prompt": "A lighthouse keeper's last night",
                "scenes": SCENES,
                "aspect_ratio": AspectRatio.VERTICAL,
                "narration": True,
                "captions": "file",
            }
        )
        gid = create_generation(rt, ensure_local_user(rt), request, bill=False)
        data = read_fresh(rt, gid)
        with rt.db.read() as session:
            calls = list(session.scalars(select(ProviderCall).where(ProviderCall.operation == "speech")))
    finally:
        rt.close()
    assert data.status == "completed", data.error_message
    scenes = data.variants[0].scenes
    assert len(fake.calls(chosen.route)) == SCENES  # no retry, no second voice
    assert [c.provider for c in calls] == [chosen.provider] * SCENES
    assert all(c.cost_usd and c.cost_usd > 0 for c in calls)
    for scene in scenes:
        assert scene.speech_url
        assert scene.words, scene.narration
        # The timings are of this scene's own words, in order.
        spoken = " ".join(w.word for w in scene.words).lower()
        assert spoken.split() == scene.narration.lower().split()
    assert data.captions is not None
