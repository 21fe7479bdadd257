"""The narration mix: lines on their scenes' first frames, the clips' sound ducked, -14 LUFS, video copied."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from reelsmith.errors import InvalidInput
from reelsmith.media.encode import audio_args, mp4_args, video_args
from reelsmith.media.ffmpeg import ffmpeg_pipe, run_ffmpeg
from reelsmith.media.loudness import loudness
from reelsmith.media.narration import NarrationLine, mix_narration, scene_starts
from reelsmith.media.stitch import stitch
from reelsmith.media.stitch.scan import scan_clip
from reelsmith.providers.base import SpeechRequest
from reelsmith.providers.local.speech import LocalSpeechModel
from reelsmith.vocabulary import BREATH_S

FPS = 30
RATE = 48000
SCENES = [("red", 1.5), ("lime", 2.0), ("blue", 1.5)]
BED_HZ, VOICE_HZ = 440, 1000  # the clips' own tone, and the narration's: told apart by frequency
WINDOW = 480  # 10 ms analysis windows, one every millisecond: bins 100 Hz apart, both tones on a bin
HOP = 48


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("narration")


@pytest.fixture(scope="module")
def clips(workdir: Path) -> list[Path]:
    """One solid colour per scene, each with a steady tone, encoded like Reelsmith's own clips."""
    made = []
    for colour, seconds in SCENES:
        dest = workdir / f"{colour}.mp4"
        run_ffmpeg([
            "-f", "lavfi", "-i", f"color=c={colour}:s=160x90:r={FPS}:d={seconds}",
            "-f", "lavfi", "-i", f"sine=f={BED_HZ}:r={RATE}:d={seconds}", "-map", "0:v", "-map", "1:a",
            *audio_args(), *video_args(crf=23), "-t", str(seconds), *mp4_args(), str(dest),
        ])  # fmt: skip
        made.append(dest)
    return made


@pytest.fixture(scope="module")
def voice(workdir: Path) -> Path:
    """A line as a speech engine returns it: 22.05 kHz mono, a steady tone starting on its first sample."""
    dest = workdir / "voice.wav"
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=f={VOICE_HZ}:r=22050:d=0.8", "-af", "volume=0.3", str(dest)])
    return dest


@pytest.fixture(scope="module")
def speechy(workdir: Path) -> Path:
    """Speech-like bursts (band-limited noise in syllables, sharp onsets): peaks ~19 dB over its loudness."""
    dest = workdir / "speechy.wav"
    envelope = "if(lt(mod(t,0.27),0.015),3.5,if(lt(mod(t,0.27),0.16),1,0.02))"
    run_ffmpeg([
        "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.25:r=22050:d=2.5:seed=7",
        "-af", f"lowpass=f=3500,highpass=f=120,volume='{envelope}':eval=frame", str(dest),
    ])  # fmt: skip
    return dest


@pytest.fixture(scope="module")
def spoken(workdir: Path) -> Path:
    """A line spoken by the offline voice (loading it takes a second or two, once per process)."""
    dest = workdir / "spoken.wav"
    dest.write_bytes(LocalSpeechModel().speak(SpeechRequest("Every story can speak, offline too.")).audio)
    return dest


@pytest.fixture(scope="module", params=[0.0, 0.5], ids=["cuts", "transitions"])
def joined(request: pytest.FixtureRequest, workdir: Path, clips: list[Path]) -> tuple[Path, float]:
    transition_s = float(request.param)
    dest = workdir / f"joined_{request.param}.mp4"
    stitch(clips, dest, transition="fade" if transition_s else "none", transition_s=transition_s or 0.5)
    return dest, transition_s


def decoded_audio(path: Path) -> np.ndarray:
    """The first audio stream of ``path`` as mono float samples at 48 kHz."""
    raw = ffmpeg_pipe(["-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"])
    return np.frombuffer(raw, np.float32)


def tone_level(samples: np.ndarray, hz: int) -> np.ndarray:
    """Magnitude of the ``hz`` tone in each 10 ms window, one window per millisecond."""
    windows = np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP]
    spectrum = np.abs(np.fft.rfft(windows * np.hanning(WINDOW), axis=1))
    return spectrum[:, hz * WINDOW // RATE]


def onset(level: np.ndarray, near_s: float) -> float:
    """When the tone rises to half its steady level, searched within 0.2 s of ``near_s`` (window centre)."""
    at = round(near_s * 1000)
    steady = level[at + 100 : at + 300].mean()
    first = max(0, at - 200)
    rising = np.nonzero(level[first : at + 200] > steady / 2)[0]
    assert rising.size, f"no tone starts near {near_s} s"
    return (first + int(rising[0])) / 1000 + WINDOW / 2 / RATE


def first_frames(path: Path, transition_s: float) -> list[float]:
    """When each scene first shows: the first frame departing from the steady colour of the scene before."""
    with av.open(str(path)) as container:
        means = [f.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0) for f in container.decode(video=0)]
    starts = [0.0]
    for _ in SCENES[1:]:
        steady = round((starts[-1] + transition_s + 0.2) * FPS)
        after = next(n for n in range(steady, len(means)) if np.abs(means[n] - means[steady]).max() > 3)
        starts.append(after / FPS)
    return starts


def test_scene_starts_follow_cuts_and_overlapping_transitions() -> None:
    assert scene_starts([1.5, 2.0, 1.5], 0.0) == [0.0, 1.5, 3.5]
    assert scene_starts([1.5, 2.0, 1.5], 0.5) == [0.0, 1.0, 2.5]


@pytest.mark.parametrize(("durations", "transition_s"), [([1.5, 0.4], 0.5), ([1.0], -0.1)])
def test_scene_starts_refuse_transitions_longer_than_a_scene(
    durations: list[float], transition_s: float
) -> None:
    with pytest.raises(InvalidInput):
        scene_starts(durations, transition_s)


def test_each_line_starts_on_its_scene_s_first_frame(
    joined: tuple[Path, float], voice: Path, workdir: Path
) -> None:
    video, transition_s = joined
    starts = scene_starts([s for _, s in SCENES], transition_s)
    out = workdir / f"timed_{transition_s}.mp4"
    mix_narration(video, [NarrationLine(voice, at + BREATH_S) for at in starts], out)
    shown = first_frames(out, transition_s)
    level = tone_level(decoded_audio(out), VOICE_HZ)
    for expected, frame in zip(starts, shown, strict=True):
        assert frame == pytest.approx(expected, abs=1.01 / FPS)
        assert onset(level, frame + BREATH_S) == pytest.approx(frame + BREATH_S, abs=0.05)


def test_the_mix_is_levelled_to_minus_14_lufs(
    joined: tuple[Path, float], speechy: Path, workdir: Path
) -> None:
    video, transition_s = joined
    out = workdir / f"loud_{transition_s}.mp4"
    mix_narration(video, [NarrationLine(speechy, 0.3), NarrationLine(speechy, 3.0)], out)
    assert loudness(out) == pytest.approx(-14.0, abs=1.0)


def test_the_offline_voice_is_levelled_to_minus_14_lufs(
    joined: tuple[Path, float], spoken: Path, workdir: Path
) -> None:
    video, transition_s = joined
    out = workdir / f"spoken_{transition_s}.mp4"
    mix_narration(video, [NarrationLine(spoken, 0.3)], out)
    assert loudness(out) == pytest.approx(-14.0, abs=1.0)


def test_the_clips_sound_is_ducked_while_a_line_is_spoken(
    joined: tuple[Path, float], voice: Path, workdir: Path
) -> None:
    video, transition_s = joined
    out = workdir / f"ducked_{transition_s}.mp4"
    mix_narration(video, [NarrationLine(voice, 1.0)], out)
    bed = tone_level(decoded_audio(out), BED_HZ)
    before, during, after = bed[500:900].mean(), bed[1200:1700].mean(), bed[2400:2800].mean()
    assert 20 * np.log10(before / during) > 10
    assert 20 * np.log10(after / during) > 10


def test_the_video_stream_is_copied_and_the_audio_lasts_as_long(
    joined: tuple[Path, float], voice: Path, workdir: Path
) -> None:
    video, transition_s = joined
    out = workdir / f"copied_{transition_s}.mp4"
    end = sum(s for _, s in SCENES) - 2 * transition_s
    mix_narration(video, [NarrationLine(voice, end - 0.4)], out)  # runs past the end: cut there
    with av.open(str(video)) as before, av.open(str(out)) as after:
        assert [bytes(p) for p in after.demux(video=0) if p.size] == [
            bytes(p) for p in before.demux(video=0) if p.size
        ]
    length = scan_clip(out).video_duration_s
    assert len(decoded_audio(out)) / RATE == pytest.approx(length, abs=1024 / RATE)


def test_a_silent_video_gets_the_narration_alone(voice: Path, workdir: Path) -> None:
    video = workdir / "silent.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=gray:s=160x90:r={FPS}:d=2", *video_args(crf=23), *mp4_args(),
                str(video)])  # fmt: skip
    out = workdir / "silent_narrated.mp4"
    mix_narration(video, [NarrationLine(voice, 0.5)], out)
    assert onset(tone_level(decoded_audio(out), VOICE_HZ), 0.5) == pytest.approx(0.5, abs=0.01)
    assert loudness(out) == pytest.approx(-14.0, abs=1.0)


@pytest.mark.parametrize("start_s", [-0.1, 9.0])
def test_lines_outside_the_video_are_refused(
    joined: tuple[Path, float], voice: Path, workdir: Path, start_s: float
) -> None:
    with pytest.raises(InvalidInput) as caught:
        mix_narration(joined[0], [NarrationLine(voice, start_s)], workdir / "never.mp4")
    assert caught.value.field == "lines"


def test_a_missing_line_file_is_refused(joined: tuple[Path, float], workdir: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        mix_narration(joined[0], [NarrationLine(workdir / "absent.wav", 0.5)], workdir / "never.mp4")
    assert caught.value.field == "lines"
