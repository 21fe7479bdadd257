"""A stand-in language model for the chat/generateContent fakes: it answers with JSON built from the
schema it was sent, the way a structured-output model does.

It reads only what a real model would: the schema (JSON Schema, or Gemini's OpenAPI subset with
upper-case types) and the prompt text. Array lengths follow the prompt — "exactly N" scenes, or the
scenes listed as JSON for a rewrite — numbers stay inside the "between A and B" bounds the prompt or
the field description states, and strings stay short enough for every "at most N characters" rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_EXACTLY = re.compile(r"exactly\s+(\d+)", re.IGNORECASE)
_BETWEEN = re.compile(r"between\s+(\d+(?:\.\d+)?)\s+and\s+(\d+(?:\.\d+)?)", re.IGNORECASE)
_BRIEF = re.compile(r"^(?:Brief|Original brief):\s*(.+)$", re.MULTILINE)
_TARGET_TOTAL = re.compile(r"Target total duration in seconds[^:]*:\s*(\d+(?:\.\d+)?)")
_MAX_TEXT = 60  # below every "at most N characters" rule in the reply schemas


def listed_items(text: str) -> int | None:
    """How many items the JSON list after "Scenes (JSON…):" in `text` holds, if there is one."""
    marker = text.find("Scenes (JSON")
    if marker < 0:
        return None
    start = text.find("[", marker)
    if start < 0:
        return None
    try:
        items, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return None
    return len(items) if isinstance(items, list) else None


class ReplyContext:
    """What the prompt says about the reply: how many items, which number range, whose brief."""

    def __init__(self, user: str) -> None:
        exactly = _EXACTLY.search(user)
        self.count = int(exactly[1]) if exactly else listed_items(user)
        between = _BETWEEN.search(user)
        self.bounds = (float(between[1]), float(between[2])) if between else None
        target = _TARGET_TOTAL.search(user)
        self.target_total = float(target[1]) if target else None
        brief = _BRIEF.search(user)
        self.brief = (brief[1] if brief else "the subject").strip()[:40]


def schema_reply(schema: Mapping[str, Any], user: str) -> dict[str, Any]:
    """A JSON object that validates against `schema`, shaped by what the prompt asks for."""
    value = _build(schema, "reply", ReplyContext(user), 0, None)
    if not isinstance(value, dict):
        raise ValueError(f"schema root is not an object: {schema.get('type')!r}")
    return value


def _kind(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):  # ["string", "null"]
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind).lower()


def _build(schema: Mapping[str, Any], name: str, ctx: ReplyContext, index: int, count: int | None) -> Any:
    if "anyOf" in schema:
        return _build(schema["anyOf"][0], name, ctx, index, count)
    if "enum" in schema:
        return schema["enum"][0]
    kind = _kind(schema)
    if kind == "object":
        props: Mapping[str, Any] = schema.get("properties", {})
        return {key: _build(sub, key, ctx, index, count) for key, sub in props.items()}
    if kind == "array":
        # The list the prompt is about (scenes) gets the count it names; any other list one item.
        n = (ctx.count or 1) if name == "scenes" else 1
        return [_build(schema.get("items", {}), name, ctx, i, n) for i in range(n)]
    if kind == "integer":
        return index if name == "index" else int(_number(schema, ctx, count))
    if kind == "number":
        return _number(schema, ctx, count)
    if kind == "boolean":
        return False
    return _text(name, ctx, index)


def _number(schema: Mapping[str, Any], ctx: ReplyContext, count: int | None) -> float:
    if ctx.target_total and count:
        return round(ctx.target_total / count, 3)
    found = _BETWEEN.search(str(schema.get("description", "")))
    bounds = ctx.bounds or ((float(found[1]), float(found[2])) if found else (1.0, 1.0))
    return (bounds[0] + bounds[1]) / 2


def _text(name: str, ctx: ReplyContext, index: int) -> str:
    if name == "on_screen_text":
        return f"Scene {index + 1}"
    if name == "camera":
        return ("slow push-in", "pan left", "orbit", "static close-up")[index % 4]
    if name == "negative_prompt":
        return "blurry, watermark, distorted hands"
    if name == "title":
        return f"A Film About {ctx.brief}"[:_MAX_TEXT].title()
    return f"{name.replace('_', ' ').capitalize()} {index + 1}: {ctx.brief}"[:_MAX_TEXT]
