"""`reelsmith generate` end to end on Gemini, Luma and an OpenAI-compatible text server, each a fake.

Each run is a fresh process whose only provider settings point at the fake; a clip provider must
start exactly one paid job per scene. The runs take the providers' own poll intervals (Luma 5 s,
Gemini 10 s), which is why each lasts several seconds. Narration is off: it is not what is tested.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.gemini_fake import GeminiFake
from tests.fakes.luma_fake import LumaFake
from tests.fakes.openai_compatible_fake import OpenAICompatibleFake
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import CdnServer, FakeServer
from tests.providers_remote.conftest import NO_KEYS
from tests.support.cli import run_reelsmith

# Every provider setting a developer may have exported, blanked; a case sets only what it means.
QUIET = {**NO_KEYS, "OPENAI_BASE_URL": "https://api.openai.com/v1"}


@dataclass(frozen=True)
class Case:
    """One run: the fake, the settings pointing at it, the chains, and the route of a paid create."""

    name: str
    build: Callable[[bytes, CdnServer], FakeServer]
    env: Callable[[Any], dict[str, str]]
    text: str
    video: str
    create_route: str  # "" when the clips are made locally


def _luma_env(fake: LumaFake) -> dict[str, str]:
    return {
        "LUMAAI_API_KEY": fake.key, "REELSMITH_LUMA_BASE_URL": fake.base_url,
        "REELSMITH_LUMA_AGENTS_BASE_URL": fake.agents_base_url,
    }  # fmt: skip


CASES = [
    Case(
        "gemini", lambda v, c: GeminiFake(v, c, polls_needed=1),
        lambda f: {"GEMINI_API_KEY": f.key, "REELSMITH_GEMINI_BASE_URL": f.base_url},
        "gemini", "gemini", "create_interaction",
    ),
    Case(
        "luma-agents", lambda v, c: LumaFake(v, c, polls_needed=1), _luma_env, "local", "luma",
        "agents_create",
    ),
    Case(
        "luma-dream-machine", lambda v, c: LumaFake(v, c, polls_needed=1), _luma_env, "local",
        "luma:ray-flash-2", "create",
    ),
    Case(
        "openai-compatible-text", lambda v, c: OpenAICompatibleFake(),
        lambda f: {"OPENAI_BASE_URL": f.base_url, "REELSMITH_OPENAI_TEXT_MODEL": "llama3.2"},
        "openai", "local", "",
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_story_completes_with_one_paid_create_per_scene(
    case: Case, sample_mp4: bytes, cdn: CdnServer, tmp_path: Path
) -> None:
    with case.build(sample_mp4, cdn) as fake:
        result = run_reelsmith(
            [
                "generate", "A lighthouse keeper finds a message in a bottle", "--mode", "story",
                "--scenes", "2", "--aspect", "9:16", "--no-narration", "--text-provider", case.text,
                "--video-provider", case.video, "--json",
            ],
            tmp_path / "data",
            env={**QUIET, **case.env(fake)},
        )  # fmt: skip
        creates = fake.calls(case.create_route) if case.create_route else []
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["status"] == "completed", data["error_message"]
    scenes = data["variants"][0]["scenes"]
    assert len(scenes) == 2
    assert all(s["status"] == "completed" and s["provider"] == case.video for s in scenes)
    assert all(Path(s["video_path"]).is_file() for s in scenes)
    if case.create_route:
        assert len(creates) == 2
    if case.text != "local":
        assert {c["provider"] for c in data["conversation"]} == {case.text}


def test_choosing_openai_for_video_is_refused_before_anything_is_sent(
    sample_mp4: bytes, tmp_path: Path
) -> None:
    with OpenAIFake(sample_mp4) as fake:
        result = run_reelsmith(
            ["generate", "A paper kite", "--mode", "video", "--video-provider", "openai", "--json"],
            tmp_path / "data",
            env={**QUIET, "OPENAI_API_KEY": fake.key, "OPENAI_BASE_URL": fake.base_url},
        )
        sent = list(fake.requests)
    assert result.returncode != 0
    assert "openai:sora-2 was shut down on 2026-09-24; use replicate:kwaivgi/kling-v3-video instead" in (
        result.stderr + result.stdout
    )
    assert sent == []
