"""A live check per configured provider: one cheap authenticated GET, no retries, no cost."""

from __future__ import annotations

import time
from dataclasses import dataclass

from reelsmith.config import Settings
from reelsmith.errors import ProviderError
from reelsmith.providers.endpoints import ENDPOINTS, connect


@dataclass(frozen=True)
class Health:
    """The outcome of one provider's check."""

    name: str
    ok: bool
    detail: str
    latency_ms: int = 0


def check_provider(name: str, settings: Settings, *, timeout_s: float = 10.0) -> Health:
    """GET the provider's cheapest authenticated endpoint; `ok` means it answered and accepted the key."""
    if name == "local":
        return Health(name, True, "offline renderer, always available")
    endpoint = ENDPOINTS[name]
    http = connect(name, settings, retries=0, timeout_s=timeout_s)
    started = time.monotonic()
    try:
        if not endpoint.health_path:
            # No cheap authenticated read: an unauthenticated 4xx from the host still proves it is up.
            http.client.get("")
            return Health(name, True, "host reachable (key not checked)", _ms(started))
        http.request("GET", endpoint.health_path)
    except ProviderError as e:
        return Health(name, False, e.message.removeprefix(f"{name}: "), _ms(started))
    except Exception as e:  # a health check reports every failure instead of crashing the CLI
        return Health(name, False, f"{type(e).__name__}: {e}", _ms(started))
    finally:
        http.client.close()
    return Health(name, True, "ok", _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
