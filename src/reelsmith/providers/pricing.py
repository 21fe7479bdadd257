"""What a provider call costs, in US dollars: one table keyed by `provider:model`.

Figures marked in PROVIDERS.md are from there (themselves third-party and unverified); the others
are list prices as last seen and marked `estimate`. Every figure can be overridden with the
`REELSMITH_PRICES` setting, e.g. `{"openai:sora-2": {"per_second": 0.1}}`; unknown models cost 0
and are reported as unpriced so nobody mistakes them for free.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, fields, replace

from reelsmith.errors import InvalidInput


@dataclass(frozen=True)
class Price:
    """Unit prices of one model; a field left at 0 means the model is not billed that way."""

    per_second: float = 0.0  # video
    per_image: float = 0.0
    per_1k_input: float = 0.0  # text tokens
    per_1k_output: float = 0.0
    source: str = "estimate"


_FIELDS = tuple(f.name for f in fields(Price) if f.name != "source")
FREE = Price(source="self-hosted")

PRICES: dict[str, Price] = {
    # OpenAI — video prices from PROVIDERS.md (720p); image and token prices are list-price estimates.
    "openai:sora-2": Price(per_second=0.10, source="PROVIDERS.md"),
    "openai:sora-2-pro": Price(per_second=0.30, source="PROVIDERS.md"),
    "openai:gpt-image-1": Price(per_image=0.042),
    "openai:gpt-4o-mini": Price(per_1k_input=0.00015, per_1k_output=0.0006),
    "openai:gpt-4o": Price(per_1k_input=0.0025, per_1k_output=0.01),
    # Google Gemini API.
    "gemini:veo-3.1-generate-preview": Price(per_second=0.40, source="PROVIDERS.md"),
    "gemini:veo-3.1-fast-generate-preview": Price(per_second=0.15, source="PROVIDERS.md"),
    "gemini:veo-3.0-generate-001": Price(per_second=0.40),
    "gemini:veo-3.0-fast-generate-001": Price(per_second=0.15),
    "gemini:gemini-2.5-flash": Price(per_1k_input=0.0003, per_1k_output=0.0025),
    "gemini:gemini-2.5-pro": Price(per_1k_input=0.00125, per_1k_output=0.01),
    # Replicate (per-model pricing pages).
    "replicate:google/veo-3.1": Price(per_second=0.40),
    "replicate:google/veo-3.1-fast": Price(per_second=0.15),
    "replicate:google/imagen-4": Price(per_image=0.04),
    # fal.
    "fal:fal-ai/veo3/fast": Price(per_second=0.40),
    "fal:fal-ai/veo3": Price(per_second=0.75),
    "fal:fal-ai/flux/schnell": Price(per_image=0.003),
    # Runway: credits at $0.01 (gen4_turbo 5 credits/s).
    "runway:gen4_turbo": Price(per_second=0.05),
    "runway:veo3.1": Price(per_second=0.40),
    # Luma.
    "luma:ray-2": Price(per_second=0.10),
    "luma:ray-flash-2": Price(per_second=0.04),
}
# Providers whose every model is free to us (they run on our own machines).
FREE_PROVIDERS = ("local", "comfyui")


@functools.cache
def _overrides(prices_json: str) -> dict[str, Price]:
    if not prices_json.strip():
        return {}
    try:
        raw = json.loads(prices_json)
    except ValueError as e:
        raise InvalidInput("prices", f"not valid JSON: {e}") from e
    if not isinstance(raw, dict):
        raise InvalidInput("prices", 'expected an object like {"openai:sora-2": {"per_second": 0.1}}')
    table: dict[str, Price] = {}
    for key, entry in raw.items():
        if ":" not in key or not isinstance(entry, dict):
            raise InvalidInput("prices", f"{key!r}: expected 'provider:model' → {{unit: price}}")
        unknown = set(entry) - set(_FIELDS)
        if unknown:
            raise InvalidInput("prices", f"{key!r}: unknown units {sorted(unknown)}; known: {list(_FIELDS)}")
        try:
            values = {name: float(value) for name, value in entry.items()}
        except (TypeError, ValueError) as e:
            raise InvalidInput("prices", f"{key!r}: prices must be numbers") from e
        table[key] = replace(PRICES.get(key, Price()), source="settings", **values)
    return table


def price_for(provider: str, model: str, prices_json: str = "") -> Price | None:
    """The unit prices of `provider:model` (settings first), or None when unknown."""
    key = f"{provider}:{model}"
    override = _overrides(prices_json).get(key)
    if override is not None:
        return override
    if provider in FREE_PROVIDERS:
        return FREE
    return PRICES.get(key)


def clip_cost(provider: str, model: str, seconds: float, *, prices: str = "") -> float:
    """Cost of `seconds` of generated video."""
    price = price_for(provider, model, prices)
    return round(price.per_second * max(0.0, seconds), 6) if price else 0.0


def image_cost(provider: str, model: str, n: int, *, prices: str = "") -> float:
    """Cost of `n` generated images."""
    price = price_for(provider, model, prices)
    return round(price.per_image * max(0, n), 6) if price else 0.0


def text_cost(provider: str, model: str, in_tokens: int, out_tokens: int, *, prices: str = "") -> float:
    """Cost of one completion from its token counts."""
    price = price_for(provider, model, prices)
    if price is None:
        return 0.0
    return round((price.per_1k_input * in_tokens + price.per_1k_output * out_tokens) / 1000.0, 6)


def describe(price: Price | None) -> str:
    """A short human description of a price, for the CLI."""
    if price is None:
        return "unpriced"
    parts = []
    if price.per_second:
        parts.append(f"${price.per_second:g}/s")
    if price.per_image:
        parts.append(f"${price.per_image:g}/image")
    if price.per_1k_input or price.per_1k_output:
        parts.append(f"${price.per_1k_input:g}+${price.per_1k_output:g}/1k tok")
    return (", ".join(parts) or "free") + (" (est.)" if price.source == "estimate" else "")
