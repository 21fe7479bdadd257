"""A video stitched from clips of several encoders plays in real Chromium: start to end, and every clip.

Copied stretches keep their encoder's parameter sets in-band; this is what a browser makes of that.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

from reelsmith.media.stitch import stitch
from reelsmith.media.stitch.aac_parts import parts_for
from tests.support import serve_in_thread
from tests.support.foreign_clips import foreign_clip
from tests.web.conftest import CHROMIUM_ARGS, chromium_or_skip

pytestmark = pytest.mark.slow
playwright_api = pytest.importorskip("playwright.sync_api")

PAGE = """<!doctype html><video id="v" src="stitched.mp4" muted preload="auto"></video>
<canvas id="c" width="64" height="36"></canvas>"""
# Seeks to a time, then paints the frame shown into a small canvas and returns its RGB bytes.
SEEK_AND_PAINT = """async (t) => {
  const v = document.getElementById('v');
  if (v.readyState < 2) await new Promise((ok) => v.addEventListener('loadeddata', ok, {once: true}));
  v.currentTime = t;
  await new Promise((ok, no) => {
    v.addEventListener('seeked', ok, {once: true});
    v.addEventListener('error', () => no(String(v.error && v.error.message)), {once: true});
  });
  const c = document.getElementById('c').getContext('2d');
  c.drawImage(v, 0, 0, 64, 36);
  const px = c.getImageData(0, 0, 64, 36).data;
  const rgb = [];
  for (let i = 0; i < px.length; i += 4) rgb.push(px[i], px[i + 1], px[i + 2]);
  return {time: v.currentTime, rgb, error: v.error && v.error.message};
}"""
PLAY_TO_END = """async () => {
  const v = document.getElementById('v');
  v.currentTime = 0;
  v.playbackRate = 8;
  const ended = new Promise((ok, no) => {
    v.addEventListener('ended', ok, {once: true});
    v.addEventListener('error', () => no(String(v.error && v.error.message)), {once: true});
  });
  await v.play();
  await ended;
  const q = v.getVideoPlaybackQuality();
  return {time: v.currentTime, duration: v.duration, frames: q.totalVideoFrames,
          corrupted: q.corruptedVideoFrames, error: v.error && v.error.message};
}"""


@pytest.fixture(scope="module")
def stitched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("playback")
    encoders = ("medium-bframes", "main-no-bframes", "baseline", "sparse-keyframes")
    clips = [foreign_clip(folder / f"{e}.mp4", e, hue=70 * n) for n, e in enumerate(encoders)]
    stitch(clips, folder / "stitched.mp4", transition="fade", transition_s=0.5)
    (folder / "index.html").write_text(PAGE, encoding="utf-8")
    return folder / "stitched.mp4"


@pytest.fixture(scope="module")
def page_url(stitched: Path) -> Iterator[str]:
    # Starlette's static files answer Range requests, which seeking needs.
    app = Starlette()
    app.mount("/", StaticFiles(directory=stitched.parent, html=True))
    with serve_in_thread(app) as url:
        yield url + "/index.html"


def _frame_at(path: Path, t: float) -> np.ndarray:
    """The frame libav shows at ``t`` seconds, as 64x36 RGB."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is not None and frame.time + 1e-6 >= t:
                picture = Image.fromarray(frame.to_ndarray(format="rgb24"))
                return np.asarray(picture.resize((64, 36), Image.Resampling.BILINEAR), dtype=float)
    raise AssertionError(f"no frame at {t}")


def test_the_stitched_video_plays_to_the_end_and_every_clip_shows_its_own_pictures(
    page_url: str, stitched: Path
) -> None:
    with playwright_api.sync_playwright() as p:
        browser: Any = p.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(page_url)
            # A moment inside each clip: in copied middles (clips 0-2) and in the re-encoded one (3).
            for t in (1.0, 3.0, 5.0, 7.4, 8.4):
                shown = page.evaluate(SEEK_AND_PAINT, t)
                assert shown["error"] is None
                assert shown["time"] == pytest.approx(t, abs=0.05)
                seen = np.asarray(shown["rgb"], dtype=float).reshape(36, 64, 3)
                # Same picture as libav decodes (colour conversion differs by a few levels at most).
                assert np.abs(seen - _frame_at(stitched, shown["time"])).mean() < 8, t
            played = page.evaluate(PLAY_TO_END)
        finally:
            browser.close()
    assert played["error"] is None
    assert played["time"] == pytest.approx(played["duration"], abs=0.05)
    assert played["duration"] == pytest.approx(4 * 2.5 - 3 * 0.5, abs=0.05)
    assert played["corrupted"] == 0


# Plays to the end and reports how much audio the browser decoded on the way.
PLAY_WITH_SOUND = PLAY_TO_END.replace(
    "corrupted: q.corruptedVideoFrames,",
    "corrupted: q.corruptedVideoFrames, audio: v.webkitAudioDecodedByteCount,",
)


def test_a_stitch_long_enough_for_its_audio_to_be_encoded_in_parts_plays_with_its_sound(
    tmp_path: Path,
) -> None:
    # Four 7 s clips: 26.5 s joined, so the AAC track is encoded as two spliced parts.
    encoders = ("medium-bframes", "main-no-bframes", "baseline", "provider")
    clips = [foreign_clip(tmp_path / f"{e}.mp4", e, seconds=7, hue=70 * n) for n, e in enumerate(encoders)]
    stitched = tmp_path / "stitched.mp4"
    stitch(clips, stitched, transition="fade", transition_s=0.5, target_lufs=-14.0)
    assert parts_for(4 * 7 - 3 * 0.5) == 2
    with av.open(str(stitched)) as container:
        audio = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(audio))
    assert samples == pytest.approx(26.5 * 48000, abs=1024)  # every sample there, the priming skipped
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    app = Starlette()
    app.mount("/", StaticFiles(directory=tmp_path, html=True))
    with serve_in_thread(app) as url, playwright_api.sync_playwright() as p:
        browser: Any = p.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url + "/index.html")
            played = page.evaluate(PLAY_WITH_SOUND)
        finally:
            browser.close()
    assert played["error"] is None
    assert played["duration"] == pytest.approx(26.5, abs=0.05)
    assert played["time"] == pytest.approx(played["duration"], abs=0.05)
    assert played["corrupted"] == 0
    assert played["audio"] > 0
