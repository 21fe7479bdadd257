"""Burned-in captions read back by OCR (Tesseract): the words on screen are the words being spoken.

Needs the ``tesseract`` binary (Debian: tesseract-ocr, with its English data tesseract-ocr-eng); the
tests skip without it, and fail when CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from reelsmith.media.captions import CaptionStyle, burn_captions, caption_cues
from reelsmith.media.encode import mp4_args, video_args
from reelsmith.media.ffmpeg import run_ffmpeg
from reelsmith.providers.base import SpeechRequest, WordTiming
from reelsmith.providers.local.speech import LocalSpeechModel

SPOKEN = [
    WordTiming("Quick", 0.5, 0.9),
    WordTiming("brown", 1.0, 1.4),
    WordTiming("foxes", 1.5, 1.9),
    WordTiming("jump", 2.1, 2.5),
    WordTiming("over", 2.6, 3.0),
]
FPS = 30
# Text colours of each look (RGB): its plain words, and the word being spoken.
COLOURS = {
    CaptionStyle.BOLD: ((255, 255, 255), (255, 224, 0)),
    CaptionStyle.CLEAN: ((255, 255, 255), (79, 195, 247)),
}


@pytest.fixture(scope="module")
def tesseract() -> str:
    found = shutil.which("tesseract")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tesseract is not installed but CI=true requires it (apt-get install tesseract-ocr)")
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr)")
    return found


def ocr(tesseract: str, mask: np.ndarray, workdir: Path) -> list[str]:
    """The words Tesseract reads in ``mask`` (True = ink), drawn black on white at twice the size."""
    picture = Image.fromarray(np.where(mask, 0, 255).astype(np.uint8))
    picture = picture.resize((picture.width * 2, picture.height * 2))
    path = workdir / "ocr.png"
    picture.save(path)
    done = subprocess.run(
        [tesseract, str(path), "stdout", "--psm", "6", "-l", "eng"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.split()


def near(rgb: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """Pixels within reach of ``colour`` (chroma is subsampled, so the centres of strokes keep it)."""
    close: np.ndarray = np.abs(rgb - np.array(colour)).max(axis=2) < 50
    return close


@pytest.fixture(scope="module", params=["360x640", "640x360"])
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("ocr") / f"src_{request.param}.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=0x3a5f8a:s={request.param}:r={FPS}:d=3.5",
                *video_args(crf=20), *mp4_args(), str(dest)])  # fmt: skip
    return dest


def lower_third(path: Path, frame: int) -> np.ndarray:
    """The lower third of one decoded frame, as RGB."""
    with av.open(str(path)) as container:
        for n, decoded in enumerate(container.decode(video=0)):
            if n == frame:
                rgb = decoded.to_ndarray(format="rgb24").astype(np.int16)
                return rgb[rgb.shape[0] * 2 // 3 :]
    raise AssertionError(f"{path} has no frame {frame}")


@pytest.fixture(scope="module", params=list(CaptionStyle))
def burned(request: pytest.FixtureRequest, source: Path) -> tuple[Path, CaptionStyle]:
    style = CaptionStyle(request.param)
    out = source.with_name(f"{source.stem}_{style}.mp4")
    burn_captions(source, caption_cues(SPOKEN), out, style=style)
    return out, style


# The first word of a cue, the last word of it, and the first of the next cue.
@pytest.mark.parametrize("word", [0, 2, 3])
def test_the_burned_words_are_the_spoken_ones_and_the_spoken_word_is_lit(
    tesseract: str, burned: tuple[Path, CaptionStyle], word: int, tmp_path: Path
) -> None:
    out, style = burned
    spoken = SPOKEN[word]
    rgb = lower_third(out, round((spoken.start_s + spoken.end_s) / 2 * FPS))
    plain, lit = COLOURS[style]
    showing = next(c for c in caption_cues(SPOKEN) if c.start_s <= spoken.start_s < c.end_s)
    assert [w.lower() for w in ocr(tesseract, near(rgb, plain) | near(rgb, lit), tmp_path)] == [
        w.word.lower() for w in showing.words
    ]
    assert [w.lower() for w in ocr(tesseract, near(rgb, lit), tmp_path)] == [spoken.word.lower()]


def test_captions_of_the_offline_voice_light_each_word_as_it_is_heard(tesseract: str, tmp_path: Path) -> None:
    # The real voice and its own word timings (loading it takes a second or two, once per process).
    spoken = LocalSpeechModel().speak(SpeechRequest("Every story can speak, offline too."))
    breath = 0.3
    words = [WordTiming(w.word, w.start_s + breath, w.end_s + breath) for w in spoken.words]
    source = tmp_path / "scene.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=0x3a5f8a:s=640x360:r={FPS}:d={spoken.duration_s + 0.5}",
                *video_args(crf=20), *mp4_args(), str(source)])  # fmt: skip
    out = tmp_path / "captioned.mp4"
    burn_captions(source, caption_cues(words), out)
    _, lit = COLOURS[CaptionStyle.BOLD]
    read = [
        ocr(tesseract, near(lower_third(out, round((w.start_s + w.end_s) / 2 * FPS)), lit), tmp_path)
        for w in words
    ]
    assert [" ".join(r).lower() for r in read] == [w.word.lower() for w in words]
