"""Fixtures for the remote-adapter tests: sample media, fakes on loopback, settings pointing at them.

Backoff sleeps are recorded, not slept: every adapter is built with `http_sleep=sleeps.append`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reelsmith.config import Settings
from reelsmith.providers.registry import ProviderRegistry
from tests.fakes.media import image_bytes

# Every credential empty unless a test sets it, so a developer's real keys never leak into a test.
NO_KEYS: dict[str, Any] = {
    "OPENAI_API_KEY": "",
    "GEMINI_API_KEY": "",
    "REPLICATE_API_TOKEN": "",
    "FAL_KEY": "",
    "RUNWAYML_API_SECRET": "",
    "LUMAAI_API_KEY": "",
    "COMFYUI_URL": "",
}


@pytest.fixture
def reference_png(tmp_path: Path) -> Path:
    """A reference image on disk, as the pipeline hands them to adapters."""
    path = tmp_path / "reference.png"
    path.write_bytes(image_bytes("PNG", (320, 240), "teal"))
    return path


@pytest.fixture
def sleeps() -> list[float]:
    """The backoff delays adapters asked for (nothing actually sleeps)."""
    return []


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings on a temp data dir with no keys, short timeouts and a retry budget of 3."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            **NO_KEYS,
            "data_dir": tmp_path / "data",
            "provider_timeout_s": 2.0,
            "provider_retries": 3,
            **overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


@pytest.fixture
def make_registry(
    make_settings: Callable[..., Settings], sleeps: list[float]
) -> Callable[..., ProviderRegistry]:
    """A ProviderRegistry over `make_settings(**overrides)` whose backoff sleeps are recorded."""

    def build(**overrides: Any) -> ProviderRegistry:
        return ProviderRegistry(make_settings(**overrides), http_sleep=sleeps.append)

    return build
