"""Which variant stands for a generation in cards, players and share pages.

Story-like modes have one variant. An ad clone has up to four; once scored, its best variant is the
generation's face, and before that the variants are shown in intensity order, softest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from reelsmith.vocabulary import VARIANT_ORDER

T = TypeVar("T")


def kind_rank(kind: str) -> int:
    """Sort key of a variant kind: the single default first, then intensities, softest first."""
    return VARIANT_ORDER.index(kind) if kind in VARIANT_ORDER else len(VARIANT_ORDER)


def main_of(best: str | None, variants: Sequence[T], kind_of: Callable[[T], str]) -> T | None:
    """The variant of kind `best` (the evaluation's pick) if there is one, else the first in kind order."""
    ordered = sorted(variants, key=lambda v: kind_rank(kind_of(v)))
    return next((v for v in ordered if kind_of(v) == best), ordered[0] if ordered else None)
