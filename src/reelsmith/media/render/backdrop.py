"""Filtergraph chains for a scene's moving picture: gradient and lights, or Ken Burns over images."""

from __future__ import annotations

from collections.abc import Sequence

from reelsmith.media.encode import FPS
from reelsmith.media.filters import num
from reelsmith.media.render.camera import motion
from reelsmith.media.render.looks import Look

# Soft content (gradients, blurred lights) is drawn at a third of the size and scaled up: 9x fewer pixels.
_BACKDROP_SCALE = 1 / 3
# Images are composed once on a canvas this much larger than the output, so zoompan's whole-pixel crop
# steps shrink below one output pixel and the motion stays smooth.
_CANVAS_SCALE = 1.5
_IMAGE_XFADE_S = 0.6
_TO_YUV = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _orb(label: str, color: str, size: int, strength: int) -> str:
    """A soft round light, drawn once with geq and looped (geq per frame would be slow)."""
    c = size / 2
    sigma2 = 2 * (size / 5) ** 2
    return (
        f"color=c={color}:s={size}x{size}:r={FPS}:d={num(1 / FPS)},format=rgba,"
        f"geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':"
        f"a='{strength}*exp(-((X-{num(c)})*(X-{num(c)})+(Y-{num(c)})*(Y-{num(c)}))/{num(sigma2)})',"
        f"format=yuva420p,loop=loop=-1:size=1,setpts=N/{FPS}/TB[{label}]"
    )


def gradient_backdrop(
    look: Look, seed: int, size: tuple[int, int], frames: int, camera: str, out: str
) -> list[str]:
    """Chains drawing an animated gradient with drifting lights, moved by the camera, into ``[out]``."""
    width, height = size
    w, h = _even(width * _BACKDROP_SCALE), _even(height * _BACKDROP_SCALE)
    duration = frames / FPS
    c0, c1, c2 = look.palette.colors
    chains = [
        f"gradients=s={w}x{h}:r={FPS}:d={num(duration)}:n=3:c0={c0}:c1={c1}:c2={c2}"
        f":type={look.gradient_type}:speed={num(look.gradient_speed)}:seed={seed % 2**32},{_TO_YUV}[g0]"
    ]
    base = min(w, h)
    lights = (
        (look.palette.accent, int(base * 0.9), 150),
        ("0xffffff", int(base * 0.45), 90),
        (c2, int(base * 1.1), 160),
    )
    current = "g0"
    for i, ((color, orb_size, strength), (x0, y0, dx, dy)) in enumerate(zip(lights, look.orbs, strict=True)):
        chains.append(_orb(f"orb{i}", color, orb_size, strength))
        # Each light drifts along a line and sways a little, all within the clip's duration.
        x = (
            f"{num(x0 * w - orb_size / 2)}+{num(dx * w)}*t/{num(duration)}"
            f"+{num(w * 0.02)}*sin(t*{num(0.7 + i * 0.3)})"
        )
        y = (
            f"{num(y0 * h - orb_size / 2)}+{num(dy * h)}*t/{num(duration)}"
            f"+{num(h * 0.03)}*cos(t*{num(0.5 + i * 0.2)})"
        )
        chains.append(f"[{current}][orb{i}]overlay=x='{x}':y='{y}':shortest=1[g{i + 1}]")
        current = f"g{i + 1}"
    move = motion(camera, seed, frames)
    chains.append(
        f"[{current}]zoompan=z='{move.zoom}':x='{move.x}':y='{move.y}':d=1:s={w}x{h}:fps={FPS},"
        f"vignette=angle=PI/4.5:dither=0,scale={width}:{height}:flags=bicubic,setsar=1[{out}]"
    )
    return chains


def _image_canvas(index: int, input_label: str, size: tuple[int, int], darken: bool) -> str:
    """Compose one image on a canvas: sharp image fitted over a blurred, darkened copy filling the frame."""
    cw, ch = _even(size[0] * _CANVAS_SCALE), _even(size[1] * _CANVAS_SCALE)
    sw, sh = _even(cw / 16), _even(ch / 16)
    composed = f"[bg{index}][fg{index}]overlay=x=(W-w)/2:y=(H-h)/2"
    scrim = ""
    if darken:
        # A band of shade behind where the text sits keeps white text readable over bright photos;
        # it is drawn once on the still canvas, not per frame.
        scrim = (
            f"gradients=s={cw}x{ch}:n=3:c0=black@0.05:c1=black@0.5:c2=black@0.1:x0=0:y0=0:x1=0:y1={ch - 1}"
            f":speed=0:r=1:d=1,format=rgba[scrim{index}];"
        )
        composed = f"{composed},format=rgba[cm{index}];[cm{index}][scrim{index}]overlay"
    return (
        f"{scrim}[{input_label}]trim=end_frame=1,setpts=PTS-STARTPTS,format=rgb24,setsar=1,"
        f"split[src{index}][fill{index}];"
        # The fill is blurred at 1/16 size: a strong blur for almost nothing.
        f"[fill{index}]scale={sw}:{sh}:force_original_aspect_ratio=increase,crop={sw}:{sh},"
        f"gblur=sigma=3,scale={cw}:{ch}:flags=bicubic,colorchannelmixer=rr=0.55:gg=0.55:bb=0.55[bg{index}];"
        f"[src{index}]scale={cw}:{ch}:force_original_aspect_ratio=decrease:flags=lanczos,setsar=1[fg{index}];"
        f"{composed},vignette=angle=PI/5:dither=0,{_TO_YUV}[cv{index}]"
    )


def image_backdrop(
    input_labels: Sequence[str],
    seed: int,
    size: tuple[int, int],
    frames: int,
    camera: str,
    darken: bool,
    out: str,
) -> list[str]:
    """Chains giving Ken Burns motion over the images (cross-fading between several) into ``[out]``."""
    count = len(input_labels)
    overlap = round(_IMAGE_XFADE_S * FPS) if count > 1 else 0
    # Segment lengths add up to `frames` once the cross-fade overlaps are taken out.
    total = frames + (count - 1) * overlap
    lengths = [total // count + (1 if i < total % count else 0) for i in range(count)]
    chains: list[str] = []
    for i, label in enumerate(input_labels):
        chains.append(_image_canvas(i, label, size, darken))
        # Alternate the move between images so a multi-image scene does not repeat itself.
        move = motion(camera, seed + i, lengths[i])
        chains.append(
            f"[cv{i}]zoompan=z='{move.zoom}':x='{move.x}':y='{move.y}':d={lengths[i]}"
            f":s={size[0]}x{size[1]}:fps={FPS},setsar=1[seg{i}]"
        )
    current, length = "seg0", lengths[0]
    for i in range(1, count):
        offset = (length - overlap) / FPS
        nxt = f"x{i}" if i < count - 1 else out
        chains.append(
            f"[{current}][seg{i}]xfade=transition=fade:duration={num(overlap / FPS)}"
            f":offset={num(offset)}[{nxt}]"
        )
        current, length = nxt, length + lengths[i] - overlap
    if count == 1:
        chains[-1] = chains[-1].replace("[seg0]", f"[{out}]")
    return chains
