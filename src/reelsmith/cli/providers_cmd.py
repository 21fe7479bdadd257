"""`reelsmith providers`: which providers are configured, their models and prices, and a live check."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from reelsmith.config import Settings

out = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    from pydantic import ValidationError

    from reelsmith.config import Settings

    try:
        return Settings()
    except ValidationError as e:
        first = e.errors()[0]
        err.print(f"[red]error:[/] setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
        raise typer.Exit(2) from e


def providers_command(
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Call each configured provider once (no cost).")
    ] = True,
) -> None:
    """List providers, their models and prices, and check the configured ones live."""
    from reelsmith.providers.health import Health, check_provider
    from reelsmith.providers.pricing import describe, price_for
    from reelsmith.providers.registry import ProviderRegistry

    settings = _settings()
    infos = ProviderRegistry(settings).configured()
    health: dict[str, Health] = {}
    if check:
        names = [i.name for i in infos if i.configured]
        with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
            for result in pool.map(lambda n: check_provider(n, settings), names):
                health[result.name] = result

    table = Table(title="Providers", title_justify="left")
    for column in ("provider", "kinds", "models", "price", "configured", "check"):
        table.add_column(column)
    for info in infos:
        models = "\n".join(f"{kind}: {model}" for kind, model in info.models.items())
        prices = "\n".join(
            describe(price_for(info.name, model, settings.prices)) for model in info.models.values()
        )
        configured = "[green]yes[/]" if info.configured else f"[dim]no — set {info.missing}[/]"
        checked = health.get(info.name)
        if checked is None:
            status = "[dim]not checked[/]"
        elif checked.ok:
            status = f"[green]{checked.detail}[/] ({checked.latency_ms} ms)"
        else:
            status = f"[red]{checked.detail}[/]"
        table.add_row(info.name, ", ".join(info.kinds), models, prices, configured, status)
    out.print(table)
    s = settings
    out.print(
        f"Chains: text {s.text_provider} | image {s.image_provider} | video {s.video_provider}",
        highlight=False,
    )
    if any(not h.ok for h in health.values()):
        raise typer.Exit(1)
