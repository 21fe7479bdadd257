"""Pick provider adapters by name; build each once per process.

A remote provider without its key is still built: it fails on first use with a permanent error
naming the missing setting, so a chain like `openai,local` fails over instead of crashing.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from reelsmith.config import Settings
from reelsmith.errors import InvalidInput
from reelsmith.providers.base import ImageModel, SpeechModel, TextModel, VideoModel
from reelsmith.providers.catalogue import Catalogue, Kind, ModelEntry
from reelsmith.providers.catalogue import load as load_catalogue
from reelsmith.providers.http import ProviderHttp

TEXT_PROVIDERS = ("local", "openai", "gemini")
IMAGE_PROVIDERS = ("local", "openai", "replicate", "fal", "gemini")
VIDEO_PROVIDERS = ("local", "openai", "gemini", "replicate", "fal", "runway", "luma", "comfyui")
SPEECH_PROVIDERS = ("local", "elevenlabs", "gemini")
ALL_PROVIDERS = ("local", "openai", "gemini", "replicate", "fal", "runway", "luma", "comfyui", "elevenlabs")
# Providers whose models are not chosen by name (the offline renderer; ComfyUI runs the configured workflow).
FIXED_MODEL_PROVIDERS = ("local", "comfyui")


def split_item(item: str) -> tuple[str, str]:
    """A chain item `provider[:model]` as (provider, model); the model is "" when not named."""
    provider, _, model = item.strip().partition(":")
    return provider.strip(), model.strip()


def parse_chain(value: str | list[str] | tuple[str, ...], known: tuple[str, ...], field: str) -> list[str]:
    """Split a failover chain like `openai,local` or `replicate:kwaivgi/kling-v3-video,local`.

    Every item names a known provider, optionally followed by `:MODEL`; items come back as given.
    """
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else [n.strip() for n in value]
    names = [n for n in names if n]
    if not names:
        raise InvalidInput(field, "needs at least one provider name")
    for name in names:
        provider, model = split_item(name)
        if provider not in known:
            raise InvalidInput(field, f"unknown provider {provider!r}; known: {', '.join(known)}")
        if name.partition(":")[1] and not model:
            raise InvalidInput(field, f"{name!r}: a model name must follow the colon")
        if provider in FIXED_MODEL_PROVIDERS and model:
            raise InvalidInput(field, f"{name!r}: the {provider} provider has no models to choose from")
    return names


@dataclass(frozen=True)
class ProviderInfo:
    """What `reelsmith providers` shows about one provider."""

    name: str
    kinds: tuple[str, ...]  # "text" | "image" | "video"
    models: dict[str, str]  # kind → model name
    configured: bool
    missing: str | None = None  # the setting still needed, when not configured
    base_url: str = ""


def _setting_models(settings: Settings, name: str) -> dict[str, str]:
    """The model settings of provider `name` by kind ("" where the catalogue's default applies)."""
    s = settings
    table: dict[str, dict[str, str]] = {
        "local": {"text": "", "image": "", "video": "", "speech": ""},
        "openai": {"text": s.openai_text_model, "image": s.openai_image_model, "video": s.openai_video_model},
        "gemini": {
            "text": s.gemini_text_model,
            "image": s.gemini_image_model,
            "video": s.gemini_video_model,
            "speech": s.gemini_speech_model,
        },
        "replicate": {"image": s.replicate_image_model, "video": s.replicate_video_model},
        "fal": {"image": s.fal_image_model, "video": s.fal_video_model},
        "runway": {"video": s.runway_video_model},
        "luma": {"video": s.luma_video_model},
        "comfyui": {"video": f"comfyui:{s.comfyui_workflow.stem}" if s.comfyui_workflow else "comfyui"},
        "elevenlabs": {"speech": s.elevenlabs_speech_model},
    }
    return table[name]


def model_names(settings: Settings, name: str, catalogue: Catalogue | None = None) -> dict[str, str]:
    """The model each kind of `name`'s adapters uses: the setting, else the catalogue's default."""
    cat = catalogue or load_catalogue(settings.data_dir, settings.catalogue_path)
    names: dict[str, str] = {}
    for kind, setting in _setting_models(settings, name).items():
        default = cat.default(name, kind)  # type: ignore[arg-type]
        names[kind] = setting or (default.id if default else "")
    return names


class ProviderRegistry:
    """Builds and caches adapters; the settings say where each one connects.

    `http_sleep` is the backoff sleep handed to every remote adapter (tests pass a recorder).
    """

    def __init__(self, settings: Settings, *, http_sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._sleep = http_sleep
        self._lock = threading.Lock()
        self._http: dict[str, ProviderHttp] = {}
        self._text: dict[str, TextModel] = {}
        self._image: dict[str, ImageModel] = {}
        self._video: dict[str, VideoModel] = {}
        self._speech: dict[str, SpeechModel] = {}

    def http(self, name: str, base_attr: str = "") -> ProviderHttp:
        """The shared connection of remote provider `name` (one httpx client per provider and API;
        `base_attr` names the Settings attribute of a second API's base URL)."""
        from reelsmith.providers.endpoints import connect

        key = f"{name}@{base_attr}" if base_attr else name
        with self._lock:
            if key not in self._http:
                self._http[key] = connect(name, self.settings, sleep=self._sleep, base_attr=base_attr)
            return self._http[key]

    @functools.cached_property
    def catalogue(self) -> Catalogue:
        """The model catalogue: the shipped one with the user's file laid over it."""
        return load_catalogue(self.settings.data_dir, self.settings.catalogue_path)

    def model_for(self, item: str, kind: Kind) -> str:
        """The model a chain item uses for `kind`: the one it names, else the setting or catalogue default."""
        provider, model = split_item(item)
        return model or model_names(self.settings, provider, self.catalogue).get(kind, "")

    def entry(self, item: str, kind: Kind) -> ModelEntry:
        """The catalogue entry of the model a chain item uses (a generic one when not catalogued)."""
        provider, _ = split_item(item)
        return self.catalogue.entry(provider, self.model_for(item, kind), kind)

    def text(self, name: str) -> TextModel:
        """The text model of chain item `name` (`provider` or `provider:model`)."""
        if name not in self._text:
            parse_chain(name, TEXT_PROVIDERS, "text_provider")
            provider, model = split_item(name)[0], self.model_for(name, "text")
            if provider == "local":
                from reelsmith.providers.local import LocalTextModel

                self._text[name] = LocalTextModel()
            elif provider == "openai":
                from reelsmith.providers.openai import OpenAITextModel

                self._text[name] = OpenAITextModel(self.http(provider), model)
            else:
                from reelsmith.providers.gemini import GeminiTextModel

                self._text[name] = GeminiTextModel(self.http(provider), model)
        return self._text[name]

    def image(self, name: str) -> ImageModel:
        """The image model of chain item `name` (`provider` or `provider:model`)."""
        if name not in self._image:
            parse_chain(name, IMAGE_PROVIDERS, "image_provider")
            provider, model = split_item(name)[0], self.model_for(name, "image")
            if provider == "local":
                from reelsmith.providers.local import LocalImageModel

                self._image[name] = LocalImageModel()
            elif provider == "openai":
                from reelsmith.providers.openai import OpenAIImageModel

                self._image[name] = OpenAIImageModel(self.http(provider), model)
            elif provider == "gemini":
                from reelsmith.providers.gemini import GeminiImageModel

                self._image[name] = GeminiImageModel(self.http(provider), model)
            elif provider == "replicate":
                from reelsmith.providers.replicate import ReplicateImageModel

                self._image[name] = ReplicateImageModel(self.http(provider), model)
            else:
                from reelsmith.providers.fal import FalImageModel

                self._image[name] = FalImageModel(self.http(provider), model)
        return self._image[name]

    def video(self, name: str) -> VideoModel:
        """The video model of chain item `name` (`provider` or `provider:model`)."""
        if name not in self._video:
            parse_chain(name, VIDEO_PROVIDERS, "video_provider")
            self._video[name] = self._build_video(name)
        return self._video[name]

    def _build_video(self, item: str) -> VideoModel:
        name = split_item(item)[0]
        if name == "local":
            from reelsmith.providers.local import LocalVideoModel

            return LocalVideoModel(self.settings.local_jobs_dir)
        if name == "comfyui":
            from reelsmith.providers.comfyui import ComfyUIVideoModel

            return ComfyUIVideoModel(self.http(name), self.settings.comfyui_workflow)
        from reelsmith.providers import fal, gemini_video, luma, luma_agents, openai_video, replicate, runway

        entry = self.entry(item, "video")
        if name == "replicate":
            return replicate.ReplicateVideoModel(self.http(name), entry.id, entry)
        if name == "fal":
            return fal.FalVideoModel(self.http(name), entry.id, entry)
        if name == "gemini":
            return gemini_video.GeminiVideoModel(self.http(name), entry.id, entry)
        if name == "luma" and entry.protocol == luma_agents.PROTOCOL:
            return luma_agents.LumaAgentsVideoModel(self.http(name, "luma_agents_base_url"), entry.id, entry)
        if name == "luma":
            return luma.LumaVideoModel(self.http(name), entry.id, entry)
        if name == "runway":
            return runway.RunwayVideoModel(self.http(name), entry.id, entry)
        return openai_video.OpenAIVideoModel(self.http(name), entry.id)

    def speech(self, item: str) -> SpeechModel:
        """The speech model of chain item `item` (`provider` or `provider:model`)."""
        with self._lock:
            cached = self._speech.get(item)
        if cached is not None:
            return cached
        parse_chain(item, SPEECH_PROVIDERS, "speech_providers")
        provider, model = split_item(item)[0], self.model_for(item, "speech")
        built: SpeechModel
        if provider == "local":
            from reelsmith.providers.local.speech import LocalSpeechModel

            built = LocalSpeechModel()
        elif provider == "elevenlabs":
            from reelsmith.providers.elevenlabs import ElevenLabsSpeechModel

            built = ElevenLabsSpeechModel(self.http(provider), model)
        else:
            from reelsmith.providers.gemini_speech import GeminiSpeechModel

            built = GeminiSpeechModel(self.http(provider), model)
        with self._lock:
            return self._speech.setdefault(item, built)

    def configured(self) -> list[ProviderInfo]:
        """Every known provider with its kinds, models and whether its settings are complete."""
        from reelsmith.providers.endpoints import ENDPOINTS, missing_setting

        infos: list[ProviderInfo] = []
        for name in ALL_PROVIDERS:
            kinds = tuple(
                kind
                for kind, names in (
                    ("text", TEXT_PROVIDERS),
                    ("image", IMAGE_PROVIDERS),
                    ("video", VIDEO_PROVIDERS),
                    ("speech", SPEECH_PROVIDERS),
                )
                if name in names
            )
            missing = None if name == "local" else missing_setting(name, self.settings)
            base = "" if name == "local" else str(getattr(self.settings, ENDPOINTS[name].base_attr))
            infos.append(
                ProviderInfo(
                    name,
                    kinds,
                    model_names(self.settings, name, self.catalogue),
                    missing is None,
                    missing,
                    base,
                )
            )
        return infos
