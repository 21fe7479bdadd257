"""Prompts as versioned files, rendered for the text tasks, plus the reply schemas.

Each task has a template file `<task>.md` shipped as package data::

    version: story/1
    --- system ---
    ...system text...
    --- user ---
    ...user text with $placeholders...

Placeholders use `string.Template` syntax (`$name`, `$$` for a literal dollar sign), so JSON braces
in the prose need no escaping. The placeholders of each task are the same keys the pipeline passes
to the local provider as `TextRequest.context` (see `reelsmith.providers.local.text`), so one dict
feeds both: `render_prompt(task, **values)` and `TextRequest(..., context=values)`.

Values are rendered as text: strings as they are, `None` as "none", booleans as "on"/"off", numbers
with `str`, and mappings/lists as indented JSON. Extra values are ignored so a caller may pass one
shared dict. A placeholder in `OPTIONAL` takes its default when no value is given (narration is off
unless a caller says otherwise).
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from reelsmith.errors import ReelsmithError
from reelsmith.prompts.schemas import TASKS, json_schema_for, parse_reply, reply_model, schema_name

__all__ = [
    "TASKS",
    "PromptError",
    "json_schema_for",
    "parse_reply",
    "prompt_placeholders",
    "prompt_version",
    "render_prompt",
    "reply_model",
    "schema_name",
]

# Placeholders a caller may leave out, with the value they then take.
OPTIONAL: dict[str, object] = {"narration": False}

_SYSTEM_MARK = "--- system ---"
_USER_MARK = "--- user ---"


class PromptError(ReelsmithError):
    """A prompt template is missing, malformed, or was rendered without a required value."""

    code = "prompt_error"
    http_status = 500


@dataclass(frozen=True)
class _Template:
    version: str
    system: string.Template
    user: string.Template


@cache
def _load(task: str) -> _Template:
    if task not in TASKS:
        raise PromptError(f"unknown prompt task {task!r}; expected one of {TASKS}")
    text = resources.files(__name__).joinpath(f"{task}.md").read_text(encoding="utf-8")
    head, sep, rest = text.partition(_SYSTEM_MARK)
    system, sep2, user = rest.partition(_USER_MARK)
    version = head.strip().removeprefix("version:").strip()
    if not (sep and sep2 and head.strip().startswith("version:") and version):
        raise PromptError(f"prompt file {task}.md must be 'version:', '{_SYSTEM_MARK}', '{_USER_MARK}'")
    return _Template(version, string.Template(system.strip()), string.Template(user.strip()))


def _as_text(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | Sequence):
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return str(value)


def prompt_version(task: str) -> str:
    """Return the version line of `task`'s template (e.g. "story/1"), for provenance records."""
    return _load(task).version


def prompt_placeholders(task: str) -> tuple[str, ...]:
    """Return the placeholder names `task`'s template needs, in first-use order."""
    tpl = _load(task)
    names = [*tpl.system.get_identifiers(), *tpl.user.get_identifiers()]
    return tuple(dict.fromkeys(names))


def render_prompt(task: str, **values: object) -> tuple[str, str]:
    """Render `task`'s (system, user) prompt pair; raises PromptError if a placeholder has no value."""
    tpl = _load(task)
    values = {**{k: v for k, v in OPTIONAL.items() if k in prompt_placeholders(task)}, **values}
    missing = [name for name in prompt_placeholders(task) if name not in values]
    if missing:
        raise PromptError(f"prompt {task!r} needs values for: {', '.join(missing)}")
    text_values = {name: _as_text(value) for name, value in values.items()}
    try:
        return tpl.system.substitute(text_values), tpl.user.substitute(text_values)
    except ValueError as e:  # a stray "$" in the template file itself
        raise PromptError(f"prompt file {task}.md is malformed: {e}") from e
