"""Dominant colours of images or frames: k-means (k-means++ seeding, fixed seed) on downscaled pixels."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

_MAX_PIXELS = 20_000
_ITERATIONS = 12
_SAME_COLOR = 14.0  # per channel: closer than this reads as the same colour


def dominant_colors(pixels: NDArray[np.uint8], k: int = 5) -> list[tuple[str, float]]:
    """Up to ``k`` colours (``#rrggbb``, share of pixels) of an (..., 3) RGB array, most common first."""
    import numpy as np

    data = pixels.reshape(-1, 3).astype(np.float32)
    if len(data) == 0:
        return []
    rng = np.random.default_rng(0)  # fixed: the same video always gets the same palette
    if len(data) > _MAX_PIXELS:
        data = data[rng.choice(len(data), _MAX_PIXELS, replace=False)]
    k = min(k, len(np.unique(data, axis=0)))
    centers = data[[int(rng.integers(len(data)))]]
    while len(centers) < k:
        d2 = ((data[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        centers = np.vstack([centers, data[int(rng.choice(len(data), p=d2 / d2.sum()))]])
    for _ in range(_ITERATIONS):
        labels = ((data[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        moved = np.array(
            [data[labels == i].mean(axis=0) if (labels == i).any() else centers[i] for i in range(k)]
        )
        if np.allclose(moved, centers, atol=0.5):
            break
        centers = moved
    labels = ((data[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    shares = np.bincount(labels, minlength=k) / len(data)
    kept: list[tuple[NDArray[np.float32], float]] = []
    for i in np.argsort(-shares):
        if shares[i] == 0:
            continue
        near = next((j for j, (c, _) in enumerate(kept) if np.abs(c - centers[i]).max() < _SAME_COLOR), None)
        # Codec noise splits a flat colour into near-identical clusters; fold those into the bigger one.
        if near is None:
            kept.append((centers[i], float(shares[i])))
        else:
            kept[near] = (kept[near][0], kept[near][1] + float(shares[i]))
    return [
        ("#" + "".join(f"{round(float(v)):02x}" for v in np.clip(c, 0, 255)), round(s, 3)) for c, s in kept
    ]
