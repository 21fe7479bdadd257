"""On-screen text for rendered scenes: headline, accent bar, caption and scene markers as drawtext/drawbox."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reelsmith.media.filters import filter_value, num
from reelsmith.media.render.text_layout import TextBlock, fit_text, font_path

_SLIDE_PX = 0.045  # how far (fraction of the frame height) the headline rises while fading in


@dataclass(frozen=True)
class Frame:
    """Output size plus the safe area text must stay inside (vertical video loses top and bottom to UI)."""

    width: int
    height: int

    @property
    def portrait(self) -> bool:
        """True for 9:16 and other tall frames."""
        return self.height > self.width

    @property
    def text_width(self) -> float:
        """Widest a line of text may be."""
        return self.width * (0.82 if self.portrait else 0.80)

    @property
    def headline_size(self) -> int:
        """Largest headline font size for this frame."""
        return round(min(self.width, self.height) * (0.088 if self.portrait else 0.09))

    @property
    def block_center(self) -> float:
        """Vertical centre of the text block."""
        return self.height * (0.46 if self.portrait else 0.5)

    @property
    def markers_y(self) -> int:
        """Top of the scene-progress markers, above the bottom safe margin."""
        return round(self.height * (0.8 if self.portrait else 0.9))


def layout(frame: Frame, headline: str, caption: str) -> tuple[TextBlock, TextBlock]:
    """Fit the headline (≤ 3 lines) and the caption (1-2 lines, smaller, upper-case) to the frame."""
    size = frame.headline_size
    head = fit_text(headline, max_width=frame.text_width, size=size, min_size=round(size * 0.55))
    cap_size = max(16, round(size * 0.36))
    cap = fit_text(
        caption.upper(),
        max_width=frame.text_width,
        size=cap_size,
        min_size=max(14, round(cap_size * 0.75)),
        max_lines=2,
    )
    return head, cap


def _window(start: float, fade_in: float, end: float, fade_out: float) -> str:
    """Expression rising 0→1 over [start, start+fade_in] and falling 1→0 over [end-fade_out, end]."""
    return f"min(1,max(0,(t-{num(start)})/{num(fade_in)}))*min(1,max(0,({num(end)}-t)/{num(fade_out)}))"


def text_overlay(
    frame: Frame,
    headline: str,
    caption: str,
    accent: str,
    duration: float,
    scene_index: int,
    scene_count: int,
    workdir: Path,
    src: str,
    out: str,
) -> list[str]:
    """Chains drawing the scene's text over ``[src]`` into ``[out]``; text is passed in files, unescaped."""
    head, cap = layout(frame, headline, caption)
    font = filter_value(str(font_path()))
    fade_in = min(0.6, duration * 0.25)
    fade_out = min(0.35, duration * 0.15)
    start = min(0.25, duration * 0.08)
    gap = round(head.size * 0.45)
    bar_h = max(4, round(frame.height * 0.007))
    has_head, has_cap = bool(head.lines), bool(cap.lines)
    block = head.height + (gap * 2 + bar_h + cap.height if has_cap else 0)
    top = round(frame.block_center - block / 2)
    slide = round(frame.height * _SLIDE_PX)

    def draw(text: str, name: str, size: int, y: int, appear: float, alpha_scale: float, rise: int) -> str:
        path = workdir / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        alpha = _window(appear, fade_in, duration, fade_out)
        y_expr = f"{y}+{rise}*pow(1-min(1,max(0,(t-{num(appear)})/{num(fade_in)})),3)" if rise else str(y)
        shadow = max(2, round(size * 0.05))
        return (
            f"drawtext=fontfile={font}:textfile={filter_value(str(path))}:expansion=none:fontsize={size}"
            f":fontcolor=white:shadowcolor=black@0.55:shadowx=0:shadowy={shadow}:y_align=font"
            f":x=(w-text_w)/2:y='{y_expr}':alpha='{num(alpha_scale)}*{alpha}'"
        )

    filters = [f"[{src}]null"]
    filters += [
        draw(line, f"headline{i}", head.size, top + i * head.line_height, start + 0.12 * i, 1.0, slide)
        for i, line in enumerate(head.lines)
    ]
    chains: list[str] = []
    if has_cap:
        appear = start + 0.12 * len(head.lines) + 0.1
        bar_y = top + head.height + gap if has_head else top
        bar_w = round(min(frame.text_width * 0.5, head.size * 3.2))
        # drawbox cannot animate (its expressions are evaluated once), so the accent bar is a tiny colour
        # source faded on its alpha and overlaid: it appears and leaves with the text for almost no cost.
        chains.append(
            f"color=c={accent}:s={bar_w}x{bar_h}:r=30:d={num(duration)},format=yuva420p,"
            f"fade=t=in:st={num(appear)}:d={num(fade_in)}:alpha=1,"
            f"fade=t=out:st={num(duration - fade_out)}:d={num(fade_out)}:alpha=1[bar]"
        )
        filters.append("null[textbase]")
        chains.append(",".join(filters))
        filters = [f"[textbase][bar]overlay=x=(W-w)/2:y={bar_y}:shortest=1"]
        cap_top = bar_y + bar_h + gap
        filters += [
            draw(line, f"caption{i}", cap.size, cap_top + i * cap.line_height, appear + 0.15, 0.9, 0)
            for i, line in enumerate(cap.lines)
        ]
    if 1 < scene_count <= 12:
        filters += _markers(frame, accent, scene_index, scene_count)
    filters.append(f"format=yuv420p[{out}]")
    chains.append(",".join(filters))
    return chains


def _markers(frame: Frame, accent: str, index: int, count: int) -> list[str]:
    """Small bars showing which scene of how many this is; the current one in the accent colour."""
    w = max(12, round(min(frame.width, frame.height) * 0.035))
    h = max(3, round(frame.height * 0.005))
    step = w + round(w * 0.45)
    left = round((frame.width - (count * step - (step - w))) / 2)
    return [
        f"drawbox=x={left + i * step}:y={frame.markers_y}:w={w}:h={h}"
        f":color={accent if i == index else 'white@0.35'}:t=fill"
        for i in range(count)
    ]
