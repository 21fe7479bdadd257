"""Prompt templates and reply schemas."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from reelsmith.prompts import (
    TASKS,
    PromptError,
    json_schema_for,
    parse_reply,
    prompt_placeholders,
    prompt_version,
    render_prompt,
)
from reelsmith.prompts.schemas import AlignedScenes, SceneList, StoryDraft

STORY = {
    "title": "Meet Aurora",
    "logline": "A glow.",
    "story": "It shines.",
    "style": "Glossy, palette of gold.",
}
SCENE = {
    "description": "A bottle of perfume on marble.",
    "negative_prompt": "blurry",
    "duration_s": 5.0,
    "camera": "orbit",
    "on_screen_text": "Meet Aurora",
}
SOURCE = {"duration_s": 15.0, "shot_count": 6, "palette": ["#102030"], "scene_lengths_s": [3, 4, 5, 3]}
VALUES: dict[str, dict[str, Any]] = {
    "story": {"prompt": "A luxurious perfume advertisement", "title": "", "mode": "story", "scene_count": 4},
    "scenes": {
        "prompt": "A luxurious perfume advertisement",
        "story": STORY,
        "scene_count": 4,
        "min_duration_s": 3,
        "max_duration_s": 8,
        "target_total_s": None,
        "narration": True,
    },
    "enhance": {"story": STORY, "scenes": [SCENE]},
    "align": {"story": STORY, "scenes": [SCENE]},
    "transform": {"prompt": "Aurora perfume", "title": "", "source": SOURCE, "scene_count": 4},
    "variant": {
        "prompt": "Aurora perfume",
        "story": STORY,
        "intensity": "soft",
        "direction": "Stay close to the source.",
        "source": SOURCE,
        "scene_count": 4,
        "lengths_s": [3.0, 4.5, 5.0, 3.5],
        "narration": False,
    },
}
# Templates changed since their first version (scenes and variant learned narration).
VERSIONS = {"scenes": 2, "variant": 2}
LEFTOVER = re.compile(r"\$\{?[A-Za-z_]\w*\}?|\{[A-Za-z_]\w*\}")


def test_tasks_are_the_text_steps() -> None:
    assert TASKS == ("story", "scenes", "enhance", "align", "transform", "variant")


@pytest.mark.parametrize("task", TASKS)
def test_template_renders_with_every_placeholder_filled(task: str) -> None:
    assert set(prompt_placeholders(task)) == set(VALUES[task])
    system, user = render_prompt(task, **VALUES[task])
    assert system
    assert user
    assert not LEFTOVER.search(system), LEFTOVER.search(system)
    assert not LEFTOVER.search(user), LEFTOVER.search(user)


@pytest.mark.parametrize("task", TASKS)
def test_template_has_a_version(task: str) -> None:
    assert prompt_version(task) == f"{task}/{VERSIONS.get(task, 1)}"


def test_rendering_puts_values_in_the_user_prompt() -> None:
    _, user = render_prompt("scenes", **VALUES["scenes"])
    assert "A luxurious perfume advertisement" in user
    assert '"title": "Meet Aurora"' in user  # mappings are rendered as JSON
    assert "none" in user  # a missing target is spelled out


def test_missing_value_is_an_error() -> None:
    with pytest.raises(PromptError, match="scene_count"):
        render_prompt("story", prompt="x", title="", mode="story")


def test_unknown_task_is_an_error() -> None:
    with pytest.raises(PromptError):
        render_prompt("poem", prompt="x")


def _assert_strict(node: Any, path: str = "$") -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _assert_strict(item, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    banned = {
        "$ref",
        "$defs",
        "default",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
    }
    assert not banned & set(node), f"{path} uses {banned & set(node)}"
    if node.get("type") == "object":
        assert node.get("additionalProperties") is False, path
        assert sorted(node["required"]) == sorted(node["properties"]), path
        for name, sub in node["properties"].items():
            assert "type" in sub, f"{path}.{name} has no type"
            _assert_strict(sub, f"{path}.{name}")
    else:
        for key, value in node.items():
            if key != "properties":
                _assert_strict(value, f"{path}.{key}")


@pytest.mark.parametrize("task", TASKS)
def test_schema_is_strict_compatible(task: str) -> None:
    schema = json_schema_for(task)
    assert schema["type"] == "object"
    _assert_strict(schema)


def test_schema_is_a_fresh_copy() -> None:
    json_schema_for("story")["properties"].clear()
    assert "title" in json_schema_for("story")["properties"]


def test_parse_reply_returns_models() -> None:
    assert isinstance(parse_reply("story", STORY), StoryDraft)
    scenes = parse_reply("scenes", {"scenes": [SCENE]})
    assert isinstance(scenes, SceneList)
    assert scenes.scenes[0].duration_s == 5.0
    aligned = parse_reply(
        "align",
        '{"style_anchor": "Gold.", "characters": [], "scenes": [{"index": 0, "description": "A bottle."}]}',
    )
    assert isinstance(aligned, AlignedScenes)


@pytest.mark.parametrize(
    ("task", "data"),
    [
        ("story", {**STORY, "title": "x" * 121}),
        ("story", {"title": "Only a title"}),
        ("scenes", {"scenes": []}),
        ("scenes", {"scenes": [SCENE] * 51}),
        ("scenes", {"scenes": [{**SCENE, "duration_s": 1.5}]}),
        ("scenes", {"scenes": [{**SCENE, "duration_s": 12.5}]}),
        ("scenes", {"scenes": [{**SCENE, "on_screen_text": "y" * 81}]}),
        ("enhance", {"scenes": [{"index": 0, "description": "a", "negative_prompt": ""}] * 2}),
        ("align", {"style_anchor": "", "characters": [], "scenes": [{"index": 0, "description": "a"}]}),
    ],
)
def test_parse_reply_rejects_invalid_data(task: str, data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_reply(task, data)
