"""ComfyUI adapter: a user workflow with placeholders, client-chosen prompt_id, /history polling."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reelsmith.errors import ProviderError
from reelsmith.media.probe import probe
from reelsmith.providers.base import CancellableVideoModel, Reconcilable
from reelsmith.providers.comfyui import fill_placeholders, prompt_id_for
from reelsmith.providers.http import UncertainSubmit
from reelsmith.providers.registry import ProviderRegistry
from tests.fakes.comfyui_fake import ComfyUIFake
from tests.fakes.drive import clip_request, run_clip
from tests.fakes.media import make_gif
from tests.fakes.server import created_then_dropped

WORKFLOW = {
    "3": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": 20, "model": ["4", 0]}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}"}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{negative_prompt}}, low quality"}},
    "8": {
        "class_type": "EmptyHunyuanLatentVideo",
        "inputs": {"width": "{{width}}", "height": "{{height}}", "length": "{{frames}}", "batch_size": 1},
    },
    "9": {"class_type": "VHS_VideoCombine", "inputs": {"frame_rate": "{{fps}}", "images": ["8", 0]}},
}


@pytest.fixture
def fake(sample_mp4: bytes) -> Iterator[ComfyUIFake]:
    with ComfyUIFake(sample_mp4) as server:
        yield server


@pytest.fixture
def workflow(tmp_path: Path) -> Path:
    path = tmp_path / "wan_t2v.json"
    path.write_text(json.dumps(WORKFLOW))
    return path


@pytest.fixture
def registry(
    fake: ComfyUIFake, workflow: Path, make_registry: Callable[..., ProviderRegistry]
) -> ProviderRegistry:
    return make_registry(COMFYUI_URL=fake.url, comfyui_workflow=workflow)


def test_placeholders_keep_number_types() -> None:
    values: dict[str, str | int | float] = {
        "seed": 7, "prompt": "p", "negative_prompt": "n",
        "width": 832, "height": 480, "frames": 81, "fps": 16,
    }  # fmt: skip
    filled = fill_placeholders(WORKFLOW, values)
    assert filled["3"]["inputs"]["seed"] == 7
    assert filled["8"]["inputs"]["length"] == 81
    assert filled["7"]["inputs"]["text"] == "n, low quality"
    assert filled["3"]["inputs"]["model"] == ["4", 0]


def test_submit_poll_fetch(registry: ProviderRegistry, fake: ComfyUIFake, tmp_path: Path) -> None:
    dest = tmp_path / "clip.mp4"
    model = registry.video("comfyui")
    assert model.model == "comfyui:wan_t2v"
    statuses = run_clip(model, clip_request(duration_s=5.0, aspect="9:16"), dest)
    assert [s.state for s in statuses] == ["running", "running", "succeeded"]
    assert probe(dest).video_codec == "h264"
    body = fake.calls("prompt")[0].json()
    assert body["prompt_id"] == prompt_id_for("clip:scene-1:1")
    assert body["client_id"]
    graph = body["prompt"]
    assert graph["3"]["inputs"]["seed"] == 1234
    assert (graph["8"]["inputs"]["width"], graph["8"]["inputs"]["height"]) == (480, 832)
    assert graph["8"]["inputs"]["length"] == 81  # 5 s at 16 fps, as 4k+1 frames
    assert graph["6"]["inputs"]["text"] == "A lighthouse at dawn, waves crashing Camera: slow push-in."


def test_a_repeated_submit_does_not_queue_twice(registry: ProviderRegistry, fake: ComfyUIFake) -> None:
    first = registry.video("comfyui").submit(clip_request())
    second = registry.video("comfyui").submit(clip_request())
    assert first.external_id == second.external_id
    assert fake.creates == 1


def test_execution_error_surfaces(registry: ProviderRegistry, tmp_path: Path) -> None:
    last = run_clip(registry.video("comfyui"), clip_request(prompt="forbidden"), tmp_path / "x.mp4")[-1]
    assert last.state == "failed"
    assert last.reason == "KSampler failed: CUDA out of memory. Tried to allocate 2.00 GiB"


def test_gif_output_is_converted_to_mp4(
    registry: ProviderRegistry, fake: ComfyUIFake, tmp_path: Path
) -> None:
    fake.output_name = "reelsmith_00001.gif"
    fake.output_bytes = make_gif(tmp_path / "out.gif").read_bytes()
    dest = tmp_path / "clip.mp4"
    run_clip(registry.video("comfyui"), clip_request(), dest)
    assert probe(dest).video_codec == "h264"


def test_unknown_placeholder_is_permanent(
    fake: ComfyUIFake, tmp_path: Path, make_registry: Callable[..., ProviderRegistry]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"1": {"inputs": {"x": "{{lora}}"}}}))
    registry = make_registry(COMFYUI_URL=fake.url, comfyui_workflow=path)
    with pytest.raises(ProviderError, match=r"unknown placeholder \{\{lora\}\}") as info:
        registry.video("comfyui").submit(clip_request())
    assert info.value.permanent
    assert fake.calls("prompt") == []


@pytest.mark.parametrize(
    ("settings", "missing"),
    [({}, "COMFYUI_URL"), ({"COMFYUI_URL": "http://127.0.0.1:9"}, "REELSMITH_COMFYUI_WORKFLOW")],
)
def test_unconfigured(
    make_registry: Callable[..., ProviderRegistry], settings: dict[str, str], missing: str
) -> None:
    with pytest.raises(ProviderError, match=f"^comfyui: {missing} is not set$") as info:
        make_registry(**settings).video("comfyui").submit(clip_request())
    assert info.value.permanent


def test_a_200_with_node_errors_that_queued_a_job_is_followed(
    registry: ProviderRegistry, fake: ComfyUIFake, tmp_path: Path
) -> None:
    # ComfyUI queues the outputs that validated and lists the others' errors in the same 200 reply:
    # the job exists (and runs), so it is followed rather than abandoned for another provider.
    fake.partial_node_errors = True
    statuses = run_clip(registry.video("comfyui"), clip_request(), tmp_path / "clip.mp4")
    assert statuses[-1].state == "succeeded"
    assert len(fake.calls("prompt")) == 1


@pytest.mark.parametrize("jobs_api", [True, False], ids=["jobs-api", "older-server"])
def test_cancel_uses_the_jobs_api_or_the_queue(
    registry: ProviderRegistry, fake: ComfyUIFake, jobs_api: bool
) -> None:
    fake.jobs_api = jobs_api
    model = registry.video("comfyui")
    handle = model.submit(clip_request())
    assert isinstance(model, CancellableVideoModel)
    model.cancel(handle.external_id)
    assert fake.canceled == [handle.external_id]
    assert len(fake.calls("cancel")) == 1
    assert len(fake.calls("queue_delete")) == (0 if jobs_api else 1)


def test_a_lost_reply_is_found_by_the_key_on_a_server_that_picks_its_own_id(
    registry: ProviderRegistry, fake: ComfyUIFake
) -> None:
    fake.honours_prompt_id = False
    fake.inject("prompt", created_then_dropped())
    model = registry.video("comfyui")
    request = clip_request()
    with pytest.raises(UncertainSubmit):
        model.submit(request)
    assert isinstance(model, Reconcilable)
    found = model.reconcile(request)
    assert found is not None
    assert list(fake.jobs) == [found.external_id]
    assert found.external_id != prompt_id_for(request.idempotency_key)
