"""Pick provider adapters by name; build each once per process."""

from __future__ import annotations

from reelsmith.config import Settings
from reelsmith.errors import InvalidInput
from reelsmith.providers.base import ImageModel, TextModel, VideoModel

TEXT_PROVIDERS = ("local",)
IMAGE_PROVIDERS = ("local",)
VIDEO_PROVIDERS = ("local",)


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


class ProviderRegistry:
    """Builds and caches adapters; the settings say where each one connects."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._text: dict[str, TextModel] = {}
        self._image: dict[str, ImageModel] = {}
        self._video: dict[str, VideoModel] = {}

    def text(self, name: str) -> TextModel:
        """The text model called `name`."""
        if name not in self._text:
            from reelsmith.providers.local import LocalTextModel

            parse_chain(name, TEXT_PROVIDERS, "text_provider")
            self._text[name] = LocalTextModel()
        return self._text[name]

    def image(self, name: str) -> ImageModel:
        """The image model called `name`."""
        if name not in self._image:
            from reelsmith.providers.local import LocalImageModel

            parse_chain(name, IMAGE_PROVIDERS, "image_provider")
            self._image[name] = LocalImageModel()
        return self._image[name]

    def video(self, name: str) -> VideoModel:
        """The video model called `name`."""
        if name not in self._video:
            from reelsmith.providers.local import LocalVideoModel

            parse_chain(name, VIDEO_PROVIDERS, "video_provider")
            self._video[name] = LocalVideoModel(self.settings.local_jobs_dir)
        return self._video[name]
