"""Which variant stands for a generation in cards, players and share pages.

Story-like modes have one variant. An ad clone has up to four; once scored, its best variant is the
generation's face, and before that the variants are shown in intensity order, softest first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

KIND_ORDER = ("default", "soft", "medium", "aggressive", "ultra")
BEST_PARAM = "best_variant"

T = TypeVar("T")


def kind_rank(kind: str) -> int:
    """Sort key of a variant kind: the single default first, then intensities, softest first."""
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def main_of(params: Mapping[str, Any], variants: Sequence[T], kind_of: Callable[[T], str]) -> T | None:
    """The best-scored variant if the generation has one, else the first in kind order."""
    ordered = sorted(variants, key=lambda v: kind_rank(kind_of(v)))
    best = params.get(BEST_PARAM)
    return next((v for v in ordered if kind_of(v) == best), ordered[0] if ordered else None)
