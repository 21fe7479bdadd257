"""The local text model: template-written stories and scenes that validate and fit the request."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from reelsmith.errors import ProviderError
from reelsmith.providers.base import TextModel, TextRequest
from reelsmith.providers.local import LocalTextModel
from reelsmith.providers.local.story_beats import BEATS_BY_GENRE, CAMERA_MOVES
from reelsmith.providers.local.subject import extract_subject, is_ad_prompt

RunTask = Callable[..., dict[str, Any]]

AD = "A luxurious perfume advertisement"
NARRATIVE = "A lighthouse keeper who finds a message in a bottle during a storm"


def scene_descriptions(reply: dict[str, Any]) -> list[str]:
    return [scene["description"] for scene in reply["scenes"]]


def story_and_scenes(
    run_task: RunTask, prompt: str, n: int, *, lo: float = 2, hi: float = 12, target: float | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    story = run_task("story", prompt=prompt, title="", mode="story", scene_count=n)
    scenes = run_task(
        "scenes",
        prompt=prompt,
        story=story,
        scene_count=n,
        min_duration_s=lo,
        max_duration_s=hi,
        target_total_s=target,
    )
    return story, scenes


def test_is_a_text_model_and_says_it_is_a_template() -> None:
    model = LocalTextModel()
    assert isinstance(model, TextModel)
    assert model.name == "local"
    assert "template" in model.model


@pytest.mark.parametrize(
    ("prompt", "subject"),
    [
        (AD, "luxurious perfume"),
        ("Make an advertisement for Acme Coffee, the best brew in town", "Acme Coffee"),
        ("A video about a lighthouse keeper who finds a message", "lighthouse keeper"),
        ("a 15 second commercial for running sneakers", "running sneakers"),
        ("Luxurious perfume ad", "luxurious perfume"),
        ("A fox discovers the city", "fox"),
        ("Café Noir perfume advert", "Café Noir perfume"),
    ],
)
def test_subject_is_extracted_from_the_prompt(prompt: str, subject: str) -> None:
    assert extract_subject(prompt) == subject


@pytest.mark.parametrize(
    ("prompt", "is_ad"), [(AD, True), ("Launch video for our app", True), (NARRATIVE, False)]
)
def test_ad_prompts_are_detected(prompt: str, is_ad: bool) -> None:
    assert is_ad_prompt(prompt) is is_ad


@pytest.mark.parametrize("prompt", [AD, NARRATIVE])
def test_story_has_a_title_cased_title_and_all_fields(run_task: RunTask, prompt: str) -> None:
    story = run_task("story", prompt=prompt, title="", mode="story", scene_count=4)
    assert story["title"] == story["title"].strip()
    assert all(word[0].isupper() for word in story["title"].split() if len(word) > 3)
    assert story["logline"]
    assert story["story"]
    assert story["style"]


def test_story_keeps_the_users_title(run_task: RunTask) -> None:
    story = run_task("story", prompt=AD, title="Aurora by Night", mode="story", scene_count=3)
    assert story["title"] == "Aurora by Night"


@pytest.mark.parametrize("prompt", [AD, NARRATIVE])
@pytest.mark.parametrize("n", [1, 3, 5, 8, 20])
def test_exactly_n_scenes_that_validate(run_task: RunTask, prompt: str, n: int) -> None:
    _, scenes = story_and_scenes(run_task, prompt, n)
    assert len(scenes["scenes"]) == n
    for scene in scenes["scenes"]:
        assert scene["camera"] in CAMERA_MOVES
        assert len(scene["on_screen_text"].split()) <= 8
        assert scene["negative_prompt"]


def test_every_beat_template_names_the_subject() -> None:
    for beats in BEATS_BY_GENRE.values():
        for beat in beats.values():
            assert all("he_subject}" in d for d in beat.descriptions), beat.kind


@pytest.mark.parametrize(("prompt", "subject"), [(AD, "luxurious perfume"), (NARRATIVE, "lighthouse keeper")])
def test_subject_appears_in_every_description(run_task: RunTask, prompt: str, subject: str) -> None:
    _, scenes = story_and_scenes(run_task, prompt, 8)
    for description in scene_descriptions(scenes):
        assert subject in description.lower()


def test_ad_follows_hook_to_call_to_action(run_task: RunTask) -> None:
    _, scenes = story_and_scenes(run_task, AD, 5)
    texts = [scene["on_screen_text"] for scene in scenes["scenes"]]
    assert "Luxurious Perfume" in texts[2]  # the reveal names the product
    assert texts[-1] in {"Shop now", "Get yours today", "Available now", "Try Luxurious Perfume today"}


def test_unknown_mode_is_written_as_a_story(run_task: RunTask) -> None:
    story = run_task("story", prompt=NARRATIVE, title="", mode="documentary", scene_count=3)
    assert story == run_task("story", prompt=NARRATIVE, title="", mode="story", scene_count=3)


SOURCE = {"duration_s": 12.0, "palette": ["#112233", "#aabbcc"], "scene_lengths_s": [3, 3, 3, 3]}


def test_transform_writes_an_ad_in_the_source_palette(run_task: RunTask) -> None:
    story = run_task("transform", prompt=NARRATIVE, title="", scene_count=4, source=SOURCE)
    assert "#112233" in story["style"]
    # Even a narrative brief is retold as an ad: the ad-clone arc ends on a call to action.
    scenes = run_task(
        "variant", prompt=NARRATIVE, story=story, intensity="soft", scene_count=4, lengths_s=[3, 4, 2.5, 3]
    )
    assert [s["duration_s"] for s in scenes["scenes"]] == [3.0, 4.0, 2.5, 3.0]
    assert scenes["scenes"][-1]["on_screen_text"]


def test_variants_differ_by_intensity(run_task: RunTask) -> None:
    story = run_task("transform", prompt="Trailblazer running shoes", title="", scene_count=4, source=SOURCE)
    by_kind = {
        kind: run_task(
            "variant", prompt="Trailblazer running shoes", story=story, intensity=kind, scene_count=4,
            lengths_s=[3, 3, 3, 3],
        )["scenes"]
        for kind in ("soft", "medium", "aggressive", "ultra")
    }  # fmt: skip
    assert len({scenes[0]["description"] for scenes in by_kind.values()}) == 4
    assert all(s["on_screen_text"].isupper() for s in by_kind["aggressive"] if s["on_screen_text"])
    assert all(s["camera"] not in ("static", "orbit") for s in by_kind["aggressive"])
    device = by_kind["ultra"][0]["description"].split(":")[0]
    assert all(s["description"].startswith(device + ":") for s in by_kind["ultra"])


def test_variant_rejects_bad_intensity_and_lengths(run_task: RunTask) -> None:
    story = run_task("transform", prompt="Shoes", title="", scene_count=4, source=SOURCE)
    with pytest.raises(ProviderError, match="intensity"):
        run_task("variant", prompt="Shoes", story=story, intensity="wild", scene_count=4, lengths_s=[3] * 4)
    with pytest.raises(ProviderError, match="lengths_s"):
        run_task("variant", prompt="Shoes", story=story, intensity="soft", scene_count=4, lengths_s=[3, -1])


def test_music_video_mode_uses_song_sections(run_task: RunTask) -> None:
    story = run_task("story", prompt="Neon summer nights", title="", mode="music_video", scene_count=5)
    scenes = run_task(
        "scenes",
        prompt="Neon summer nights",
        story=story,
        scene_count=5,
        min_duration_s=2,
        max_duration_s=12,
        target_total_s=None,
        mode="music_video",
    )
    assert "chorus" in scene_descriptions(scenes)[2].lower() or "colour" in scene_descriptions(scenes)[2]


@pytest.mark.parametrize("n", [1, 3, 5, 8, 20])
def test_default_durations_are_four_to_six_seconds(run_task: RunTask, n: int) -> None:
    _, scenes = story_and_scenes(run_task, AD, n)
    assert all(4.0 <= s["duration_s"] <= 6.0 for s in scenes["scenes"])


@pytest.mark.parametrize(
    ("n", "lo", "hi", "target"),
    [(1, 2, 12, 7.5), (3, 2, 8, 15), (5, 3, 6, 22), (8, 2, 12, 60), (20, 2, 4, 61.3), (4, 5, 5, 20)],
)
def test_durations_are_within_bounds_and_sum_to_target(
    run_task: RunTask, n: int, lo: float, hi: float, target: float
) -> None:
    _, scenes = story_and_scenes(run_task, NARRATIVE, n, lo=lo, hi=hi, target=target)
    durations = [s["duration_s"] for s in scenes["scenes"]]
    assert all(lo <= d <= hi for d in durations)
    assert sum(durations) == pytest.approx(target, abs=1e-6)


def test_unreachable_target_stays_within_bounds(run_task: RunTask) -> None:
    _, scenes = story_and_scenes(run_task, AD, 3, lo=2, hi=4, target=30)
    assert [s["duration_s"] for s in scenes["scenes"]] == [4.0, 4.0, 4.0]


@pytest.mark.parametrize("prompt", [AD, NARRATIVE])
def test_same_prompt_gives_the_same_reply(run_task: RunTask, prompt: str) -> None:
    assert story_and_scenes(run_task, prompt, 6) == story_and_scenes(run_task, prompt, 6)


def test_different_prompts_give_different_replies(run_task: RunTask) -> None:
    _, a = story_and_scenes(run_task, "A luxurious perfume advertisement", 5)
    _, b = story_and_scenes(run_task, "A bold sneaker advertisement", 5)
    assert scene_descriptions(a) != scene_descriptions(b)
    first = story_and_scenes(run_task, "An ad for a smartwatch", 5)
    second = story_and_scenes(run_task, "An ad for a coffee grinder", 5)
    assert first != second


@pytest.mark.parametrize("prompt", [AD, NARRATIVE])
def test_enhance_keeps_content_and_adds_cinematic_detail(run_task: RunTask, prompt: str) -> None:
    story, scenes = story_and_scenes(run_task, prompt, 4)
    enhanced = run_task("enhance", story=story, scenes=scenes["scenes"])
    assert [s["index"] for s in enhanced["scenes"]] == [0, 1, 2, 3]
    for before, after in zip(scenes["scenes"], enhanced["scenes"], strict=True):
        assert after["description"].startswith(before["description"])
        assert re.search(r"\d+mm", after["description"])
        assert "palette" in after["description"]
    again = run_task("enhance", story=story, scenes=enhanced["scenes"])
    assert scene_descriptions(again) == scene_descriptions(enhanced)  # enhancing twice adds nothing


@pytest.mark.parametrize("prompt", [AD, NARRATIVE])
def test_align_shares_one_style_anchor(run_task: RunTask, prompt: str) -> None:
    story, scenes = story_and_scenes(run_task, prompt, 4)
    aligned = run_task("align", story=story, scenes=scenes["scenes"])
    assert aligned["style_anchor"]
    assert aligned["characters"]
    for before, after in zip(scenes["scenes"], aligned["scenes"], strict=True):
        assert after["description"].startswith(before["description"])
        assert after["description"].endswith(aligned["style_anchor"])


@pytest.mark.parametrize(
    ("task", "context"),
    [
        ("poem", {"prompt": "x"}),
        ("story", {"title": "", "mode": "story", "scene_count": 3}),
        ("story", {"prompt": "x", "title": "", "mode": "story", "scene_count": 0}),
        ("story", {"prompt": "x", "title": "", "mode": "story", "scene_count": "3"}),
        ("scenes", {"prompt": "x", "story": {}, "scene_count": 3, "min_duration_s": 9, "max_duration_s": 3}),
        ("enhance", {"story": {}, "scenes": []}),
    ],
)
def test_bad_context_is_a_permanent_provider_error(task: str, context: dict[str, Any]) -> None:
    request = TextRequest(task=task, system="", user="", schema_name=task, schema={}, context=context)
    with pytest.raises(ProviderError) as info:
        LocalTextModel().complete_json(request)
    assert info.value.permanent
