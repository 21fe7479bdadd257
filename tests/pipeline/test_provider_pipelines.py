"""Whole generations on remote providers, each played by a fake that speaks its HTTP protocol.

These are the providers issue's "Done when" checks: the real `reelsmith generate` command per
provider, twenty generations through injected transient faults, and failover to `local` when a
provider refuses every clip.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reelsmith.config import Settings
from reelsmith.db.models import Asset, ProviderCall
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.media.stitch.house import in_house_format
from reelsmith.media.stitch.scan import scan_clip
from reelsmith.providers.comfyui import KEY_FIELD
from reelsmith.runtime import Runtime
from reelsmith.vocabulary import AspectRatio, Mode, Transition
from tests.fakes.comfyui_fake import ComfyUIFake
from tests.fakes.fal_fake import FalFake
from tests.fakes.gemini_fake import GeminiFake
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.replicate_fake import SENSITIVE, ReplicateFake
from tests.fakes.runway_fake import RunwayFake
from tests.fakes.server import CdnServer, FakeServer, FaultPlan, Recorded, malformed_fault, status_fault
from tests.pipeline.helpers import PROVIDER_ENV, replicate_runtime, wait_for_end

# Credentials and endpoints a developer may have exported; a test sets only the ones it means.


@dataclass(frozen=True)
class Case:
    """One provider's CLI run: how to build its fake, the env that points at it, the chains to use."""

    provider: str
    text_provider: str
    create_route: str  # the fake's route that starts a paid clip job
    build: Callable[[bytes, CdnServer], FakeServer]
    env: Callable[[Any], dict[str, str]]
    served_by: str = ""  # the model the fake says made the clips, when it is not the one asked for
    key_of: Callable[[Recorded], str] = lambda r: r.headers.get("idempotency-key", "")  # a create's key


# Gemini routes retired ids to their successors and says so in the reply's `model`.
GEMINI_SUCCESSOR = "gemini-omni-1.2-flash"


def _gemini(video: bytes, cdn: CdnServer) -> FakeServer:
    fake = GeminiFake(video, cdn, polls_needed=1)
    fake.served_by["gemini-omni-1.1-flash"] = GEMINI_SUCCESSOR
    return fake


def _openai(video: bytes, cdn: CdnServer) -> FakeServer:
    fake = OpenAIFake(video, polls_needed=2)
    fake.poll_after_ms = "100"
    return fake


# Sora 2 is shut down; an account that still reaches it (as this fake does) lists it again in its
# own catalogue file, which the OpenAI run below points at.
STILL_REACHABLE = """
[[model]]
provider = "openai"
id = "sora-2"
kind = "video"
default = true
"""


def _revived(env: dict[str, str]) -> dict[str, str]:
    """`env` plus a user catalogue that lists the shut-down models as working."""
    path = Path(tempfile.mkdtemp(prefix="catalogue-")) / "catalogue.toml"
    path.write_text(STILL_REACHABLE)
    return {**env, "REELSMITH_CATALOGUE_PATH": str(path)}


# A text-to-video workflow in ComfyUI's API format, with the placeholders the adapter fills.
COMFYUI_WORKFLOW = {
    "3": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": 20, "model": ["4", 0]}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}"}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{negative_prompt}}"}},
    "8": {
        "class_type": "EmptyHunyuanLatentVideo",
        "inputs": {"width": "{{width}}", "height": "{{height}}", "length": "{{frames}}", "batch_size": 1},
    },
    "9": {"class_type": "VHS_VideoCombine", "inputs": {"frame_rate": "{{fps}}", "images": ["8", 0]}},
}


def _comfyui_workflow() -> Path:
    """The workflow file REELSMITH_COMFYUI_WORKFLOW names."""
    path = Path(tempfile.mkdtemp(prefix="comfyui-")) / "hunyuan_t2v.json"
    path.write_text(json.dumps(COMFYUI_WORKFLOW))
    return path


def _comfyui_key(request: Recorded) -> str:
    """ComfyUI takes no Idempotency-Key header: the key travels in the prompt's extra_data."""
    return str(request.json().get("extra_data", {}).get(KEY_FIELD, ""))


CASES = [
    Case(
        "openai", "openai", "create_video", _openai,
        lambda f: _revived({"OPENAI_API_KEY": f.key, "OPENAI_BASE_URL": f.base_url}),
    ),
    Case(
        "gemini", "gemini", "create_interaction", _gemini,
        lambda f: {"GEMINI_API_KEY": f.key, "REELSMITH_GEMINI_BASE_URL": f.base_url}, GEMINI_SUCCESSOR,
    ),
    Case(
        "replicate", "local", "create", lambda v, c: ReplicateFake(v, c, polls_needed=1),
        lambda f: {"REPLICATE_API_TOKEN": f.key, "REELSMITH_REPLICATE_BASE_URL": f.base_url},
    ),
    Case(
        "fal", "local", "submit", lambda v, c: FalFake(v, c, polls_needed=1),
        lambda f: {"FAL_KEY": f.key, "REELSMITH_FAL_BASE_URL": f.base_url},
    ),
    # No reference images: gen4.5 makes the clips from text.
    Case(
        "runway", "local", "create_text", lambda v, c: RunwayFake(v, c, polls_needed=1),
        lambda f: {"RUNWAYML_API_SECRET": f.key, "REELSMITH_RUNWAY_BASE_URL": f.base_url},
    ),
    Case(
        "comfyui", "local", "prompt", lambda v, c: ComfyUIFake(v, polls_needed=1),
        lambda f: {"COMFYUI_URL": f.url, "REELSMITH_COMFYUI_WORKFLOW": str(_comfyui_workflow())},
        key_of=_comfyui_key,
    ),
]  # fmt: skip


def run_cli(args: list[str], data_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`reelsmith ARGS` in a fresh process with only `env` (plus the data dir) configuring it."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_") and k not in PROVIDER_ENV}
    data_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "reelsmith", *args],
        env={**base, "REELSMITH_NARRATE_BY_DEFAULT": "false", **env, "REELSMITH_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=data_dir.parent,  # no stray .env file is read
    )


@pytest.mark.parametrize("case", CASES, ids=[c.provider for c in CASES])
def test_cli_story_runs_on_the_provider(
    case: Case, sample_mp4: bytes, cdn: CdnServer, tmp_path: Path
) -> None:
    with case.build(sample_mp4, cdn) as fake:
        result = run_cli(
            [
                "generate", "A lighthouse keeper finds a message in a bottle", "--mode", "story",
                "--scenes", "2", "--aspect", "9:16", "--text-provider", case.text_provider,
                "--video-provider", case.provider, "--json",
            ],
            tmp_path / "data",
            case.env(fake),
        )  # fmt: skip
        creates = fake.calls(case.create_route)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["status"] == "completed", data["error_message"]
    scenes = data["variants"][0]["scenes"]
    assert len(scenes) == 2
    assert all(s["status"] == "completed" and s["provider"] == case.provider for s in scenes)
    assert all(s["video_url"] and Path(s["video_path"]).is_file() for s in scenes)
    # Exactly one paid job per scene, each under its own idempotency key.
    assert len(creates) == 2
    assert len({case.key_of(r) for r in creates} - {""}) == 2
    if case.text_provider != "local":
        assert {c["task"] for c in data["conversation"]} == {"story", "scenes", "enhance", "align"}
        assert {c["provider"] for c in data["conversation"]} == {case.text_provider}
    if case.served_by:  # the clips' call records name the model that made them
        with sqlite3.connect(tmp_path / "data" / "reelsmith.db") as db:
            models = db.execute("SELECT model FROM provider_calls WHERE operation = 'submit'").fetchall()
        assert models
        assert {m for (m,) in models} == {case.served_by}


# -- in-process runs with a real consumer --------------------------------------------------------


@pytest.fixture
def replicate(sample_mp4: bytes, cdn: CdnServer) -> Iterator[ReplicateFake]:
    """The Replicate fake; predictions finish on their first poll."""
    with ReplicateFake(sample_mp4, cdn, polls_needed=1) as fake:
        yield fake


@pytest.fixture
def rt(settings: Settings, replicate: ReplicateFake) -> Iterator[Runtime]:
    """A runtime on the test database whose Replicate is the fake, with the consumer running."""
    with replicate_runtime(settings, replicate) as runtime:
        yield runtime


def _create_prompt(request: Recorded) -> str:
    """A create is named by its prompt: stable across runs, unlike ids and seeds."""
    return str(request.json().get("input", {}).get("prompt", ""))


def test_twenty_generations_survive_thirty_percent_transient_faults(
    rt: Runtime, replicate: ReplicateFake
) -> None:
    throttled = {"detail": "Request was throttled. Expected available in 1 second."}
    faults = (
        status_fault(429, throttled, Retry_After="0"),
        status_fault(429, throttled, Retry_After="1"),
        status_fault(500, {"detail": "Internal Server Error"}),
        status_fault(503, {"detail": "Service Unavailable"}),
        malformed_fault(),
    )
    replicate.inject_randomly("create", FaultPlan(0.3, faults, seed=7, identity=_create_prompt))
    replicate.inject_randomly("get", FaultPlan(0.3, faults, seed=7))
    user = ensure_local_user(rt)
    ids = [
        create_generation(
            rt,
            user,
            GenerationCreate(
                mode=Mode.VIDEO,
                prompt=f"Paper boat number {n} drifting down a rainy street",
                duration_s=4,
                providers=ProviderChoice(video="replicate"),
            ),
            bill=False,
        )
        for n in range(20)
    ]
    ends = [wait_for_end(rt, gid, timeout_s=90) for gid in ids]
    assert [e["status"] for e in ends] == ["completed"] * 20, [e["error_message"] for e in ends]
    assert all(e["variants"][0]["scenes"][0]["provider"] == "replicate" for e in ends)
    plans = replicate.plans
    assert plans["create"].served >= 3
    assert plans["get"].served >= 3


def test_a_refusing_provider_fails_over_to_local_and_the_refusal_is_recorded(
    rt: Runtime, replicate: ReplicateFake
) -> None:
    refusal = {"title": "Invalid input", "detail": SENSITIVE, "status": 422}
    replicate.fail_always("create", status_fault(422, refusal))
    user = ensure_local_user(rt)
    gid = create_generation(
        rt,
        user,
        GenerationCreate(
            prompt="A cosy mountain cabin in winter",
            scenes=2,
            aspect_ratio=AspectRatio.SQUARE,
            providers=ProviderChoice(text="local", video="replicate,local"),
        ),
        bill=False,
    )
    data = wait_for_end(rt, gid)
    assert data["status"] == "completed", data["error_message"]
    scenes = data["variants"][0]["scenes"]
    assert len(scenes) == 2
    assert all(s["status"] == "completed" and s["provider"] == "local" for s in scenes)
    # A refusal is permanent: one create per scene, no retries on Replicate.
    assert len(replicate.calls("create")) == 2
    with rt.db.read() as session:
        calls = list(
            session.scalars(
                select(ProviderCall).where(
                    ProviderCall.generation_id == gid, ProviderCall.operation == "submit"
                )
            )
        )
    failed = [c for c in calls if c.provider == "replicate"]
    assert len(failed) == 2
    assert all(c.status == "failed" for c in failed)
    assert all("E005" in (c.error_message or "") and "422" in (c.error_message or "") for c in failed)
    local = [c for c in calls if c.provider == "local"]
    assert len(local) == 2
    assert all(c.status == "succeeded" for c in local)


def test_a_lost_submit_reply_is_resent_under_the_same_idempotency_key(
    rt: Runtime, replicate: ReplicateFake
) -> None:
    replicate.inject("create", status_fault(500, {"detail": "Internal Server Error"}), malformed_fault())
    user = ensure_local_user(rt)
    gid = create_generation(
        rt,
        user,
        GenerationCreate(
            mode=Mode.VIDEO,
            prompt="A kite over dunes",
            duration_s=4,
            providers=ProviderChoice(video="replicate"),
        ),
        bill=False,
    )
    data = wait_for_end(rt, gid, timeout_s=60)
    assert data["status"] == "completed", data["error_message"]
    creates = replicate.calls("create")
    assert len(creates) == 3
    assert len({r.headers.get("idempotency-key") for r in creates}) == 1  # one attempt, sent three times
    assert data["variants"][0]["scenes"][0]["attempts"] == 1


def test_provider_clips_are_kept_in_the_house_format_beside_the_delivered_file(
    rt: Runtime, replicate: ReplicateFake, sample_mp4: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    user = ensure_local_user(rt)
    with caplog.at_level(logging.INFO, logger="reelsmith.media.stitch"):
        gid = create_generation(
            rt,
            user,
            GenerationCreate(
                prompt="A lighthouse at dawn",
                scenes=2,
                transition=Transition.FADE,
                providers=ProviderChoice(text="local", video="replicate"),
            ),
            bill=False,
        )
        data = wait_for_end(rt, gid)
    assert data["status"] == "completed", data["error_message"]
    scenes = data["variants"][0]["scenes"]
    # Clips that arrived while others were still rendering were converted to the house format and keep
    # the delivered file beside them; the last one to arrive may be the delivered file itself.
    assert "re-encoded in windows" in caplog.text
    assert "full transition re-encode" not in caplog.text
    with rt.db.read() as session:
        for scene in scenes:
            if scene["delivered_url"] is None:
                assert Path(scene["video_path"]).read_bytes() == sample_mp4
                continue
            assert in_house_format(scan_clip(Path(scene["video_path"])))
            delivered = session.get(Asset, scene["delivered_url"].rsplit("/", 1)[-1])
            assert delivered is not None
            assert delivered.kind == "delivered"
            with rt.blobs.local_path(delivered.storage_key) as path:
                assert path.read_bytes() == sample_mp4


def test_only_the_last_clip_to_arrive_is_left_as_delivered(
    rt: Runtime, replicate: ReplicateFake, sample_mp4: bytes
) -> None:
    # A one-scene video: its clip is the last of its variant to arrive.
    gid = create_generation(
        rt,
        ensure_local_user(rt),
        GenerationCreate(
            mode=Mode.VIDEO, prompt="A paper kite", duration_s=4, providers=ProviderChoice(video="replicate")
        ),
        bill=False,
    )
    data = wait_for_end(rt, gid)
    assert data["status"] == "completed", data["error_message"]
    (scene,) = data["variants"][0]["scenes"]
    assert scene["delivered_url"] is None  # the only clip is the last: nothing waits on a conversion
    assert Path(scene["video_path"]).read_bytes() == sample_mp4
