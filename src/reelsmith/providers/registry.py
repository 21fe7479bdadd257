"""Pick provider adapters by name; build each once per process.

A remote provider without its key is still built: it fails on first use with a permanent error
naming the missing setting, so a chain like `openai,local` fails over instead of crashing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from reelsmith.config import Settings
from reelsmith.errors import InvalidInput
from reelsmith.providers.base import ImageModel, TextModel, VideoModel
from reelsmith.providers.http import ProviderHttp

TEXT_PROVIDERS = ("local", "openai", "gemini")
IMAGE_PROVIDERS = ("local", "openai", "replicate", "fal")
VIDEO_PROVIDERS = ("local", "openai", "gemini", "replicate", "fal", "runway", "luma", "comfyui")
ALL_PROVIDERS = ("local", "openai", "gemini", "replicate", "fal", "runway", "luma", "comfyui")


def parse_chain(value: str | list[str] | tuple[str, ...], known: tuple[str, ...], field: str) -> list[str]:
    """Split a failover chain like `openai,local` and check every name is a known provider."""
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else [n.strip() for n in value]
    names = [n for n in names if n]
    if not names:
        raise InvalidInput(field, "needs at least one provider name")
    for name in names:
        if name not in known:
            raise InvalidInput(field, f"unknown provider {name!r}; known: {', '.join(known)}")
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


def model_names(settings: Settings, name: str) -> dict[str, str]:
    """The model each kind of `name`'s adapters uses, from settings."""
    s = settings
    table: dict[str, dict[str, str]] = {
        "local": {"text": "local-template-v1", "image": "local-card-v1", "video": "local-render-v1"},
        "openai": {"text": s.openai_text_model, "image": s.openai_image_model, "video": s.openai_video_model},
        "gemini": {"text": s.gemini_text_model, "video": s.gemini_video_model},
        "replicate": {"image": s.replicate_image_model, "video": s.replicate_video_model},
        "fal": {"image": s.fal_image_model, "video": s.fal_video_model},
        "runway": {"video": s.runway_video_model},
        "luma": {"video": s.luma_video_model},
        "comfyui": {"video": f"comfyui:{s.comfyui_workflow.stem}" if s.comfyui_workflow else "comfyui"},
    }
    return table[name]


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

    def http(self, name: str) -> ProviderHttp:
        """The shared connection of remote provider `name` (one httpx client per provider)."""
        from reelsmith.providers.endpoints import connect

        with self._lock:
            if name not in self._http:
                self._http[name] = connect(name, self.settings, sleep=self._sleep)
            return self._http[name]

    def text(self, name: str) -> TextModel:
        """The text model called `name`."""
        if name not in self._text:
            parse_chain(name, TEXT_PROVIDERS, "text_provider")
            model = model_names(self.settings, name)["text"]
            if name == "local":
                from reelsmith.providers.local import LocalTextModel

                self._text[name] = LocalTextModel()
            elif name == "openai":
                from reelsmith.providers.openai import OpenAITextModel

                self._text[name] = OpenAITextModel(self.http(name), model)
            else:
                from reelsmith.providers.gemini import GeminiTextModel

                self._text[name] = GeminiTextModel(self.http(name), model)
        return self._text[name]

    def image(self, name: str) -> ImageModel:
        """The image model called `name`."""
        if name not in self._image:
            parse_chain(name, IMAGE_PROVIDERS, "image_provider")
            model = model_names(self.settings, name)["image"]
            if name == "local":
                from reelsmith.providers.local import LocalImageModel

                self._image[name] = LocalImageModel()
            elif name == "openai":
                from reelsmith.providers.openai import OpenAIImageModel

                self._image[name] = OpenAIImageModel(self.http(name), model)
            elif name == "replicate":
                from reelsmith.providers.replicate import ReplicateImageModel

                self._image[name] = ReplicateImageModel(self.http(name), model)
            else:
                from reelsmith.providers.fal import FalImageModel

                self._image[name] = FalImageModel(self.http(name), model)
        return self._image[name]

    def video(self, name: str) -> VideoModel:
        """The video model called `name`."""
        if name not in self._video:
            parse_chain(name, VIDEO_PROVIDERS, "video_provider")
            self._video[name] = self._build_video(name)
        return self._video[name]

    def _build_video(self, name: str) -> VideoModel:
        if name == "local":
            from reelsmith.providers.local import LocalVideoModel

            return LocalVideoModel(self.settings.local_jobs_dir)
        if name == "comfyui":
            from reelsmith.providers.comfyui import ComfyUIVideoModel

            return ComfyUIVideoModel(self.http(name), self.settings.comfyui_workflow)
        from reelsmith.providers import fal, gemini, luma, openai, replicate, runway

        classes: dict[str, Callable[[ProviderHttp, str], VideoModel]] = {
            "openai": openai.OpenAIVideoModel,
            "gemini": gemini.GeminiVideoModel,
            "replicate": replicate.ReplicateVideoModel,
            "fal": fal.FalVideoModel,
            "runway": runway.RunwayVideoModel,
            "luma": luma.LumaVideoModel,
        }
        return classes[name](self.http(name), model_names(self.settings, name)["video"])

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
                )
                if name in names
            )
            missing = None if name == "local" else missing_setting(name, self.settings)
            base = "" if name == "local" else str(getattr(self.settings, ENDPOINTS[name].base_attr))
            infos.append(
                ProviderInfo(name, kinds, model_names(self.settings, name), missing is None, missing, base)
            )
        return infos
