"""Scene durations for the local writer: 4-6 s by default, within bounds, summing to a target."""

from __future__ import annotations

from collections.abc import Sequence

from reelsmith.prompts.schemas import MAX_SCENE_S, MIN_SCENE_S
from reelsmith.providers.local.vocab import pick

PREFERRED_MIN_S = 4.0
PREFERRED_MAX_S = 6.0
_STEP_MS = 100  # durations are multiples of 0.1 s except for the last millisecond of a target


def _clamp(value: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, value))


def scene_bounds(min_s: float | None, max_s: float | None) -> tuple[float, float]:
    """Return the usable (min, max) scene length: the caller's bounds inside the schema's 2-12 s."""
    lo = _clamp(MIN_SCENE_S if min_s is None else float(min_s), MIN_SCENE_S, MAX_SCENE_S)
    hi = _clamp(MAX_SCENE_S if max_s is None else float(max_s), MIN_SCENE_S, MAX_SCENE_S)
    if lo > hi:
        raise ValueError(f"min_duration_s ({min_s}) is greater than max_duration_s ({max_s})")
    return lo, hi


def plan_durations(
    weights: Sequence[float],
    *,
    seed: int,
    min_s: float | None = None,
    max_s: float | None = None,
    target_s: float | None = None,
) -> list[float]:
    """Return one duration per weight; with a target the sum equals it when the bounds allow.

    An unreachable target (more than every scene at its maximum, or less than every scene at its
    minimum) yields the nearest reachable total: the bounds are the schema's, the target a wish.
    """
    lo, hi = scene_bounds(min_s, max_s)
    if target_s is None:
        return [_free_duration(w, i, seed, lo, hi) for i, w in enumerate(weights)]
    return _fit_to_target(weights, lo, hi, float(target_s))


def _free_duration(weight: float, index: int, seed: int, lo: float, hi: float) -> float:
    pref_lo = _clamp(PREFERRED_MIN_S, lo, hi)
    pref_hi = _clamp(PREFERRED_MAX_S, lo, hi)
    # Weights run from about 0.8 (hooks, calls to action) to 1.3 (reveals, climaxes).
    share = _clamp((weight - 0.8) / 0.5, 0.0, 1.0)
    jitter = pick((-0.5, 0.0, 0.0, 0.5), seed, "duration", index)
    value = _clamp(pref_lo + (pref_hi - pref_lo) * share + jitter, pref_lo, pref_hi)
    return _clamp(round(value * 2) / 2, lo, hi)


def _fit_to_target(weights: Sequence[float], lo: float, hi: float, target_s: float) -> list[float]:
    # Work in integer milliseconds so the parts add up exactly.
    lo_ms, hi_ms = round(lo * 1000), round(hi * 1000)
    n = len(weights)
    total_ms = int(_clamp(round(target_s * 1000), n * lo_ms, n * hi_ms))
    weight_sum = sum(weights) or float(n)
    parts = [
        int(_clamp(round(total_ms * w / weight_sum / _STEP_MS) * _STEP_MS, lo_ms, hi_ms)) for w in weights
    ]
    # Heaviest scenes absorb the rounding first; lighter ones only when the heavy ones are full.
    order = sorted(range(n), key=lambda i: (-weights[i], i))
    residual = total_ms - sum(parts)
    while residual:
        progressed = False
        for i in order:
            if not residual:
                break
            step = max(-_STEP_MS, min(_STEP_MS, residual))
            new = int(_clamp(parts[i] + step, lo_ms, hi_ms))
            if new != parts[i]:
                residual -= new - parts[i]
                parts[i] = new
                progressed = True
        if not progressed:  # unreachable: total_ms was clamped to what the bounds allow
            break
    return [p / 1000 for p in parts]
