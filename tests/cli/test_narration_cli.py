"""`reelsmith generate --narration --captions burn --json --out PATH` as a user runs it, and what it made:
the JSON names the captions and each scene's line and length; an independent recogniser (PocketSphinx)
understands the offline voice; Tesseract reads the burned captions back at the times their words are said.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reelsmith.media.ffmpeg import ffmpeg_pipe, run_ffmpeg
from tests.support.cli import run_reelsmith

# Word error rate of the offline voice as PocketSphinx hears it: measured 0.45 over this 2-scene story
# (0.20 and 0.70 per line: the recogniser's small general model, not the voice, misses short words).
MAX_WER = 0.6
# Share of sampled burned-in caption words that OCR reads back at the time they are spoken.
MIN_OCR_MATCH = 0.6


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """One narrated 2-scene story made by the CLI with burned captions: its JSON and the --out file."""
    root = tmp_path_factory.mktemp("narrated")
    out = root / "story.mp4"
    result = run_reelsmith(
        [
            "generate", "A lighthouse keeper's last night", "--scenes", "2", "--narration",
            "--captions", "burn", "--json", "--out", str(out),
        ],
        root / "data",
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), out


def test_the_json_names_the_captions_and_each_scenes_line(narrated: tuple[dict[str, Any], Path]) -> None:
    data, out = narrated
    assert data["output_path"] == str(out.resolve())
    assert out.is_file()
    assert data["narration"] is True
    assert data["caption_mode"] == "burn"
    captions = data["captions"]
    assert captions["srt_url"].startswith("/api/assets/")
    assert captions["vtt_url"].startswith("/api/assets/")
    assert Path(captions["srt_path"]).read_text().startswith("1\n")
    assert Path(captions["vtt_path"]).read_text().startswith("WEBVTT")
    for scene in data["variants"][0]["scenes"]:
        assert scene["narration"]
        assert scene["duration_s"] > 0
        assert scene["words"]
        assert Path(scene["speech_path"]).is_file()


def test_no_narration_gives_a_generation_without_speech(tmp_path: Path) -> None:
    result = run_reelsmith(
        ["generate", "A quiet harbour", "--scenes", "1", "--no-narration", "--captions", "burn", "--json"],
        tmp_path / "data",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["narration"] is False and "captions" not in data) or data["captions"] is None
    assert all(s["narration"] == "" and s["speech_url"] is None for s in data["variants"][0]["scenes"])


def test_bad_captions_value_names_the_option(tmp_path: Path) -> None:
    result = run_reelsmith(["generate", "x", "--captions", "loud"], tmp_path / "data")
    assert result.returncode == 2
    assert "--captions" in result.stderr


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def _wer(reference: list[str], heard: list[str]) -> float:
    """Word error rate: the edit distance between the word lists over the reference's length."""
    d = np.arange(len(heard) + 1)
    for i, word in enumerate(reference, start=1):
        prev, d[0] = d.copy(), i
        for j, other in enumerate(heard, start=1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (word != other))
    return float(d[-1]) / max(1, len(reference))


def test_an_independent_recogniser_understands_the_narration(narrated: tuple[dict[str, Any], Path]) -> None:
    from pocketsphinx import Decoder

    data, _ = narrated
    errors = total = 0.0
    for scene in data["variants"][0]["scenes"]:
        pcm = ffmpeg_pipe(["-i", scene["speech_path"], "-ac", "1", "-ar", "16000", "-f", "s16le", "-"])
        decoder = Decoder(samprate=16000)
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        heard = _words(decoder.hyp().hypstr if decoder.hyp() else "")
        reference = _words(scene["narration"])
        wer = _wer(reference, heard)
        print(f"WER {wer:.2f}: said {' '.join(reference)!r}, heard {' '.join(heard)!r}")
        errors, total = errors + wer * len(reference), total + len(reference)
    print(f"narration WER over the story: {errors / total:.3f}")
    assert errors / total <= MAX_WER


def _tesseract() -> str:
    found = shutil.which("tesseract")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tesseract is not installed (apt-get install tesseract-ocr)")
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr)")
    return found


def test_burned_captions_read_back_the_words_spoken_then(
    narrated: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    import subprocess

    tesseract = _tesseract()
    data, out = narrated
    cues = re.findall(
        r"(\d\d):(\d\d):(\d\d)[.,](\d\d\d) --> (\d\d):(\d\d):(\d\d)[.,](\d\d\d)\n(.+)",
        Path(data["captions"]["srt_path"]).read_text(),
    )
    assert cues
    matched = sampled = 0
    for cue in cues:
        start = int(cue[0]) * 3600 + int(cue[1]) * 60 + int(cue[2]) + int(cue[3]) / 1000
        end = int(cue[4]) * 3600 + int(cue[5]) * 60 + int(cue[6]) + int(cue[7]) / 1000
        frame = tmp_path / f"cue{sampled}.png"
        run_ffmpeg(["-ss", f"{(start + end) / 2:.3f}", "-i", str(out), "-frames:v", "1", str(frame)])
        read = subprocess.run([tesseract, str(frame), "-", "--psm", "11"], capture_output=True, text=True)
        seen = set(_words(read.stdout))
        spoken = _words(re.sub(r"<[^>]+>", "", cue[8]))
        sampled += len(spoken)
        matched += sum(word in seen for word in spoken)
    print(f"OCR read back {matched} of {sampled} caption words at their times ({matched / sampled:.0%})")
    assert matched / sampled >= MIN_OCR_MATCH
