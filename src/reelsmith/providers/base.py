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
    # The model the provider says is doing the job, when it differs from the one asked for (Gemini
    # silently routes retired ids to their successors); "" otherwise.
    served_model: str = ""


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


@runtime_checkable
class Reconcilable(Protocol):
    """A video model that can find the job an earlier create of the same request started.

    Its `submit` puts a marker derived from `request.idempotency_key` into the create (a webhook URL's
    query, a metadata or name field, a client-chosen id), so that after a create whose outcome is
    unknown (a timeout after sending, a dropped connection, a 5xx) the job can be looked up instead of
    paid for twice.
    """

    def reconcile(self, request: ClipRequest) -> JobHandle | None:
        """The job this request's create started, or None when the provider's records show none.

        Raises a transient ProviderError when the provider cannot be asked right now.
        """
        ...


@dataclass(frozen=True)
class WordTiming:
    """One spoken word and when it is heard, in seconds from the start of its audio."""

    word: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SpeechRequest:
    """One line to speak."""

    text: str
    voice: str = ""  # the provider's voice name; "" = the provider's default voice
    language: str = "en"
    idempotency_key: str = ""


@dataclass(frozen=True)
class SpeechResult:
    """A spoken line: the audio file's bytes and when each word is heard in it."""

    audio: bytes  # a complete audio file (WAV or MP3 as the provider returns it)
    audio_suffix: str  # ".wav" or ".mp3"
    words: tuple[WordTiming, ...]
    duration_s: float
    model: str
    voice: str


@dataclass(frozen=True)
class VoiceInfo:
    """One voice a speech provider offers."""

    name: str
    language: str
    description: str = ""


@runtime_checkable
class SpeechModel(Protocol):
    """Speaks a line and says when each word is heard."""

    name: str  # the provider name: "local", "elevenlabs", "gemini"

    def speak(self, request: SpeechRequest) -> SpeechResult:
        """Return the spoken line as one audio file with word timings (one provider call)."""
        ...

    def voices(self) -> list[VoiceInfo]:
        """The voices this provider offers."""
        ...
