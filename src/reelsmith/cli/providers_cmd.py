"""`reelsmith providers`: which providers are configured, their models and prices, and a live check.

The live check (`--check`, the default) calls each configured provider once, and asks the providers
that can say so about each configured model's life: OpenAI's `GET /models/{id}` carries the model's
`shutdown_date`; Gemini reports `modelStatus` on generateContent replies (a one-token call for a text
model) and 404 for an id it no longer knows. A warning goes on the model's line.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
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


def _said(words: str | None) -> str:
    """What the provider said about a model, for its line in the table ("" when it said nothing)."""
    if not words:
        return ""
    colour = "dim" if words.startswith("could not ask") else "red"
    return f" [{colour}](provider: {escape(words)})[/]"


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


# Providers that can say whether a model is retiring, and how they are asked (see the module docstring).
LIFECYCLE_PROVIDERS = ("openai", "gemini")


def _ask_lifecycle(settings: Settings, provider: str, kind: str, model: str) -> tuple[str, str, str | None]:
    """(provider, model, what the provider says about it: a warning, None when fine, or why it could not
    be asked)."""
    from reelsmith.errors import ProviderError
    from reelsmith.providers import gemini, openai
    from reelsmith.providers.endpoints import connect

    http = connect(provider, settings, retries=0, timeout_s=10.0)
    try:
        if provider == "openai":
            return provider, model, openai.check_model(http, model)
        return provider, model, gemini.check_model(http, model, kind)
    except ProviderError as e:
        return provider, model, f"could not ask: {e.message.removeprefix(provider + ': ')}"
    finally:
        http.client.close()


def _lifecycle_reports(settings: Settings, infos: list[ProviderInfo]) -> dict[tuple[str, str], str]:
    """What the providers say about each configured model that is not fine, by (provider, model)."""
    asks = [
        (info.name, kind, model)
        for info in infos
        if info.configured and info.name in LIFECYCLE_PROVIDERS
        for kind, model in info.models.items()
        if model
    ]
    if not asks:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(asks))) as pool:
        answers = list(pool.map(lambda a: _ask_lifecycle(settings, *a), asks))
    return {(provider, model): said for provider, model, said in answers if said}


def providers_command(
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="Call each configured provider once, and ask OpenAI and Gemini whether the configured "
            "models are retiring (no cost, except a one-token Gemini text call).",
        ),
    ] = True,
) -> None:
    """List providers, their models and prices, and check the configured ones live."""
    from reelsmith.providers.health import Health, check_provider
    from reelsmith.providers.pricing import describe, price_for
    from reelsmith.providers.registry import ProviderRegistry

    settings = _settings()
    infos = _configured(settings)
    health: dict[str, Health] = {}
    said: dict[tuple[str, str], str] = {}
    if check:
        names = [i.name for i in infos if i.configured]
        with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
            for result in pool.map(lambda n: check_provider(n, settings), names):
                health[result.name] = result
        said = _lifecycle_reports(settings, infos)

    table = Table(title="Providers", title_justify="left")
    for column in ("provider", "kinds", "models", "price", "configured", "check"):
        table.add_column(column)
    registry = ProviderRegistry(settings)
    for info in infos:
        models = "\n".join(
            f"{kind}: {model}{_stage(registry, info.name, model)}{_said(said.get((info.name, model)))}"
            for kind, model in info.models.items()
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
    for info in infos:
        for kind, model in info.models.items():
            if (info.name, model) in said:
                line = f"{info.name} {kind} model {model}: {info.name} says {said[(info.name, model)]}"
                out.print(line, highlight=False, soft_wrap=True, markup=False)
    s = settings
    out.print(
        f"Chains: text {s.text_provider} | image {s.image_provider} | video {s.video_provider}",
        highlight=False,
    )
    if any(not h.ok for h in health.values()):
        raise typer.Exit(1)
