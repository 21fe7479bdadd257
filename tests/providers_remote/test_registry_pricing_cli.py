"""The registry (names, lazy key errors, configured()), the price table and `reelsmith providers`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reelsmith.cli.providers_cmd import providers_command
from reelsmith.errors import InvalidInput, ProviderError
from reelsmith.providers.base import ImageModel, TextModel, VideoModel
from reelsmith.providers.pricing import clip_cost, image_cost, price_for, text_cost
from reelsmith.providers.registry import IMAGE_PROVIDERS, TEXT_PROVIDERS, VIDEO_PROVIDERS, ProviderRegistry
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer
from tests.providers_remote.conftest import NO_KEYS


def test_provider_names() -> None:
    assert TEXT_PROVIDERS == ("local", "openai", "gemini")
    assert IMAGE_PROVIDERS == ("local", "openai", "replicate", "fal", "gemini")
    assert VIDEO_PROVIDERS == ("local", "openai", "gemini", "replicate", "fal", "runway", "luma", "comfyui")


def test_every_adapter_builds_without_keys(make_registry: Callable[..., ProviderRegistry]) -> None:
    registry = make_registry()
    for name in TEXT_PROVIDERS:
        assert isinstance(registry.text(name), TextModel)
        assert registry.text(name).model
    for name in IMAGE_PROVIDERS:
        assert isinstance(registry.image(name), ImageModel)
        assert registry.image(name).model
    for name in VIDEO_PROVIDERS:
        model = registry.video(name)
        assert isinstance(model, VideoModel)
        assert model.name == name
        assert model.model
        assert registry.video(name) is model  # built once


def test_unknown_provider_is_invalid_input(make_registry: Callable[..., ProviderRegistry]) -> None:
    with pytest.raises(InvalidInput, match="unknown provider 'midjourney'"):
        make_registry().video("midjourney")
    with pytest.raises(InvalidInput):
        make_registry().text("runway")  # a video-only provider


@pytest.mark.parametrize(
    ("name", "env"),
    [("openai", "OPENAI_API_KEY"), ("gemini", "GEMINI_API_KEY"), ("replicate", "REPLICATE_API_TOKEN"),
     ("fal", "FAL_KEY"), ("runway", "RUNWAYML_API_SECRET"), ("luma", "LUMAAI_API_KEY"),
     ("comfyui", "COMFYUI_URL")],
)  # fmt: skip
def test_missing_key_is_permanent_on_first_use(
    make_registry: Callable[..., ProviderRegistry], name: str, env: str
) -> None:
    with pytest.raises(ProviderError) as info:
        make_registry().video(name).poll("some-job")
    assert info.value.permanent
    assert info.value.message == f"{name}: {env} is not set"


def test_configured(make_registry: Callable[..., ProviderRegistry]) -> None:
    infos = {i.name: i for i in make_registry(OPENAI_API_KEY="sk", COMFYUI_URL="http://c:8188").configured()}
    assert infos["local"].configured
    assert infos["openai"].configured
    assert infos["openai"].models == {"text": "gpt-6-luna", "image": "gpt-image-2", "video": "sora-2"}
    assert infos["openai"].kinds == ("text", "image", "video")
    assert not infos["gemini"].configured
    assert infos["gemini"].missing == "GEMINI_API_KEY"
    assert not infos["comfyui"].configured
    assert infos["comfyui"].missing == "REELSMITH_COMFYUI_WORKFLOW"
    assert infos["runway"].kinds == ("video",)


def test_prices() -> None:
    assert clip_cost("openai", "sora-2", 8) == pytest.approx(0.8)
    assert clip_cost("gemini", "veo-3.1-fast-generate-preview", 4) == pytest.approx(0.6)
    assert image_cost("replicate", "google/imagen-4", 3) == pytest.approx(0.12)
    assert text_cost("openai", "gpt-4o-mini", 1000, 2000) == pytest.approx(0.00015 + 0.0012)
    assert clip_cost("local", "local-render-v1", 30) == 0.0
    assert clip_cost("comfyui", "comfyui:wan", 5) == 0.0
    assert clip_cost("openai", "sora-9", 5) == 0.0
    assert price_for("openai", "sora-9") is None


def test_price_overrides() -> None:
    prices = '{"openai:sora-2": {"per_second": 0.2}, "replicate:owner/new": {"per_image": 0.5}}'
    assert clip_cost("openai", "sora-2", 10, prices=prices) == pytest.approx(2.0)
    assert image_cost("replicate", "owner/new", 2, prices=prices) == pytest.approx(1.0)
    with pytest.raises(InvalidInput, match="prices"):
        clip_cost("openai", "sora-2", 1, prices='{"openai:sora-2": {"per_minute": 1}}')
    with pytest.raises(InvalidInput, match="prices"):
        clip_cost("openai", "sora-2", 1, prices="not json")


def test_providers_cli_lists_and_checks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sample_mp4: bytes, cdn: CdnServer
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key in NO_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("REELSMITH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    app = typer.Typer()
    app.command("providers")(providers_command)
    app.command("noop")(lambda: None)  # two commands, so "providers" stays a sub-command
    with OpenAIFake(sample_mp4) as openai, ReplicateFake(sample_mp4, cdn) as replicate:
        monkeypatch.setenv("OPENAI_API_KEY", openai.key)
        monkeypatch.setenv("OPENAI_BASE_URL", openai.base_url)
        monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_wrong")
        monkeypatch.setenv("REELSMITH_REPLICATE_BASE_URL", replicate.base_url)
        result = CliRunner().invoke(app, ["providers"])
        assert len(openai.calls("models")) == 1
        assert len(replicate.calls("account")) == 1
        listing = CliRunner().invoke(app, ["providers", "--no-check"])
    assert result.exit_code == 1, result.output  # the wrong Replicate token fails its check
    assert "ok (" in result.output
    assert "HTTP 401: You did not pass a valid" in result.output
    assert "set GEMINI_API_KEY" in result.output
    assert "$0.1/s" in result.output
    assert listing.exit_code == 0
    assert "sora-2" in listing.output
