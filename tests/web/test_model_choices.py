"""The Create page offers each configured provider's usable models, marks the ones retiring soon, and
leaves out the ones already shut down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelsmith.config import Settings
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.web.model_choices import model_choices

ON = dt.date(2026, 11, 27)

# Two models of the user's own on Replicate: one retiring next month, one shut down last month.
USER_CATALOGUE = """
[[model]]
provider = "replicate"
id = "acme/retiring-video"
kind = "video"
protocol = "predictions"
[model.lifecycle]
stage = "deprecated"
shutdown = 2026-12-20

[[model]]
provider = "replicate"
id = "acme/gone-video"
kind = "video"
protocol = "predictions"
[model.lifecycle]
stage = "deprecated"
shutdown = 2026-10-01
"""


@pytest.fixture
def rt(settings: Settings, tmp_path: Path) -> Iterator[Runtime]:
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(USER_CATALOGUE)
    configured = settings.model_copy(update={"replicate_api_token": "r8_key", "catalogue_path": catalogue})
    runtime = build_runtime(configured, inline=True)
    yield runtime
    runtime.close()


def test_usable_models_are_offered_with_the_default_first(rt: Runtime) -> None:
    choices = model_choices(rt, "video", on=ON)
    names = [c["name"] for c in choices]
    assert names[0] == "local"
    assert names[1] == "replicate"  # the provider's default, chosen by its plain name
    assert "replicate:google/veo-3.1" in names
    labels = {c["name"]: c["label"] for c in choices}
    assert labels["replicate"] == "replicate · kwaivgi/kling-v3-video"


def test_a_model_retiring_soon_shows_its_date_and_a_shut_down_one_is_absent(rt: Runtime) -> None:
    labels = {c["name"]: c["label"] for c in model_choices(rt, "video", on=ON)}
    assert labels["replicate:acme/retiring-video"].endswith("retiring 2026-12-20")
    assert "replicate:acme/gone-video" not in labels
    assert not any(name.startswith("openai") for name in labels)  # not configured: not offered


def test_an_unconfigured_machine_offers_only_local(settings: Settings) -> None:
    runtime = build_runtime(settings, inline=True)
    try:
        assert [c["name"] for c in model_choices(runtime, "video", on=ON)] == ["local"]
    finally:
        runtime.close()
