from __future__ import annotations

from pathlib import Path

import pytest

from reelsmith.errors import MediaError
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.media.filters import filter_value
from reelsmith.media.render.text_layout import fit_text, font_path, text_width


def test_font_is_shipped_in_the_package() -> None:
    path = font_path()
    assert path.is_file()
    assert path.parent.name == "fonts"
    assert "reelsmith" in path.parts
    assert (path.parent / "DejaVu-LICENSE.txt").is_file()


@pytest.mark.parametrize("words", [3, 12, 40])
def test_fit_text_wraps_within_width_and_three_lines(words: int) -> None:
    block = fit_text(" ".join(["headline"] * words), max_width=600, size=64, min_size=32)
    assert 1 <= len(block.lines) <= 3
    assert all(text_width(line, block.size) <= 600 for line in block.lines)


def test_fit_text_empty() -> None:
    assert fit_text("   ", max_width=600, size=64, min_size=32).lines == ()


def test_filter_value_survives_ffmpeg_parsing(tmp_path: Path) -> None:
    odd = tmp_path / "it's: a [weird], dir;"
    odd.mkdir()
    text = odd / "t.txt"
    text.write_text("ok")
    run_ffmpeg([
        "-f", "lavfi", "-i", "color=s=64x32:d=0.1",
        "-vf", f"drawtext=fontfile={filter_value(str(font_path()))}:textfile={filter_value(str(text))}",
        "-frames:v", "1", "-f", "null", "-",
    ])  # fmt: skip


def test_run_ffmpeg_failure_keeps_stderr_tail() -> None:
    with pytest.raises(MediaError, match="No such file"):
        run_ffmpeg(["-i", "/definitely/not/here.mp4", "-f", "null", "-"])
