"""Small helpers for writing ffmpeg filtergraphs safely."""

from __future__ import annotations

import re

_LEVEL1 = re.compile(r"([\\':])")
_LEVEL2 = re.compile(r"([\\'\[\],;])")


def filter_value(value: str) -> str:
    """Escape ``value`` (a path or literal) for use as a filter option inside a -filter_complex graph."""
    # Two levels, as ffmpeg's "Notes on filtergraph escaping" describe: option parsing, then graph parsing.
    return _LEVEL2.sub(r"\\\1", _LEVEL1.sub(r"\\\1", value))


def num(value: float) -> str:
    """A float written compactly for expressions (no exponent, trailing zeros dropped)."""
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
