"""`reelsmith voices`: the voices each speech provider offers (the configured ones, and the offline voice)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

out = Console()
err = Console(stderr=True)


def voices_command(
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider", "-p", help="Only this speech provider (repeatable): local, elevenlabs, gemini."
        ),
    ] = None,
) -> None:
    """List the voices of each configured speech provider; pass one with `--voice NAME` to generate."""
    from pydantic import ValidationError

    from reelsmith.config import Settings
    from reelsmith.errors import ReelsmithError
    from reelsmith.providers.endpoints import missing_setting
    from reelsmith.providers.registry import SPEECH_PROVIDERS, ProviderRegistry

    try:
        settings = Settings()
    except ValidationError as e:
        first = e.errors()[0]
        err.print(f"[red]error:[/] setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
        raise typer.Exit(2) from e
    wanted = provider or list(SPEECH_PROVIDERS)
    unknown = [p for p in wanted if p not in SPEECH_PROVIDERS]
    if unknown:
        err.print(
            f"[red]error:[/] unknown speech provider {unknown[0]!r}; known: {', '.join(SPEECH_PROVIDERS)}"
        )
        raise typer.Exit(2)
    registry = ProviderRegistry(settings)
    table = Table(title="Voices", title_justify="left")
    for column in ("provider", "model", "voice", "language", "description"):
        table.add_column(column)
    failed = False
    for name in wanted:
        missing = None if name == "local" else missing_setting(name, settings)
        model = registry.model_for(name, "speech")
        if missing:
            table.add_row(name, model, "", "", f"[dim]not configured — set {missing}[/]")
            continue
        try:
            voices = registry.speech(name).voices()
        except ReelsmithError as e:
            failed = True
            table.add_row(name, model, "", "", f"[red]{e.message}[/]")
            continue
        for n, voice in enumerate(voices):
            table.add_row(
                name if n == 0 else "", model if n == 0 else "", voice.name, voice.language, voice.description
            )
    out.print(table)
    out.print(f"Speech chain: {settings.speech_providers}", highlight=False)
    if failed:
        raise typer.Exit(1)
