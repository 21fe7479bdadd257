"""Spoken-length estimates, scene lengths fitted to lines, and the local writer's narration."""

from __future__ import annotations

from typing import Any

import pytest

from reelsmith.creative.narration import fit_scene_durations, fits, spoken_length_s, word_budget
from reelsmith.prompts import parse_reply
from reelsmith.providers.base import TextRequest
from reelsmith.providers.local import LocalTextModel
from reelsmith.speech.words import split_words
from reelsmith.vocabulary import BREATH_S, WORDS_PER_SECOND

AD = "A luxurious perfume advertisement"
STORY = "A lighthouse keeper who finds a message in a bottle during a storm"


def run(task: str, **context: Any) -> dict[str, Any]:
    request = TextRequest(task=task, system="", user="", schema_name=task, schema={}, context=context)
    data = LocalTextModel().complete_json(request).data
    parse_reply(task, data)
    return data


def scenes(prompt: str, mode: str, narration: bool, count: int = 5) -> list[dict[str, Any]]:
    story = run("story", prompt=prompt, title="", mode=mode, scene_count=count)
    reply = run(
        "scenes", prompt=prompt, story=story, scene_count=count, min_duration_s=3.0, max_duration_s=8.0,
        target_total_s=None, mode=mode, narration=narration,
    )  # fmt: skip
    return list(reply["scenes"])


def test_spoken_length_is_words_at_the_writing_pace() -> None:
    assert spoken_length_s("one two three four five") == pytest.approx(5 / WORDS_PER_SECOND)
    assert spoken_length_s("  ") == 0.0


def test_fit_lengthens_only_scenes_too_short_for_their_line() -> None:
    line = " ".join(["word"] * 15)  # 6 s at 2.5 words per second
    fitted = fit_scene_durations([4.0, 9.0, 3.0], [line, line, ""])
    assert fitted[0] >= spoken_length_s(line) + BREATH_S + 0.2
    assert fitted[1:] == [9.0, 3.0]
    assert all(fits(d, line) for d, line in zip(fitted, [line, line, ""], strict=True))


def test_fit_refuses_mismatched_lists() -> None:
    with pytest.raises(ValueError, match="2 scene durations for 1 lines"):
        fit_scene_durations([3.0, 4.0], ["hello"])


@pytest.mark.parametrize("prompt", [AD, STORY])
def test_local_writer_fills_each_scene_to_its_word_budget(prompt: str) -> None:
    for scene in scenes(prompt, "story", narration=True):
        words = len(split_words(scene["narration"]))
        budget = word_budget(scene["duration_s"])
        assert budget // 2 <= words <= budget, (scene["duration_s"], scene["narration"])
        assert fits(scene["duration_s"], scene["narration"])


def test_local_writer_leaves_narration_empty_when_off() -> None:
    assert {s["narration"] for s in scenes(AD, "story", narration=False)} == {""}


def test_music_video_is_never_narrated() -> None:
    assert {s["narration"] for s in scenes(STORY, "music_video", narration=True)} == {""}


def test_ad_clone_variant_lines_fit_the_source_lengths() -> None:
    story = run("transform", prompt=AD, title="", scene_count=4, source={"palette": []})
    lengths = [2.5, 4.0, 6.0, 3.0]
    reply = run(
        "variant",
        prompt=AD,
        story=story,
        intensity="medium",
        scene_count=4,
        lengths_s=lengths,
        narration=True,
    )
    assert [s["duration_s"] for s in reply["scenes"]] == lengths
    assert all(s["narration"] and fits(s["duration_s"], s["narration"]) for s in reply["scenes"])
