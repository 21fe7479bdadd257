"""Map a scene's camera direction ("slow push-in", "pan left", "orbit", …) to zoompan expressions."""

from __future__ import annotations

from dataclasses import dataclass

# Keywords checked in order; the first one found in the (lower-cased) camera text wins.
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("static", "static"),
    ("locked", "static"),
    ("still", "static"),
    ("orbit", "orbit"),
    ("arc", "orbit"),
    ("circl", "orbit"),
    ("pull", "pull_out"),
    ("zoom out", "pull_out"),
    ("dolly out", "pull_out"),
    ("reveal", "pull_out"),
    ("push", "push_in"),
    ("zoom", "push_in"),
    ("dolly", "push_in"),
    ("close", "push_in"),
    ("pan left", "pan_left"),
    ("truck left", "pan_left"),
    ("pan right", "pan_right"),
    ("truck right", "pan_right"),
    ("track", "pan_right"),
    ("pan", "pan_right"),
    ("tilt up", "tilt_up"),
    ("crane", "tilt_up"),
    ("rise", "tilt_up"),
    ("tilt down", "tilt_down"),
    ("tilt", "tilt_down"),
)
_DEFAULT_MOVES = ("push_in", "pan_right", "pull_out", "pan_left", "tilt_up")


@dataclass(frozen=True)
class Motion:
    """zoompan expressions (``zoom``, ``x``, ``y``) for one camera move; ``name`` is the move's key."""

    name: str
    zoom: str
    x: str
    y: str


def camera_move(camera: str, seed: int) -> str:
    """The move key for a free-text camera direction; unknown or empty text picks one from the seed."""
    text = camera.lower()
    for keyword, move in _KEYWORDS:
        if keyword in text:
            return move
    return _DEFAULT_MOVES[seed % len(_DEFAULT_MOVES)]


def motion(camera: str, seed: int, frames: int) -> Motion:
    """zoompan expressions moving smoothly (ease in-out) over ``frames`` output frames."""
    move = camera_move(camera, seed)
    last = max(1, frames - 1)
    ease = f"((1-cos(PI*min(1,on/{last})))/2)"
    center_x = "(iw-iw/zoom)/2"
    center_y = "(ih-ih/zoom)/2"
    if move == "push_in":
        return Motion(move, f"1+0.16*{ease}", center_x, center_y)
    if move == "pull_out":
        return Motion(move, f"1.16-0.16*{ease}", center_x, center_y)
    if move == "static":
        # A locked-off shot still breathes a little, so it never reads as a frozen frame.
        return Motion(move, f"1.03+0.025*{ease}", center_x, center_y)
    if move in ("pan_left", "pan_right", "tilt_up", "tilt_down"):
        pos = f"(1-{ease})" if move in ("pan_left", "tilt_up") else ease
        zoom = "1.18"
        if move.startswith("pan"):
            return Motion(move, zoom, f"(iw-iw/zoom)*{pos}", center_y)
        return Motion(move, zoom, center_x, f"(ih-ih/zoom)*{pos}")
    # orbit: drift around the centre on an ellipse while easing in slightly.
    phase = f"(2*PI*0.8*min(1,on/{last}))"
    zoom = f"1.14+0.05*{ease}"
    return Motion(
        move,
        zoom,
        f"(iw-iw/zoom)*(0.5+0.45*sin({phase}))",
        f"(ih-ih/zoom)*(0.5-0.35*cos({phase}))",
    )


def describe(camera: str, seed: int) -> str:
    """Human-readable name of the move ``camera`` maps to (for logs and metadata)."""
    return camera_move(camera, seed).replace("_", " ")
