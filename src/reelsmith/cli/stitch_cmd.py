"""`reelsmith stitch`: join clips into one video, as close to the cost of a bare ffmpeg run as Python allows.

This command is parsed with argparse and prints plainly: Typer and Rich cost more to import (~70 ms) than
the rest of a stream-copy stitch adds to ffmpeg's own run, and `stitch` is the command people script.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage errors as one line, exit 2, like the rest of the CLI."""
        self.exit(2, f"error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    # The vocabulary imports nothing heavy, so `stitch --help` and usage errors load no media code.
    from reelsmith.vocabulary import Transition

    parser = _Parser(
        prog="reelsmith stitch",
        description="Stitch clips into one video (stream copy when they are compatible).",
    )
    parser.add_argument("clips", nargs="+", type=Path, metavar="CLIP", help="Clips in order.")
    parser.add_argument(
        "--out", required=True, type=Path, dest="out_path", metavar="PATH", help="Output MP4."
    )
    parser.add_argument(
        "--transition",
        choices=[t.value for t in Transition],
        default=Transition.NONE.value,
        help="Transition between clips.",
    )
    parser.add_argument("--transition-seconds", type=float, default=0.5, help="Transition length.")
    parser.add_argument("--audio", type=Path, help="Soundtrack to lay under the video.")
    parser.add_argument("--duck", action="store_true", help="Lower the soundtrack while clips have sound.")
    parser.add_argument(
        "--replace-audio", action="store_true", help="The soundtrack replaces the clips' own sound."
    )
    parser.add_argument(
        "--loudness", type=float, metavar="LUFS", help="Normalise to this integrated loudness, e.g. -14."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="Log progress details.")
    return parser


def _problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, before any media work starts."""
    for clip in args.clips:
        if not clip.is_file():
            return f"{clip}: no such file"
    if args.audio is not None and not args.audio.is_file():
        return f"--audio {args.audio}: no such file"
    if (args.duck or args.replace_audio) and args.audio is None:
        return "--duck and --replace-audio need --audio"
    if args.transition_seconds <= 0 and args.transition != "none":
        return "--transition-seconds: must be greater than 0"
    return None


def run_stitch(argv: Sequence[str], *, verbose: bool = False) -> int:
    """Run the command with ``argv`` (the words after `stitch`); return the exit code."""
    args = _parser().parse_args(list(argv))
    logging.basicConfig(
        level=logging.INFO if verbose or args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    problem = _problem(args)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from reelsmith.errors import InvalidInput, ReelsmithError
    from reelsmith.media.stitch import stitch

    try:
        info = stitch(
            args.clips,
            args.out_path,
            transition=args.transition,
            transition_s=args.transition_seconds,
            audio=args.audio,
            duck=args.duck,
            replace_audio=args.replace_audio,
            target_lufs=args.loudness,
        )
    except ReelsmithError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 2 if isinstance(e, InvalidInput) else 1
    summary = f"stitched {len(args.clips)} clips: {info.duration_s:.2f} s, {info.width}x{info.height}"
    print(summary, file=sys.stderr)
    print(args.out_path.resolve())
    return 0
