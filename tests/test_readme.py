"""The README's maps of the code agree with the code: the Layout names the packages, and the Modes and
steps table lists the modes and their steps as the pipeline runs them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import reelsmith
from reelsmith.pipeline.modes import STEPS
from reelsmith.vocabulary import CREATIVE_MODES, Mode

README = Path(__file__).resolve().parents[1] / "README.md"
PACKAGE = Path(reelsmith.__file__).resolve().parent


def _section(title: str) -> str:
    """The text under the Markdown heading `title`, up to the next heading of the same or a higher level."""
    text = README.read_text(encoding="utf-8")
    heading = re.search(rf"^(#+) {re.escape(title)}[ \t]*$", text, re.MULTILINE)
    assert heading, f"README.md has no '{title}' heading"
    level = len(heading.group(1))
    rest = text[heading.end() :]
    following = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: following.start()] if following else rest


def _without_remarks(text: str) -> str:
    """`text` with every parenthesised remark removed, nested ones included."""
    while True:
        shorter = re.sub(r"\([^()]*\)", "", text)
        if shorter == text:
            return text
        text = shorter


def _table_rows(text: str) -> list[list[str]]:
    """The body rows of the Markdown tables in `text` (header and separator rows left out), as cells."""
    rows: list[list[str]] = []
    in_table = False
    for line in text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if in_table and not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            rows.append(cells)
        in_table = True  # the first row of a table is its header
    return rows


def _named_in_layout() -> set[str]:
    """The names the Layout section gives as packages: its table's first column, or else every bare name
    in backticks in its prose (parenthesised remarks left out)."""
    section = _section("Layout")
    rows = _table_rows(section)
    text = " ".join(row[0] for row in rows) if rows else _without_remarks(section)
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", text))


def test_layout_names_every_package_and_nothing_else() -> None:
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    modules = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")}
    named = _named_in_layout()
    missing = sorted(packages - named)
    unknown = sorted(named - packages - modules)
    assert not missing, f"README Layout does not name these packages of src/reelsmith/: {missing}"
    assert not unknown, f"README Layout names what src/reelsmith/ does not have: {unknown}"


def _modes_table() -> dict[str, list[str]]:
    """Mode → step names, read from the rows of the Modes and steps table."""
    rows: dict[str, list[str]] = {}
    for mode, steps, *_ in _table_rows(_section("Modes and steps")):
        names = [step.strip() for step in _without_remarks(steps).split("→")]
        rows[mode.strip("`")] = [name for name in names if name]
    return rows


def test_modes_table_lists_exactly_the_creative_modes() -> None:
    listed = set(_modes_table())
    modes = {mode.value for mode in CREATIVE_MODES}
    missing, unknown = sorted(modes - listed), sorted(listed - modes)
    assert not missing, f"README Modes and steps table lacks these modes: {missing}"
    assert not unknown, f"README Modes and steps table lists modes that CREATIVE_MODES does not: {unknown}"


@pytest.mark.parametrize("mode", CREATIVE_MODES, ids=str)
def test_modes_table_lists_the_steps_of_each_mode_in_order(mode: Mode) -> None:
    table = _modes_table()
    if mode.value not in table:
        pytest.skip(f"{mode.value} has no row (test_modes_table_lists_exactly_the_creative_modes says so)")
    code = [step.name for step in STEPS[mode]]
    readme = table[mode.value]
    missing = [step for step in code if step not in readme]
    extra = [step for step in readme if step not in code]
    assert readme == code, (
        f"README lists the steps of {mode.value} as {' → '.join(readme)}, but the pipeline runs"
        f" {' → '.join(code)} (missing: {missing}, extra: {extra})"
    )
