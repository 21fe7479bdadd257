"""What every `reelsmith` command shares: the consoles, the one-line failure, settings and the runtime."""

from __future__ import annotations

import faulthandler
import signal
import sys
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from reelsmith.config import Settings
    from reelsmith.runtime import Runtime

err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit (2 = the user's input was unusable)."""
    err.print(f"[red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """Read settings from the environment, turning bad values into a one-line error."""
    from pydantic import ValidationError

    from reelsmith.config import Settings

    try:
        return Settings()
    except ValidationError as e:
        first = e.errors()[0]
        fail(f"setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")


def open_runtime() -> Runtime:
    """Build the runtime, reporting configuration problems as one-line errors."""
    from reelsmith.errors import ReelsmithError
    from reelsmith.runtime import build_runtime

    try:
        return build_runtime(load_settings())
    except ReelsmithError as e:
        fail(e.message)


def allow_stack_dumps() -> None:
    """`kill -USR1 <pid>` writes where every thread of this long-running process is to its stderr: how an
    operator tells a task that hangs (its heartbeat still beating) from one that is merely slow."""
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
