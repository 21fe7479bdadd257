"""The `reelsmith` executable: hands `stitch` to its lean command, everything else to the Typer app.

`stitch` is routed before Typer and Rich are imported, so a scripted stitch starts in a few milliseconds
plus the media code it needs; every other command goes through ``reelsmith.cli.app``.
"""

from __future__ import annotations

import sys

_VERBOSE = ("-v", "--verbose")


def main() -> None:
    """Entry point of the `reelsmith` script and of `python -m reelsmith`."""
    argv = sys.argv[1:]
    verbose = bool(argv) and argv[0] in _VERBOSE
    words = argv[1:] if verbose else argv
    if words[:1] == ["stitch"]:
        from reelsmith.cli.stitch_cmd import run_stitch

        sys.exit(run_stitch(words[1:], verbose=verbose))
    from reelsmith.cli.app import main as app_main

    app_main()
