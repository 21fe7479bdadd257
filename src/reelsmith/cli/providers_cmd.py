"""`reelsmith providers`: which providers are configured, their models and prices, and a live check."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from reelsmith.config import Settings
    from reelsmith.providers.registry import ProviderInfo, ProviderRegistry

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


def _configured(settings: Settings) -> list[ProviderInfo]:
    """The providers as configured; a catalogue file that cannot be read ends the command with its error."""
    from reelsmith.providers.catalogue import CatalogueError
    from reelsmith.providers.registry import ProviderRegistry

    try:
        return ProviderRegistry(settings).configured()
    except CatalogueError as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        raise typer.Exit(2) from e


def _stage(registry: ProviderRegistry, provider: str, model: str) -> str:
    """— and the model's stage and shutdown date, with a warning word when it no longer works."""
    from reelsmith.providers.catalogue import today
    from reelsmith.providers.refusals import retired_refusal

    if provider in ("local", "comfyui"):
        return ""
    entry = registry.catalogue.get(provider, model)
    if entry is None:
        return " (not catalogued)"
    day = today()
    refusal = retired_refusal(entry, day)
    if refusal:
        return f" [red]({entry.status_words(day)}; {refusal.partition('; ')[2] or 'no replacement'})[/]"
    if entry.lifecycle.stage == "deprecated":
        return f" [yellow]({entry.status_words(day)})[/]"
    return f" ({entry.status_words(day)})"


def _lifecycle_warnings(registry: ProviderRegistry, infos: list[ProviderInfo]) -> list[str]:
    """One line per configured model that is shut down or deprecated, with its date and replacement."""
    from reelsmith.providers.catalogue import today

    day = today()
    lines = []
    for info in infos:
        for kind, model in info.models.items():
            entry = registry.catalogue.get(info.name, model)
            if entry is None or (entry.lifecycle.stage == "ga" and not entry.lifecycle.is_gone(day)):
                continue
            if entry.lifecycle.stage == "preview" and entry.lifecycle.shutdown is None:
                continue
            instead = f"; use {entry.lifecycle.replacement} instead" if entry.lifecycle.replacement else ""
            lines.append(f"{info.name} {kind} model {model}: {entry.status_words(day)}{instead}")
    return lines


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
    infos = _configured(settings)
    health: dict[str, Health] = {}
    if check:
        names = [i.name for i in infos if i.configured]
        with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
            for result in pool.map(lambda n: check_provider(n, settings), names):
                health[result.name] = result

    table = Table(title="Providers", title_justify="left")
    for column in ("provider", "kinds", "models", "price", "configured", "check"):
        table.add_column(column)
    registry = ProviderRegistry(settings)
    for info in infos:
        models = "\n".join(
            f"{kind}: {model}{_stage(registry, info.name, model)}" for kind, model in info.models.items()
        )
        prices = "\n".join(
            describe(price_for(info.name, model, settings.prices, registry.catalogue))
            for model in info.models.values()
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
    for warning in _lifecycle_warnings(registry, infos):
        out.print(warning, highlight=False, soft_wrap=True)
    s = settings
    out.print(
        f"Chains: text {s.text_provider} | image {s.image_provider} | video {s.video_provider}",
        highlight=False,
    )
    if any(not h.ok for h in health.values()):
        raise typer.Exit(1)
