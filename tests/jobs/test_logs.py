"""JSON log lines carry the generation, scene, step and provider call they concern, set per task or block."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from reelsmith.config import Settings
from reelsmith.db.models import Generation, ProviderCall, Scene, User, Variant
from reelsmith.jobs.worker import RunningTasks
from reelsmith.logs import (
    ContextFilter,
    JsonFormatter,
    clear_task_fields,
    configure_logging,
    current_fields,
    log_fields,
    set_task_fields,
)
from reelsmith.runtime import build_runtime


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing JSON lines with the context's fields into a buffer."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger(f"reelsmith.test.logs.{id(out)}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, out
    logger.removeHandler(handler)
    clear_task_fields()


def _lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_task_names_its_generation_in_every_line(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = json_log
    set_task_fields("reelsmith.advance", ("g-1",))
    with log_fields(step="stitch"):
        logger.info("stitching %d clips", 3)
    logger.warning("after the step")

    first, second = _lines(out)
    assert first["message"] == "stitching 3 clips"
    assert (first["task"], first["generation_id"], first["step"]) == ("reelsmith.advance", "g-1", "stitch")
    assert "step" not in second  # the block ended
    assert second["level"] == "WARNING"


def test_a_scene_task_names_its_scene(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = json_log
    set_task_fields("reelsmith.poll_scene", ("s-9",))
    with log_fields(provider_call_id=42, generation_id="g-2"):
        logger.info("polled")
    (line,) = _lines(out)
    assert (line["scene_id"], line["provider_call_id"], line["generation_id"]) == ("s-9", 42, "g-2")


def test_fields_of_one_task_do_not_leak_into_the_next(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = json_log
    set_task_fields("reelsmith.advance", ("g-1",))
    clear_task_fields()
    set_task_fields("reelsmith.submit_scene", ("s-1",))
    logger.info("next task")
    (line,) = _lines(out)
    assert "generation_id" not in line
    assert current_fields() == {"task": "reelsmith.submit_scene", "scene_id": "s-1"}


def test_exceptions_are_kept_in_one_field(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = json_log
    try:
        raise ValueError("broken")
    except ValueError:
        logger.exception("step crashed")
    (line,) = _lines(out)
    assert "ValueError: broken" in line["exception"]


def test_text_format_leaves_the_handlers_alone(tmp_path: object) -> None:
    root = logging.getLogger()
    before = [(h, h.formatter) for h in root.handlers]
    configure_logging(Settings(log_format="text", _env_file=None))  # type: ignore[call-arg]
    assert [(h, h.formatter) for h in root.handlers] == before


def test_a_scene_task_names_the_provider_call_of_its_own_kind(
    settings: Settings, json_log: tuple[logging.Logger, io.StringIO]
) -> None:
    # A scene whose clip was submitted and whose line was spoken after: the submit and poll tasks name
    # the submission, the speech task the spoken line.
    rt = build_runtime(settings.model_copy(update={"log_format": "json"}))
    try:
        with rt.db.write() as session:
            user = User(username="ada")
            session.add(user)
            session.flush()
            gen = Generation(user_id=user.id, mode="story", prompt="p", status="processing")
            session.add(gen)
            session.flush()
            variant = Variant(generation_id=gen.id, status="rendering", total_scenes=1)
            session.add(variant)
            session.flush()
            scene = Scene(variant_id=variant.id, index=0, description="a boat", duration_s=4.0)
            session.add(scene)
            session.flush()
            calls = {}
            for operation in ("submit", "speech"):
                call = ProviderCall(
                    generation_id=gen.id,
                    scene_id=scene.id,
                    provider="local",
                    model="m",
                    operation=operation,
                    idempotency_key=f"{operation}:{scene.id}",
                )
                session.add(call)
                session.flush()
                calls[operation] = call.id
            scene_id, generation_id = scene.id, gen.id
        running = RunningTasks(rt)
        logger, out = json_log
        for task, operation in [
            ("reelsmith.submit_scene", "submit"),
            ("reelsmith.poll_scene", "submit"),
            ("reelsmith.speak_scene", "speech"),
        ]:
            queued = SimpleNamespace(id=f"t-{task}", name=task, args=(scene_id,))
            running._started(queued)
            logger.info("working")
            running._ended(queued, None, None)
            line = _lines(out)[-1]
            assert (line["task"], line["generation_id"]) == (task, generation_id)
            assert line["provider_call_id"] == calls[operation], task
        running.close()
    finally:
        rt.close()
