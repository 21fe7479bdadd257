"""Log lines as text or as JSON objects, carrying the generation, scene, step and provider call they concern.

The fields live in context variables, set around a queue task (by the worker's hooks) or a block of
code (`log_fields`); a filter copies them onto every record, so any logger's line carries them
without passing ids around. `REELSMITH_LOG_FORMAT=json` turns each line into one JSON object.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelsmith.config import Settings

FIELDS = ("generation_id", "scene_id", "step", "provider_call_id", "task")
_fields: ContextVar[Mapping[str, Any] | None] = ContextVar("reelsmith_log_fields", default=None)

# Which argument of a queue task names what (tasks take ids: a generation's or a scene's).
_TASK_SUBJECT = {
    "reelsmith.advance": "generation_id",
    "reelsmith.submit_scene": "scene_id",
    "reelsmith.poll_scene": "scene_id",
    "reelsmith.speak_scene": "scene_id",
}


def current_fields() -> dict[str, Any]:
    """The fields bound in this context."""
    return dict(_fields.get() or {})


@contextmanager
def log_fields(**fields: Any) -> Iterator[None]:
    """Bind fields (e.g. `step="stitch"`) to every line logged in this context for the block."""
    token = _fields.set({**current_fields(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _fields.reset(token)


def bind_fields(**fields: Any) -> None:
    """Add fields to this context until it ends or `clear_task_fields` (within a task: until it returns)."""
    _fields.set({**current_fields(), **{k: v for k, v in fields.items() if v is not None}})


def set_task_fields(name: str, args: tuple[Any, ...] | list[Any]) -> None:
    """Bind the fields a queue task is about: its name and the id it was given."""
    fields: dict[str, Any] = {"task": name}
    subject = _TASK_SUBJECT.get(name)
    if subject and args:
        fields[subject] = str(args[0])
    _fields.set(fields)


def clear_task_fields() -> None:
    """Forget the fields of the task that just ended (worker threads are reused)."""
    _fields.set(None)


class ContextFilter(logging.Filter):
    """Copies the context's fields onto each record (as attributes), for any formatter to use."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drops it."""
        for key, value in current_fields().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context's fields, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Apply `log_format` to the root logger's handlers (made if there are none); text leaves them be."""
    if settings.log_format != "json":
        return
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO)
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
        if not any(isinstance(f, ContextFilter) for f in handler.filters):
            handler.addFilter(ContextFilter())
