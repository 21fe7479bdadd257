"""The Protocols every provider adapter implements, and the values that cross them.

Submitting a clip and polling it are separate calls so that no worker thread ever waits on a
provider: the pipeline stores the returned job id, then polls from a re-scheduled queue task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from reelsmith.vocabulary import AspectRatio

Aspect = AspectRatio  # the frame shapes come from the vocabulary
JobState = Literal["queued", "running", "succeeded", "failed"]


@dataclass(frozen=True)
class TextRequest:
    """A JSON-schema-constrained completion.

    `system`/`user` are the rendered prompt templates an LLM reads; `context` carries the same
    inputs as structured data for renderers that are not language models (the local provider).
    """

    task: str  # "story" | "scenes" | "enhance" | "align"
    system: str
    user: str
    schema_name: str
    schema: Mapping[str, Any]
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TextResult:
    """The parsed JSON reply plus what is needed to show and bill the exchange."""

    data: dict[str, Any]
    raw: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class ImageRequest:
    """One still image (a character reference, a quick image)."""

    prompt: str
    aspect: Aspect = AspectRatio.SQUARE
    seed: int = 0
    negative_prompt: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class ClipRequest:
    """One scene's clip."""

    prompt: str
    duration_s: float
    aspect: Aspect
    seed: int
    idempotency_key: str
    negative_prompt: str = ""
    on_screen_text: str = ""
    camera: str = ""
    title: str = ""
    scene_index: int = 0
    scene_count: int = 1
    reference_images: tuple[Path, ...] = ()
    # Where the provider should report completion, for providers with webhooks ("" = poll only).
    webhook_url: str = ""


@dataclass(frozen=True)
class JobHandle:
    """What `submit` returns: the provider's job id and when to look again."""

    external_id: str
    poll_after_s: float = 1.0


@dataclass(frozen=True)
class JobStatus:
    """One poll's answer, mapped to Reelsmith's four states."""

    state: JobState
    progress: float = 0.0  # 0..1
    reason: str | None = None  # set when failed
    permanent: bool = False  # a failure not worth retrying on this provider (e.g. content policy)
    poll_after_s: float = 1.0


@runtime_checkable
class TextModel(Protocol):
    """Writes stories, scene lists and prompt rewrites as JSON matching a schema."""

    name: str
    model: str

    def complete_json(self, request: TextRequest) -> TextResult:
        """Return the reply parsed as JSON (validation against the schema is the caller's)."""
        ...


@runtime_checkable
class ImageModel(Protocol):
    """Makes still images."""

    name: str
    model: str

    def generate_image(self, request: ImageRequest, dest: Path) -> None:
        """Write one PNG image to `dest`."""
        ...


@runtime_checkable
class VideoModel(Protocol):
    """Makes clips through a submit → poll → fetch job life cycle."""

    name: str
    model: str

    def submit(self, request: ClipRequest) -> JobHandle:
        """Start a job; the same idempotency key must never start a second paid job."""
        ...

    def poll(self, external_id: str) -> JobStatus:
        """Report the job's state; may do bounded work but never waits on a remote service."""
        ...

    def fetch(self, external_id: str, dest: Path) -> None:
        """Download the finished clip (MP4) to `dest`."""
        ...


@runtime_checkable
class CancellableVideoModel(VideoModel, Protocol):
    """A video model whose provider can stop a job that is no longer wanted."""

    def cancel(self, external_id: str) -> None:
        """Ask the provider to stop the job (best effort: a finished job is left alone)."""
        ...
