"""Fixtures for the provider tests: the local models, a task runner and a stand-in renderer.

Test modules take everything from fixtures (never `from conftest import …`: with several
conftest.py files in the tree, the name "conftest" is ambiguous).
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reelsmith.prompts import parse_reply
from reelsmith.providers.base import TextRequest
from reelsmith.providers.local import LocalTextModel, LocalVideoModel


def _renderer_available() -> bool:
    try:
        return importlib.util.find_spec("reelsmith.media.render") is not None
    except ModuleNotFoundError:
        return False


@pytest.fixture
def real_renderer() -> None:
    """Skip the test while the local renderer (`reelsmith.media.render`) is not importable."""
    if not _renderer_available():
        pytest.skip("reelsmith.media.render is not importable yet")


@pytest.fixture
def run_task() -> Callable[..., dict[str, Any]]:
    """Run one local text task from keyword context and return its reply, checked by parse_reply."""
    model = LocalTextModel()

    def run(task: str, **context: Any) -> dict[str, Any]:
        request = TextRequest(task=task, system="", user="", schema_name=task, schema={}, context=context)
        result = model.complete_json(request)
        parse_reply(task, result.data)
        return result.data

    return run


@pytest.fixture
def video_model(tmp_path: Path) -> LocalVideoModel:
    """A local video model keeping its jobs under the test's temp folder."""
    return LocalVideoModel(tmp_path / "jobs")


@dataclass
class FakeRenderer:
    """Stands in for `render_clip`: records every call and writes a few bytes instead of a video."""

    calls: list[Any] = field(default_factory=list)
    fail_with: Exception | None = None
    before_write: Callable[[], None] | None = None

    def render_clip(self, spec: Any, dest: Path) -> None:
        self.calls.append(spec)
        if self.before_write is not None:
            self.before_write()
        if self.fail_with is not None:
            raise self.fail_with
        Path(dest).write_bytes(b"not really an mp4")


@dataclass(frozen=True)
class _StandInSpec:
    duration_s: float
    aspect: str
    seed: int
    headline: str = ""
    caption: str = ""
    images: tuple[Path, ...] = ()
    camera: str = ""
    scene_index: int = 0
    scene_count: int = 1


@pytest.fixture
def fake_renderer(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRenderer]:
    """Replace the renderer, for tests about the job life cycle rather than the pixels."""
    fake = FakeRenderer()
    if _renderer_available():
        import reelsmith.media.render as render

        monkeypatch.setattr(render, "render_clip", fake.render_clip)
    else:
        module = types.ModuleType("reelsmith.media.render")
        module.RenderSpec = _StandInSpec  # type: ignore[attr-defined]
        module.render_clip = fake.render_clip  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "reelsmith.media.render", module)
    yield fake
