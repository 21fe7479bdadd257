"""The model catalogue: loading and its errors, user overrides, defaults, a user-added model end to end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelsmith.config import Settings
from reelsmith.providers.catalogue import CatalogueError, load, parse, shipped
from reelsmith.providers.pricing import clip_cost
from reelsmith.providers.registry import ProviderRegistry
from tests.fakes.drive import clip_request, run_clip
from tests.fakes.media import image_bytes, make_mp4
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer

DREAM = """
[[model]]
provider = "replicate"
id = "acme/dream-video-9"
kind = "video"
protocol = "predictions"
[model.capabilities]
aspects = ["16:9", "9:16"]
durations = [4, 6, 8]
start_image = true
[model.fields]
start_image = "first_frame"
duration = "length"
duration_format = "seconds_suffix"
aspect = "ratio"
seed = ""
[model.price]
per_clip = 0.5
"""


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", **values)  # type: ignore[call-arg, arg-type]


def test_shipped_catalogue_has_one_default_per_provider_and_kind() -> None:
    cat = shipped()
    assert cat.default("replicate", "video").id == "kwaivgi/kling-v3-video"  # type: ignore[union-attr]
    assert cat.default("fal", "video").id == "fal-ai/veo3.1"  # type: ignore[union-attr]
    assert cat.default("gemini", "video").id == "gemini-omni-1.1-flash"  # type: ignore[union-attr]
    assert cat.default("openai", "image").id == "gpt-image-2"  # type: ignore[union-attr]
    pairs = [(e.provider, e.kind) for e in cat.entries() if e.default]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize(
    ("provider", "model", "replacement"),
    [
        ("openai", "sora-2", "replicate:kwaivgi/kling-v3-video"),
        ("gemini", "veo-3.1-generate-preview", "gemini:gemini-omni-1.1-flash"),
        ("replicate", "google/imagen-4", "replicate:black-forest-labs/flux-1.1-pro"),
    ],
)
def test_retired_models_are_known_with_their_replacement(provider: str, model: str, replacement: str) -> None:
    entry = shipped().get(provider, model)
    assert entry is not None
    assert entry.lifecycle.is_gone(dt.date(2026, 11, 27))
    assert entry.lifecycle.replacement == replacement


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[model]\nid=", "not valid TOML"),
        ('[[model]]\nprovider = "fal"\nid = "x/y"\nkind = "movie"\n', "entry 1 (fal:x/y): kind"),
        (
            '[[model]]\nprovider = "fal"\nid = "x/y"\nkind = "video"\n[model.fields]\nstart = "image"\n',
            "entry 1 (fal:x/y): fields.start",
        ),
        (
            '[[model]]\nprovider = "fal"\nid = "x/y"\nkind = "video"\n'
            "[model.capabilities]\ndurations = { min = 8, max = 4 }\n",
            "max 4 is below min 8",
        ),
        ('[models]\nprovider = "fal"\n', "unknown top-level keys"),
    ],
)
def test_loader_errors_name_the_file_and_entry(text: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=r"^my\.toml: ") as info:
        parse(text, "my.toml")
    assert message in str(info.value)


def test_a_missing_catalogue_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="names no file"):
        load(tmp_path, tmp_path / "absent.toml")


def test_user_file_adds_and_overrides_by_provider_and_id(tmp_path: Path) -> None:
    (tmp_path / "catalogue.toml").write_text(
        DREAM + '\n[[model]]\nprovider = "openai"\nid = "sora-2"\nkind = "video"\n'
    )
    cat = load(tmp_path)  # found in the data dir
    assert cat.get("replicate", "acme/dream-video-9") is not None
    sora = cat.get("openai", "sora-2")
    assert sora is not None
    assert sora.lifecycle.stage == "ga"  # replaced whole
    assert cat.get("replicate", "kwaivgi/kling-v3-video") is not None  # the rest kept


def test_user_default_replaces_the_shipped_default(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(DREAM.replace('kind = "video"\n', 'kind = "video"\ndefault = true\n'))
    registry = ProviderRegistry(_settings(tmp_path, catalogue_path=path))
    assert registry.model_for("replicate", "video") == "acme/dream-video-9"


def test_settings_override_the_catalogue_default(tmp_path: Path) -> None:
    registry = ProviderRegistry(_settings(tmp_path, replicate_video_model="minimax/hailuo-2.3"))
    assert registry.model_for("replicate", "video") == "minimax/hailuo-2.3"
    assert registry.model_for("replicate:google/veo-3.1", "video") == "google/veo-3.1"
    assert ProviderRegistry(_settings(tmp_path)).model_for("replicate", "video") == "kwaivgi/kling-v3-video"


def test_user_catalogue_prices_are_used(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(DREAM)
    registry = ProviderRegistry(_settings(tmp_path, catalogue_path=path))
    assert clip_cost("replicate", "acme/dream-video-9", 8, catalogue=registry.catalogue) == 0.5


@pytest.fixture
def replicate(tmp_path: Path) -> Iterator[ReplicateFake]:
    video = make_mp4(tmp_path / "sample.mp4").read_bytes()
    with CdnServer() as cdn, ReplicateFake(video, cdn, polls_needed=1) as fake:
        yield fake


def test_a_model_known_only_to_the_user_catalogue_runs_on_replicate(
    tmp_path: Path, replicate: ReplicateFake
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(DREAM)
    reference = tmp_path / "ref.png"
    reference.write_bytes(image_bytes("PNG", (64, 48), "teal"))
    settings = _settings(
        tmp_path,
        catalogue_path=path,
        REPLICATE_API_TOKEN=replicate.key,
        replicate_base_url=replicate.base_url,
    )
    model = ProviderRegistry(settings).video("replicate:acme/dream-video-9")
    request = clip_request(duration_s=7.0, aspect="9:16", reference_images=(reference,))
    statuses = run_clip(model, request, tmp_path / "clip.mp4")
    assert statuses[-1].state == "succeeded"
    create = replicate.calls("create")[0]
    assert create.path == "/v1/models/acme/dream-video-9/predictions"
    body = create.json()["input"]
    assert set(body) == {"prompt", "ratio", "length", "first_frame"}
    assert body["length"] == "8s"
    assert body["ratio"] == "9:16"
    assert body["first_frame"].startswith("data:image/png;base64,")
    assert body["prompt"].endswith(
        "Avoid: blurry, watermark."
    )  # no negative prompt field: it joins the prompt
