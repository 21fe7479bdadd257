"""What Reelsmith writes is its owner's alone, even when it is started under a permissive umask.

Each check runs in a subprocess started with umask 022 (the umask is per process, so this test's own
never changes): once through the CLI, which makes everything private, and once building a runtime
directly, where the data dir and the blob store still are.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

PERMISSIVE_UMASK = 0o022


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_")}
    return {**env, "REELSMITH_DATA_DIR": str(data_dir)}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _shared_with_others(root: Path) -> list[str]:
    """Everything under `root` (and itself) that its group or other accounts may read or enter."""
    paths = [root, *root.rglob("*")]
    return [f"{oct(_mode(p))} {p.relative_to(root)}" for p in paths if _mode(p) & 0o077]


def _run_permissive(args: list[str], data: Path) -> None:
    """Run Python with ``args`` under a umask that would share new files, from the data dir's parent."""
    subprocess.run(
        [sys.executable, *args],
        cwd=data.parent,
        env=_env(data),
        umask=PERMISSIVE_UMASK,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_the_cli_writes_everything_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = data.parent / "lantern.png"
    generate = ["-m", "reelsmith", "generate", "A lantern on a jetty", "--mode", "image", "--out", str(out)]
    _run_permissive(generate, data)
    # What the user asked for, where they asked for it, is theirs to share as their umask says.
    assert _mode(out) == 0o644
    assert _mode(data) == 0o700
    assert (data / "reelsmith.db").is_file()
    assert any(p.is_file() for p in (data / "blobs").rglob("*"))
    assert _shared_with_others(data) == []


BUILD_AND_STORE = """
import sys
from pathlib import Path
from reelsmith.config import Settings
from reelsmith.runtime import build_runtime

rt = build_runtime(Settings(data_dir=Path(sys.argv[1]), _env_file=None))
rt.blobs.put_bytes("uploads/probe.bin", b"private", "application/octet-stream")
rt.close()
"""


def test_data_dir_and_blobs_are_private_without_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _run_permissive(["-c", BUILD_AND_STORE, str(data)], data)
    assert _mode(data) == 0o700
    assert _shared_with_others(data / "blobs") == []
    assert (data / "blobs" / "uploads" / "probe.bin").read_bytes() == b"private"
