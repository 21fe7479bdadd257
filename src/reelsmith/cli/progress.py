"""A live Rich view of one generation: the bar, the current step and each scene's state."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from reelsmith.pipeline.eta import estimate_for, eta_words
from reelsmith.vocabulary import TERMINAL_STATUSES, GenerationStatus, SceneStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

SCENE_MARKS: dict[str, str] = {
    SceneStatus.PENDING: "[dim]·[/]",
    SceneStatus.SUBMITTING: "[yellow]↑[/]",
    SceneStatus.SUBMITTED: "[yellow]…[/]",
    SceneStatus.RUNNING: "[cyan]⟳[/]",
    SceneStatus.COMPLETED: "[green]✓[/]",
    SceneStatus.FAILED: "[red]✗[/]",
    SceneStatus.CANCELED: "[dim]-[/]",
}


def watch(rt: Runtime, generation_id: str, console: Console, *, interval_s: float = 0.25) -> str:
    """Show progress until the generation ends; returns its final status."""
    from reelsmith.db.models import Generation, Scene, Variant

    columns = (
        TextColumn("[bold]{task.fields[step]}", justify="left"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[scenes]}"),
        TimeElapsedColumn(),
        TextColumn("[dim]{task.fields[eta]}"),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("generation", total=100, step="Queued", scenes="", eta="")
        while True:
            with rt.db.read() as session:
                gen = session.get(Generation, generation_id)
                if gen is None:
                    return GenerationStatus.FAILED
                states = list(
                    session.scalars(
                        select(Scene.status)
                        .join(Variant)
                        .where(Variant.generation_id == generation_id)
                        .order_by(Variant.created_at, Scene.index)
                    )
                )
                status, progress, step = gen.status, gen.progress, gen.current_step
                eta = eta_words(estimate_for(session, gen))
            marks = "".join(SCENE_MARKS.get(s, "?") for s in states)
            bar.update(task, completed=progress, step=step[:40], scenes=marks, eta=eta)
            if status in TERMINAL_STATUSES:
                return status
            time.sleep(interval_s)
