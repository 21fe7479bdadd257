"""Where each remote provider lives and how it authenticates, read from Settings in one table.

The registry builds one `ProviderHttp` per provider from this table; the CLI's health check uses
the same entries, so a provider is described exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from reelsmith.config import Settings
from reelsmith.providers.http import ProviderHttp, make_client


@dataclass(frozen=True)
class Endpoint:
    """One provider's connection facts: its secret (and the variable users set), base URL, auth style."""

    name: str
    key_env: str  # the environment variable that users set; named in "not set" errors
    key_attr: str  # the Settings attribute holding it
    base_attr: str  # the Settings attribute holding the base URL
    auth: Callable[[str], dict[str, str]]
    health_path: str  # a cheap authenticated GET; "" when the API offers none


# OpenAI's own API; any other OPENAI_BASE_URL is an OpenAI-compatible server.
OPENAI_BASE_URL = "https://api.openai.com/v1"


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint("openai", "OPENAI_API_KEY", "openai_api_key", "openai_base_url", _bearer, "models"),
        Endpoint(
            "gemini", "GEMINI_API_KEY", "gemini_api_key", "gemini_base_url",
            lambda k: {"x-goog-api-key": k}, "models",
        ),
        Endpoint(
            "replicate", "REPLICATE_API_TOKEN", "replicate_api_token", "replicate_base_url",
            _bearer, "account",
        ),
        # fal's queue has no cheap authenticated read; the check only proves the host answers.
        Endpoint("fal", "FAL_KEY", "fal_key", "fal_base_url", lambda k: {"Authorization": f"Key {k}"}, ""),
        Endpoint(
            "runway", "RUNWAYML_API_SECRET", "runwayml_api_secret", "runway_base_url",
            lambda k: {**_bearer(k), "X-Runway-Version": "2024-11-06"}, "v1/organization",
        ),
        Endpoint("luma", "LUMAAI_API_KEY", "lumaai_api_key", "luma_base_url", _bearer, "generations?limit=1"),
        # ComfyUI has no auth by default; its URL is what must be set.
        Endpoint("comfyui", "COMFYUI_URL", "comfyui_url", "comfyui_url", lambda k: {}, "queue"),
        Endpoint(
            "elevenlabs", "ELEVENLABS_API_KEY", "elevenlabs_api_key", "elevenlabs_base_url",
            lambda k: {"xi-api-key": k}, "v1/voices",
        ),
    )
}  # fmt: skip


def openai_compatible(settings: Settings) -> bool:
    """Whether OPENAI_BASE_URL points somewhere other than OpenAI itself (an OpenAI-compatible server)."""
    return settings.openai_base_url.rstrip("/") != OPENAI_BASE_URL


def missing_setting(name: str, settings: Settings) -> str | None:
    """The environment variable a provider still needs, or None when it is configured."""
    endpoint = ENDPOINTS[name]
    if name == "openai" and openai_compatible(settings):
        return None  # a self-hosted OpenAI-compatible server (Ollama, vLLM, ...) usually takes no key
    if not str(getattr(settings, endpoint.key_attr) or "").strip():
        return endpoint.key_env
    if name == "comfyui" and settings.comfyui_workflow is None:
        return "REELSMITH_COMFYUI_WORKFLOW"
    return None


def connect(
    name: str,
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    retries: int | None = None,
    timeout_s: float | None = None,
    base_attr: str = "",
) -> ProviderHttp:
    """A ProviderHttp for `name` built from settings (key, base URL, timeout, retry budget).

    `base_attr` names another Settings attribute holding the base URL, for a provider with a second
    API under the same key (Luma's Agents API beside Dream Machine).
    """
    endpoint = ENDPOINTS[name]
    key = str(getattr(settings, endpoint.key_attr) or "").strip()
    base = (
        str(getattr(settings, base_attr or endpoint.base_attr) or "").strip() or "http://unconfigured.invalid"
    )
    headers = {"User-Agent": "reelsmith", **(endpoint.auth(key) if key else {})}
    client = make_client(base, headers, timeout_s if timeout_s is not None else settings.provider_timeout_s)
    return ProviderHttp(
        provider=name,
        client=client,
        retries=settings.provider_retries if retries is None else retries,
        sleep=sleep,
        missing=missing_setting(name, settings),
    )
