"""`reelsmith analyze PATH [--json]`: tempo and beats of a song, or shots, palette and motion of a video."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

_out = Console()
_err = Console(stderr=True)


def _audio_report(path: Path) -> dict[str, Any]:
    from reelsmith.media.analysis import analyze_audio

    a = analyze_audio(path)
    return {
        "kind": "audio",
        "path": str(path),
        "duration_s": a.duration_s,
        "tempo_bpm": a.tempo_bpm,
        "beat_times": list(a.beat_times),
        "loudness_lufs": a.loudness_lufs,
    }


def _video_report(path: Path, keyframes_dir: Path | None) -> dict[str, Any]:
    from reelsmith.media.analysis import analyze_video

    v = analyze_video(path, keyframes_dir)
    return {
        "kind": "video",
        "path": str(path),
        "duration_s": v.duration_s,
        "shots": [
            {
                "start_s": s.start_s,
                "end_s": s.end_s,
                "keyframe_s": s.keyframe_s,
                "keyframe": str(s.keyframe_path) if s.keyframe_path else None,
                "palette": list(s.palette),
                "motion": s.motion,
            }
            for s in v.shots
        ],
        "palette": list(v.palette),
        "motion": v.motion,
        "motion_level": v.motion_level,
        "loudness_lufs": v.loudness_lufs,
    }


def _print_report(data: dict[str, Any]) -> None:
    lufs = "n/a" if data["loudness_lufs"] is None else f"{data['loudness_lufs']:.1f} LUFS"
    _out.print(f"[bold]{data['path']}[/] ({data['kind']}, {data['duration_s']:.2f} s, loudness {lufs})")
    if data["kind"] == "audio":
        beats = data["beat_times"]
        shown = ", ".join(f"{b:.2f}" for b in beats[:16]) + (" …" if len(beats) > 16 else "")
        _out.print(f"tempo {data['tempo_bpm']:.1f} BPM, {len(beats)} beats: {shown}", highlight=False)
        return
    _out.print(f"palette {' '.join(data['palette'])}; motion {data['motion']:.4f} ({data['motion_level']})")
    table = Table("#", "start", "end", "keyframe", "palette", "motion")
    for i, shot in enumerate(data["shots"]):
        table.add_row(
            str(i + 1),
            f"{shot['start_s']:.2f}",
            f"{shot['end_s']:.2f}",
            shot["keyframe"] or f"@{shot['keyframe_s']:.2f} s",
            " ".join(shot["palette"]),
            f"{shot['motion']:.4f}",
        )
    _out.print(table)


def analyze_command(
    path: Annotated[Path, typer.Argument(help="A song (audio) or a video to analyse.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON.")] = False,
    keyframes_dir: Annotated[
        Path | None, typer.Option("--keyframes", help="Write a JPEG keyframe per shot into this folder.")
    ] = None,
) -> None:
    """Analyse a song (duration, tempo, beats, loudness) or a video (shots, palette, motion, loudness)."""
    from reelsmith.errors import ReelsmithError
    from reelsmith.media.probe import probe

    try:
        info = probe(path)
        data = _video_report(path, keyframes_dir) if info.has_video else _audio_report(path)
    except ReelsmithError as e:
        _err.print(f"[red]error:[/] {e.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(1 if e.http_status >= 500 else 2) from e
    if as_json:
        _out.print_json(json.dumps(data))
    else:
        _print_report(data)
