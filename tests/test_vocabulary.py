"""The vocabulary is defined once: prices agree with their display, and no layer keeps its own copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import reelsmith
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.pipeline.modes import STEPS
from reelsmith.vocabulary import (
    CREATIVE_MODES,
    PRICES,
    SCENES_PER_VARIANT,
    STITCH_PRICE,
    STORYBOARD,
    STORYBOARD_PRICE,
    GenerationStatus,
    Mode,
    price_of,
    vocabulary_data,
)

PACKAGE = Path(reelsmith.__file__).parent
STATIC = PACKAGE / "web" / "static"


@pytest.mark.parametrize("mode", [*CREATIVE_MODES, Mode.STITCH])
def test_the_charged_price_matches_the_displayed_price(mode: Mode) -> None:
    shown = PRICES[mode]
    for units in (1, 3):
        clips = units * SCENES_PER_VARIANT if shown.per == "variant" else units
        charged = price_of(mode, clips if shown.per != "generation" else 1)
        expected = shown.tokens * (units if shown.per != "generation" else 1)
        assert charged == expected, f"{mode}: charged {charged}, shown {expected} for {units} {shown.per}(s)"


def test_the_pages_are_given_the_prices_of_stitching_and_storyboards() -> None:
    prices = vocabulary_data()["prices"]
    assert prices["stitch_clip"] == PRICES[Mode.STITCH].tokens == STITCH_PRICE
    assert prices["storyboard"] == PRICES[STORYBOARD].tokens == STORYBOARD_PRICE


def test_every_mode_has_steps() -> None:
    assert set(STEPS) == set(Mode)


def test_the_create_request_offers_exactly_the_creative_modes() -> None:
    schema = GenerationCreate.model_json_schema()
    assert schema["properties"]["mode"]["enum"] == [m.value for m in CREATIVE_MODES]


def test_a_stitch_cannot_be_asked_for_by_prompt() -> None:
    with pytest.raises(ValueError, match="must be one of story"):
        GenerationCreate.model_validate({"mode": "stitch", "prompt": "join these"})


# Quoted words the page scripts must read from the vocabulary rather than spell themselves.
COPIED = re.compile(r"""\[\s*["'](queued|processing|completed|failed|canceled|story|soft)["']\s*,""")


@pytest.mark.parametrize("script", sorted(p.name for p in STATIC.glob("*.js")))
def test_page_scripts_keep_no_copied_lists(script: str) -> None:
    text = (STATIC / script).read_text()
    assert not COPIED.search(text), f"{script} spells out a list the vocabulary owns"
    prices = re.findall(r"\b(?:price|tokens?)\b[^\n;]*\b(?:10|40)\b", text)
    assert not prices, f"{script} hard-codes a price: {prices}"


def test_a_storyboard_awaiting_approval_is_labelled_and_ends_event_streams() -> None:
    data = vocabulary_data()
    assert data["statuses"][GenerationStatus.AWAITING_APPROVAL] == "Awaiting approval"
    # Nothing runs while it waits: streams close and pages stop following it until approval.
    assert GenerationStatus.AWAITING_APPROVAL in data["terminal_statuses"]
    assert GenerationStatus.AWAITING_APPROVAL not in data["active_statuses"]
