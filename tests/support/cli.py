"""The `reelsmith` command run as a user runs it: a fresh process on its own data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_reelsmith(
    args: list[str], data_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`reelsmith ARGS` with no REELSMITH_* setting of the caller's leaking in, only ``env`` and the data dir.

    It runs from the data dir's parent, so no stray .env file is read.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_")}
    data_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "reelsmith", *args],
        # Silent stories unless the test says otherwise (see tests/conftest.py's settings).
        env={
            **base,
            "REELSMITH_NARRATE_BY_DEFAULT": "false",
            **(env or {}),
            "REELSMITH_DATA_DIR": str(data_dir),
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=data_dir.parent,
    )
