"""Fixtures for the provider tests: the local models and a task runner.

Test modules take everything from fixtures (never `from conftest import …`: with several
conftest.py files in the tree, the name "conftest" is ambiguous).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
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
