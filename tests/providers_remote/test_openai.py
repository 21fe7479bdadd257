"""OpenAI adapters (chat JSON, images, the shut-down Videos API, model lifecycle) against its fake."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from reelsmith.errors import ProviderError
from reelsmith.media.probe import probe
from reelsmith.prompts import json_schema_for
from reelsmith.providers import openai
from reelsmith.providers.base import ImageRequest, TextRequest
from reelsmith.providers.http import UncertainSubmit
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.vocabulary import AspectRatio
from tests.fakes.drive import clip_request, run_clip
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import malformed_fault, status_fault


@pytest.fixture
def fake(sample_mp4: bytes) -> Iterator[OpenAIFake]:
    with OpenAIFake(sample_mp4) as server:
        yield server


@pytest.fixture
def registry(fake: OpenAIFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(OPENAI_API_KEY=fake.key, OPENAI_BASE_URL=fake.base_url)


def story_request(user: str = "A lighthouse keeper finds a message in a bottle.") -> TextRequest:
    return TextRequest(
        task="story", system="You write stories.", user=user, schema_name="story reply",
        schema=json_schema_for("story"),
    )  # fmt: skip


def test_text_sends_a_strict_json_schema_and_parses_the_reply(
    registry: ProviderRegistry, fake: OpenAIFake
) -> None:
    result = registry.text("openai").complete_json(story_request())
    assert result.data == fake.chat_reply
    assert result.input_tokens == 120
    assert result.output_tokens == 45
    assert result.model.startswith("gpt-6-luna")
    body = fake.calls("chat")[0].json()
    schema = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema"
    assert schema["strict"] is True
    assert schema["name"] == "story_reply"
    assert schema["schema"] == json_schema_for("story")
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_text_refusal_is_permanent_with_the_reason(registry: ProviderRegistry) -> None:
    with pytest.raises(ProviderError) as info:
        registry.text("openai").complete_json(story_request("something forbidden"))
    assert info.value.permanent
    assert "I'm sorry, I can't help" in info.value.message


def test_text_malformed_reply_is_transient(registry: ProviderRegistry, fake: OpenAIFake) -> None:
    fake.inject("chat", malformed_fault())
    with pytest.raises(ProviderError) as info:
        registry.text("openai").complete_json(story_request())
    assert not info.value.permanent


def test_image_is_written_as_png_with_the_idempotency_key(
    registry: ProviderRegistry, fake: OpenAIFake, tmp_path: Path
) -> None:
    dest = tmp_path / "image.png"
    registry.image("openai").generate_image(
        ImageRequest("a red fox", AspectRatio.LANDSCAPE, idempotency_key="image:g1"), dest
    )
    with Image.open(dest) as img:
        assert img.format == "PNG"
    call = fake.calls("images")[0]
    assert call.json()["size"] == "1536x1024"
    assert call.json()["model"] == "gpt-image-2"
    assert call.headers["idempotency-key"] == "image:g1"


def test_image_moderation_block_is_permanent(registry: ProviderRegistry, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as info:
        registry.image("openai").generate_image(ImageRequest("a forbidden thing"), tmp_path / "x.png")
    assert info.value.permanent
    assert "rejected by the safety system" in info.value.message


def test_video_submit_poll_fetch(registry: ProviderRegistry, fake: OpenAIFake, tmp_path: Path) -> None:
    dest = tmp_path / "clip.mp4"
    statuses = run_clip(registry.video("openai"), clip_request(duration_s=6.5, aspect="9:16"), dest)
    assert [s.state for s in statuses] == ["queued", "running", "succeeded"]
    assert statuses[1].progress == pytest.approx(2 / 3, abs=0.01)
    assert statuses[0].poll_after_s == 0.25  # from openai-poll-after-ms
    info = probe(dest)
    assert info.video_codec == "h264"
    assert info.has_audio
    body = fake.calls("create_video")[0].json()
    assert body["seconds"] == "8"
    assert body["size"] == "720x1280"
    assert body["model"] == "sora-2"
    assert "Camera: slow push-in." in body["prompt"]
    assert "Avoid: blurry, watermark." in body["prompt"]


@pytest.mark.parametrize(
    ("seconds", "expected"), [(2.0, "4"), (6.0, "8"), (9.9, "8"), (10.0, "12"), (30.0, "12")]
)
def test_video_seconds_round_to_the_nearest_allowed(
    registry: ProviderRegistry, fake: OpenAIFake, seconds: float, expected: str
) -> None:
    registry.video("openai").submit(clip_request(duration_s=seconds))
    assert fake.calls("create_video")[0].json()["seconds"] == expected


def test_video_with_reference_goes_multipart_at_the_output_size(
    registry: ProviderRegistry, fake: OpenAIFake, reference_png: Path
) -> None:
    handle = registry.video("openai").submit(clip_request(reference_images=(reference_png,)))
    job = fake.jobs[handle.external_id]
    assert job.body["seconds"] == "8"
    assert job.body["size"] == "1280x720"
    assert job.body["input_reference_bytes"] > 0
    form = fake.calls("create_video")[0].form()
    with Image.open(io.BytesIO(form["input_reference"])) as img:
        assert img.size == (1280, 720)


def test_video_throttled_create_is_retried_under_the_same_idempotency_key(
    registry: ProviderRegistry, fake: OpenAIFake, sleeps: list[float]
) -> None:
    fake.inject("create_video", status_fault(429, Retry_After="1"))
    registry.video("openai").submit(clip_request(idempotency_key="clip:s9:1"))
    assert len(fake.jobs) == 1
    keys = [c.headers["idempotency-key"] for c in fake.calls("create_video")]
    assert keys == ["clip:s9:1", "clip:s9:1"]
    assert sleeps == [1.0]


def test_video_create_answered_5xx_is_uncertain_and_not_resent(
    registry: ProviderRegistry, fake: OpenAIFake
) -> None:
    fake.inject("create_video", status_fault(500))
    with pytest.raises(UncertainSubmit, match="uncertain"):
        registry.video("openai").submit(clip_request())
    assert len(fake.calls("create_video")) == 1


def test_video_claims_no_cancel(registry: ProviderRegistry) -> None:
    # DELETE /videos/{id} deletes a finished video; nothing stops a running one.
    assert not hasattr(registry.video("openai"), "cancel")


def test_video_moderation_failure_is_permanent(registry: ProviderRegistry, tmp_path: Path) -> None:
    statuses = run_clip(
        registry.video("openai"), clip_request(prompt="a forbidden scene"), tmp_path / "x.mp4"
    )
    last = statuses[-1]
    assert last.state == "failed"
    assert last.permanent
    assert last.reason is not None
    assert "blocked by our moderation system" in last.reason


def test_wrong_key_is_permanent(fake: OpenAIFake, make_registry: Callable[..., ProviderRegistry]) -> None:
    registry = make_registry(OPENAI_API_KEY="sk-wrong", OPENAI_BASE_URL=fake.base_url)
    with pytest.raises(ProviderError) as info:
        registry.video("openai").submit(clip_request())
    assert info.value.permanent
    assert "Incorrect API key" in info.value.message


def test_missing_key_is_a_clear_permanent_error(make_registry: Callable[..., ProviderRegistry]) -> None:
    registry = make_registry()
    model = registry.text("openai")  # building it must not fail
    with pytest.raises(ProviderError, match=r"^openai: OPENAI_API_KEY is not set$") as info:
        model.complete_json(story_request())
    assert info.value.permanent


def test_a_slow_job_stays_running_until_done(
    registry: ProviderRegistry, fake: OpenAIFake, tmp_path: Path
) -> None:
    fake.polls_needed = 7
    statuses = run_clip(registry.video("openai"), clip_request(), tmp_path / "clip.mp4")
    assert [s.state for s in statuses] == ["queued", *["running"] * 5, "succeeded"]
    progress = [s.progress for s in statuses]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    assert fake.creates == 1
    assert len(fake.calls("get_video")) == 7


@pytest.mark.parametrize(
    ("shutdown", "expected"),
    [
        (None, None),
        ("2026-12-11", "deprecated: shuts down 2026-12-11"),
        ("2026-10-23", "shut down 2026-10-23"),
    ],
)
def test_check_reads_the_models_shutdown_date(
    registry: ProviderRegistry, fake: OpenAIFake, shutdown: str | None, expected: str | None
) -> None:
    if shutdown:
        fake.shutdown_dates["gpt-x"] = shutdown
    said = openai.check_model(registry.http("openai"), "gpt-x", today=dt.date(2026, 11, 27))
    assert said == expected
    assert fake.calls("model")[0].path == "/v1/models/gpt-x"


def test_check_calls_an_unknown_model_retired(registry: ProviderRegistry, fake: OpenAIFake) -> None:
    fake.unknown_models.add("gpt-image-1")
    said = openai.check_model(registry.http("openai"), "gpt-image-1")
    assert said is not None
    assert said.startswith("retired")
