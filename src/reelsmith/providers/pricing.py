"""What a provider call costs, in US dollars, from the model catalogue's prices.

Prices live in the catalogue (providers/catalogue.toml and the user's catalogue file), each with
its source; figures marked `estimate` are list prices as last seen. Every figure can be overridden
with the `REELSMITH_PRICES` setting, e.g. `{"openai:sora-2": {"per_second": 0.1}}`; models without
a price cost 0 and are reported as unpriced so nobody mistakes them for free. A clip is estimated at
submit for the length asked for; once it is in, a per-second price bills the seconds it delivered.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, fields, replace

from reelsmith.errors import InvalidInput
from reelsmith.providers.catalogue import Catalogue, shipped


@dataclass(frozen=True)
class Price:
    """Unit prices of one model; a field left at 0 means the model is not billed that way."""

    per_second: float = 0.0  # video
    per_clip: float = 0.0  # video billed per clip whatever its length
    per_image: float = 0.0
    per_1k_input: float = 0.0  # text tokens
    per_1k_output: float = 0.0
    per_1k_chars: float = 0.0  # speech
    source: str = "estimate"


_FIELDS = tuple(f.name for f in fields(Price) if f.name != "source")
FREE = Price(source="self-hosted")
# Providers whose every model is free to us (they run on our own machines).
FREE_PROVIDERS = ("local", "comfyui")
# How far a delivered clip's length may stray from the length asked for and still be that length.
DELIVERY_SLACK_S = 0.5


def catalogued_price(provider: str, model: str, catalogue: Catalogue | None = None) -> Price | None:
    """The catalogue's price of `provider:model` in this module's units, or None when it has none."""
    entry = (catalogue or shipped()).get(provider, model)
    if entry is None or entry.price is None:
        return None
    p = entry.price
    return Price(
        per_second=p.per_second,
        per_clip=p.per_clip,
        per_image=p.per_image,
        per_1k_input=p.per_1m_input / 1000.0,
        per_1k_output=p.per_1m_output / 1000.0,
        per_1k_chars=p.per_1k_chars,
        source=p.source,
    )


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
        provider, _, model = key.partition(":")
        table[key] = replace(catalogued_price(provider, model) or Price(), source="settings", **values)
    return table


def price_for(
    provider: str, model: str, prices_json: str = "", catalogue: Catalogue | None = None
) -> Price | None:
    """The unit prices of `provider:model` (settings first, then the catalogue), or None when unknown.

    `provider` may be a chain item such as `replicate:owner/name`; its provider part is used.
    """
    provider = provider.partition(":")[0]
    override = _overrides(prices_json).get(f"{provider}:{model}")
    if override is not None:
        return override
    if provider in FREE_PROVIDERS:
        return FREE
    return catalogued_price(provider, model, catalogue)


def clip_cost(
    provider: str, model: str, seconds: float, *, prices: str = "", catalogue: Catalogue | None = None
) -> float:
    """Cost of one clip of `seconds` of generated video."""
    price = price_for(provider, model, prices, catalogue)
    return round(price.per_clip + price.per_second * max(0.0, seconds), 6) if price else 0.0


def delivered_clip_cost(
    provider: str,
    model: str,
    asked_s: float,
    delivered_s: float,
    *,
    prices: str = "",
    catalogue: Catalogue | None = None,
) -> float | None:
    """Cost of a clip from the seconds of video delivered, when that is not the estimate made for
    `asked_s`; None when the estimate stands.

    A per-second price is read as a price per second of video made: a model that delivers more or
    less than it was asked for is billed for what it made. A length within DELIVERY_SLACK_S of the
    one asked for is the same clip (containers round to whole frames, audio priming adds a little),
    and a model without a per-second price costs the same at any length.
    """
    price = price_for(provider, model, prices, catalogue)
    if price is None or not price.per_second or abs(delivered_s - asked_s) <= DELIVERY_SLACK_S:
        return None
    return clip_cost(provider, model, delivered_s, prices=prices, catalogue=catalogue)


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


def speech_cost(
    provider: str, model: str, characters: int, *, prices: str = "", catalogue: Catalogue | None = None
) -> float:
    """Cost of speaking `characters` characters of text."""
    price = price_for(provider, model, prices, catalogue)
    return round(price.per_1k_chars * max(0, characters) / 1000.0, 6) if price else 0.0


def describe(price: Price | None) -> str:
    """A short human description of a price, for the CLI."""
    if price is None:
        return "unpriced"
    parts = []
    if price.per_second:
        parts.append(f"${price.per_second:g}/s")
    if price.per_clip:
        parts.append(f"${price.per_clip:g}/clip")
    if price.per_image:
        parts.append(f"${price.per_image:g}/image")
    if price.per_1k_input or price.per_1k_output:
        parts.append(f"${price.per_1k_input:g}+${price.per_1k_output:g}/1k tok")
    if price.per_1k_chars:
        parts.append(f"${price.per_1k_chars:g}/1k chars")
    return (", ".join(parts) or "free") + (" (est.)" if price.source == "estimate" else "")
