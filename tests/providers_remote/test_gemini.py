"""Gemini adapters (generateContent JSON and images, Interactions API clips) against the fake Gemini API.

The fake's interaction replies are parsed with python-genai's own `Interaction` type, and the
adapter's create body with its `CreateModelInteraction`, so neither can drift from the published shapes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from google.genai import interactions as sdk
from PIL import Image

from reelsmith.errors import ProviderError
from reelsmith.prompts import json_schema_for
from reelsmith.providers import gemini
from reelsmith.providers.base import ImageRequest, TextRequest
from reelsmith.providers.gemini_video import GeminiVideoModel, output_video
from reelsmith.providers.http import UncertainSubmit
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.vocabulary import AspectRatio
from tests.fakes.drive import clip_request, run_clip
from tests.fakes.gemini_fake import GeminiFake
from tests.fakes.server import CdnServer, status_fault

OMNI = "gemini-omni-1.1-flash"


@pytest.fixture
def fake(sample_mp4: bytes, cdn: CdnServer) -> Iterator[GeminiFake]:
    with GeminiFake(sample_mp4, cdn) as server:
        yield server


@pytest.fixture
def registry(fake: GeminiFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(GEMINI_API_KEY=fake.key, gemini_base_url=fake.base_url)


def story() -> TextRequest:
    return TextRequest("story", "sys", "a story", "story", json_schema_for("story"))


def video(registry: ProviderRegistry, item: str = "gemini") -> GeminiVideoModel:
    model = registry.video(item)
    assert isinstance(model, GeminiVideoModel)
    return model


# -- text -------------------------------------------------------------------------------------------


def test_text_sends_the_json_schema_as_responsejsonschema(
    registry: ProviderRegistry, fake: GeminiFake
) -> None:
    result = registry.text("gemini").complete_json(story())
    assert result.data == fake.reply
    assert (result.input_tokens, result.output_tokens) == (80, 30)
    call = fake.calls("generate")[0]
    assert call.path.endswith("/models/gemini-3.8-flash:generateContent")
    config = call.json()["generationConfig"]
    assert config == {"responseMimeType": "application/json", "responseJsonSchema": json_schema_for("story")}
    assert call.json()["systemInstruction"]["parts"][0]["text"] == "sys"


def test_text_records_the_model_that_served_a_retired_id(
    registry: ProviderRegistry, fake: GeminiFake, caplog: pytest.LogCaptureFixture
) -> None:
    fake.served_by["gemini-3.7-flash"] = "gemini-3.8-flash"
    fake.status["gemini-3.7-flash"] = {"modelStage": "RETIRED", "message": "routed to gemini-3.8-flash"}
    with caplog.at_level(logging.WARNING, logger="reelsmith.providers.gemini"):
        result = registry.text("gemini:gemini-3.7-flash").complete_json(story())
    assert result.model == "gemini-3.8-flash"
    assert "gemini-3.7-flash is retired" in caplog.text


def test_text_blocked_prompt_is_permanent(registry: ProviderRegistry) -> None:
    request = TextRequest("story", "sys", "forbidden words", "story", json_schema_for("story"))
    with pytest.raises(ProviderError, match="PROHIBITED_CONTENT") as info:
        registry.text("gemini").complete_json(request)
    assert info.value.permanent


def test_resource_exhausted_is_retried(
    registry: ProviderRegistry, fake: GeminiFake, sleeps: list[float]
) -> None:
    fake.inject("generate", status_fault(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}))
    registry.text("gemini").complete_json(story())
    assert len(sleeps) == 1


# -- images -----------------------------------------------------------------------------------------


def test_image_uses_nano_banana_with_image_config(
    registry: ProviderRegistry, fake: GeminiFake, tmp_path: Path
) -> None:
    dest = tmp_path / "still.png"
    registry.image("gemini").generate_image(ImageRequest("a red fox", AspectRatio.VERTICAL), dest)
    with Image.open(dest) as img:
        assert img.format == "PNG"
    call = fake.calls("generate")[0]
    assert call.path.endswith("/models/gemini-nano-banana-2.1:generateContent")
    assert call.json()["generationConfig"] == {
        "responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": "9:16", "imageSize": "1K"},
    }  # fmt: skip


# -- clips through the Interactions API -------------------------------------------------------------


def test_clip_by_uri_follows_the_redirect_without_leaking_the_key(
    registry: ProviderRegistry, fake: GeminiFake, cdn: CdnServer, tmp_path: Path, sample_mp4: bytes
) -> None:
    dest = tmp_path / "clip.mp4"
    statuses = run_clip(video(registry), clip_request(duration_s=5.2, aspect="9:16"), dest)
    assert [s.state for s in statuses] == ["running", "running", "succeeded"]
    assert statuses[0].poll_after_s == 10.0
    assert dest.read_bytes() == sample_mp4
    body = fake.calls("create_interaction")[0].json()
    assert body["model"] == OMNI
    assert body["background"] is True
    assert body["response_format"] == {
        "type": "video", "aspect_ratio": "9:16", "duration": "5s", "delivery": "uri", "resolution": "720p",
    }  # fmt: skip
    assert body["generation_config"] == {"video_config": {"task": "text_to_video"}}
    assert "Camera: slow push-in." in body["input"]
    assert fake.calls("download")[0].headers["x-goog-api-key"] == fake.key
    assert "x-goog-api-key" not in cdn.calls("file")[0].headers


def test_the_create_body_is_a_valid_sdk_create_model_interaction(
    registry: ProviderRegistry, reference_png: Path
) -> None:
    body = video(registry).body(clip_request(reference_images=(reference_png,), webhook_url="https://x/h/t"))
    assert set(body) <= set(sdk.CreateModelInteraction.model_fields)
    parsed = sdk.CreateModelInteraction.model_validate(body)
    assert parsed.background is True
    assert parsed.webhook_config is not None
    assert parsed.webhook_config.uris == ["https://x/h/t"]


def test_the_fakes_replies_parse_as_sdk_interactions(
    registry: ProviderRegistry, fake: GeminiFake, tmp_path: Path
) -> None:
    run_clip(video(registry), clip_request(), tmp_path / "clip.mp4")
    handle = fake.calls("create_interaction")
    assert len(handle) == 1
    (job_id,) = fake.jobs
    reply = registry.http("gemini").json("GET", f"interactions/{job_id}")
    parsed = sdk.Interaction.model_validate(reply)
    assert parsed.status == "completed"
    assert parsed.output_video is not None
    assert parsed.output_video.uri == (output_video(reply) or {}).get("uri")


def test_clip_inline_delivery(
    registry: ProviderRegistry, fake: GeminiFake, tmp_path: Path, sample_mp4: bytes
) -> None:
    fake.delivery_override = "inline"
    run_clip(video(registry), clip_request(), tmp_path / "clip.mp4")
    assert (tmp_path / "clip.mp4").read_bytes() == sample_mp4
    assert fake.calls("download") == []


def test_one_reference_is_image_to_video(
    registry: ProviderRegistry, fake: GeminiFake, reference_png: Path
) -> None:
    video(registry).submit(clip_request(reference_images=(reference_png,)))
    body = fake.calls("create_interaction")[0].json()
    assert body["generation_config"]["video_config"]["task"] == "image_to_video"
    (step,) = body["input"]
    assert step["type"] == "user_input"
    text, image = step["content"]
    assert text["type"] == "text"
    assert image["type"] == "image"
    assert image["mime_type"] == "image/png"
    assert len(image["data"]) > 100


def test_several_references_are_reference_to_video_up_to_the_catalogued_count(
    registry: ProviderRegistry, fake: GeminiFake, reference_png: Path
) -> None:
    video(registry).submit(clip_request(reference_images=(reference_png,) * 4))
    body = fake.calls("create_interaction")[0].json()
    assert body["generation_config"]["video_config"]["task"] == "reference_to_video"
    assert [b["type"] for b in body["input"][0]["content"]] == ["text", "image", "image", "image"]


def test_a_webhook_is_asked_for_only_when_given(registry: ProviderRegistry, fake: GeminiFake) -> None:
    model = video(registry)
    model.submit(clip_request())
    model.submit(clip_request(webhook_url="https://reelsmith.example/api/webhooks/gemini/tok"))
    first, second = (c.json() for c in fake.calls("create_interaction"))
    assert "webhook_config" not in first
    assert second["webhook_config"] == {"uris": ["https://reelsmith.example/api/webhooks/gemini/tok"]}


def test_a_policy_failure_is_permanent_with_the_reason(registry: ProviderRegistry, tmp_path: Path) -> None:
    last = run_clip(video(registry), clip_request(prompt="a forbidden scene"), tmp_path / "x.mp4")[-1]
    assert last.state == "failed"
    assert last.permanent
    assert "usage policy" in (last.reason or "")


def test_cancel_stops_the_interaction(registry: ProviderRegistry, fake: GeminiFake) -> None:
    model = video(registry)
    handle = model.submit(clip_request())
    model.cancel(handle.external_id)
    status = model.poll(handle.external_id)
    assert fake.calls("cancel_interaction")[0].path.endswith(f"/interactions/{handle.external_id}/cancel")
    assert status.state == "failed"
    assert status.permanent
    assert status.reason == "the interaction ended cancelled"


def test_the_served_model_is_reported_when_it_differs(registry: ProviderRegistry, fake: GeminiFake) -> None:
    fake.served_by[OMNI] = "gemini-omni-1.2-flash"
    model = video(registry)
    status = model.poll(model.submit(clip_request()).external_id)
    assert status.served_model == "gemini-omni-1.2-flash"
    fake.served_by.clear()
    assert model.poll(model.submit(clip_request()).external_id).served_model == ""


def test_a_lost_create_reply_is_uncertain_and_not_resent(
    registry: ProviderRegistry, fake: GeminiFake
) -> None:
    fake.inject("create_interaction", status_fault(503, {"error": {"code": 503, "status": "UNAVAILABLE"}}))
    with pytest.raises(UncertainSubmit, match="uncertain"):
        video(registry).submit(clip_request())
    assert len(fake.calls("create_interaction")) == 1
    assert not hasattr(video(registry), "reconcile")  # interactions cannot be listed or tagged


def test_a_veo_entry_is_refused_before_any_request(registry: ProviderRegistry, fake: GeminiFake) -> None:
    with pytest.raises(ProviderError, match="Interactions API") as info:
        video(registry, "gemini:veo-3.1-generate-preview").submit(clip_request())
    assert info.value.permanent
    assert fake.requests == []


def test_bad_key_is_permanent(fake: GeminiFake, make_registry: Callable[..., ProviderRegistry]) -> None:
    registry = make_registry(GEMINI_API_KEY="nope", gemini_base_url=fake.base_url)
    with pytest.raises(ProviderError, match="API key not valid") as info:
        registry.video("gemini").submit(clip_request())
    assert info.value.permanent


def test_missing_key(make_registry: Callable[..., ProviderRegistry]) -> None:
    with pytest.raises(ProviderError, match=r"^gemini: GEMINI_API_KEY is not set$"):
        make_registry().video("gemini").submit(clip_request())


# -- lifecycle checks -------------------------------------------------------------------------------


def test_check_reads_model_status_of_a_text_model(registry: ProviderRegistry, fake: GeminiFake) -> None:
    fake.status["gemini-2.5-flash"] = {"modelStage": "LEGACY", "retirementTime": "2027-03-01T00:00:00Z"}
    warning = gemini.check_model(registry.http("gemini"), "gemini-2.5-flash", "text")
    assert warning == "deprecated (legacy); shuts down 2027-03-01"
    assert gemini.check_model(registry.http("gemini"), "gemini-3.8-flash", "text") is None
    assert fake.calls("generate")[0].json()["generationConfig"] == {"maxOutputTokens": 1}


def test_check_calls_an_unknown_model_id_retired(registry: ProviderRegistry, fake: GeminiFake) -> None:
    fake.unknown_models.add("veo-3.1-generate-preview")
    warning = gemini.check_model(registry.http("gemini"), "veo-3.1-generate-preview", "video")
    assert warning is not None
    assert warning.startswith("retired")
    assert gemini.check_model(registry.http("gemini"), OMNI, "video") is None
