"""Declarative models for the data model of ARCHITECTURE.md.

Types are chosen to be portable: string UUIDs, JSON, timezone-aware timestamps, and integer
identity columns that SQLite and PostgreSQL both generate.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from reelsmith.db.documents import GenerationParams, RunState
from reelsmith.vocabulary import (
    DEFAULT_VARIANT,
    CallStatus,
    GenerationStatus,
    SceneStatus,
    StepStatus,
    VariantStatus,
    VersionStatus,
    Visibility,
)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a real 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database returns.

    SQLite has no time zones and hands back naive values; PostgreSQL returns aware ones.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh random UUID as text."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    """Base of all models."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UTCDateTime}


class User(Base):
    """A person (or the implicit local CLI user) who owns generations and assets."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # The machine's operator (the CLI's user); set only by `accounts.service.ensure_operator`,
    # never by sign-up, so taking the operator's username does not make anyone the operator.
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    token_balance: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Generation(Base):
    """One request of a user: a mode, a prompt, and one or more variants."""

    __tablename__ = "generations"
    __table_args__ = (
        Index("ix_generations_user_created", "user_id", "created_at", "id"),
        Index("ix_generations_status", "status"),
        Index("ix_generations_feed", "visibility", "published_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200), default="")
    prompt: Mapped[str] = mapped_column(Text)
    # What the user asked for (`inputs`) and what the pipeline recorded (`state`), as JSON.
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    run_state: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    status: Mapped[str] = mapped_column(String(20), default=GenerationStatus.QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    current_step: Mapped[str] = mapped_column(String(200), default="Queued")
    error_message: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.DRAFT)
    caption: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column()
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    tokens_charged: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    generation_time_seconds: Mapped[float | None] = mapped_column(Float)

    variants: Mapped[list[Variant]] = relationship(
        back_populates="generation", cascade="all, delete-orphan", order_by="Variant.created_at"
    )
    steps: Mapped[list[Step]] = relationship(cascade="all, delete-orphan", order_by="Step.started_at")

    @property
    def inputs(self) -> GenerationParams:
        """What the user asked for, typed; assigned once, when the generation is created."""
        return GenerationParams.model_validate(self.params or {})

    @inputs.setter
    def inputs(self, value: GenerationParams) -> None:
        self.params = value.model_dump(mode="json", exclude_none=True)

    @property
    def state(self) -> RunState:
        """What the pipeline has recorded so far, typed; assign a new one (or `update_state`) to change it."""
        return RunState.model_validate(self.run_state or {})

    @state.setter
    def state(self, value: RunState) -> None:
        self.run_state = value.model_dump(mode="json", exclude_defaults=True)

    def update_state(self, **changes: Any) -> RunState:
        """Change some fields of the run state (validated, so a misspelt field fails) and return it."""
        self.state = RunState.model_validate({**self.state.model_dump(), **changes})
        return self.state


class Variant(Base):
    """One cut of a generation (story mode has one; ad clone has soft…ultra)."""

    __tablename__ = "variants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=DEFAULT_VARIANT)
    status: Mapped[str] = mapped_column(String(20), default=VariantStatus.PENDING)
    total_scenes: Mapped[int] = mapped_column(Integer, default=0)
    scenes_completed: Mapped[int] = mapped_column(Integer, default=0)
    video_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    thumbnail_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    preview_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    # The spoken words as caption files (narrated generations whose captions are not off).
    captions_srt_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    captions_vtt_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    generation: Mapped[Generation] = relationship(back_populates="variants")
    scenes: Mapped[list[Scene]] = relationship(
        back_populates="variant", cascade="all, delete-orphan", order_by="Scene.index"
    )


class Scene(Base):
    """One scene of a variant; it produces exactly one clip."""

    __tablename__ = "scenes"
    __table_args__ = (UniqueConstraint("variant_id", "index", name="uq_scenes_variant_index"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str] = mapped_column(Text, default="")
    duration_s: Mapped[float] = mapped_column(Float)
    camera: Mapped[str] = mapped_column(String(100), default="")
    on_screen_text: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=SceneStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str | None] = mapped_column(String(200))  # a chain item: provider[:model]
    provider_job_id: Mapped[str | None] = mapped_column(String(255))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    clip_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    thumbnail_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    # The clip as the provider delivered it, kept when the scene's clip is its house-format copy.
    delivered_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    # The scene's spoken line ("" when the generation is not narrated), the voice that speaks it, its
    # audio, and each word's [start, end] in seconds from the start of that audio.
    narration: Mapped[str] = mapped_column(Text, default="", server_default="")
    voice: Mapped[str] = mapped_column(String(100), default="", server_default="")
    speech_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    words: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    variant: Mapped[Variant] = relationship(back_populates="scenes")


class Asset(Base):
    """A stored file (clip, final video, thumbnail, reference image, upload)."""

    __tablename__ = "assets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    generation_id: Mapped[str | None] = mapped_column(
        ForeignKey("generations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    storage_key: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(100))
    bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    fps: Mapped[float | None] = mapped_column(Float)
    # A clip's audio as measured on arrival (`media.stitch.meter.ClipMeter`): its stitch levels by it.
    loudness: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Step(Base):
    """A durable pipeline step: its output is persisted before the next step starts."""

    __tablename__ = "steps"

    generation_id: Mapped[str] = mapped_column(
        ForeignKey("generations.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=StepStatus.PENDING)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()


class Event(Base):
    """Something that happened to a generation; the source of truth for live progress."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_generation_id_id", "generation_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProviderCall(Base):
    """One (possibly paid) call to a model provider, recorded before waiting on it."""

    __tablename__ = "provider_calls"
    __table_args__ = (Index("ix_provider_calls_webhook_token", "webhook_token", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    generation_id: Mapped[str | None] = mapped_column(
        ForeignKey("generations.id", ondelete="CASCADE"), index=True
    )
    scene_id: Mapped[str | None] = mapped_column(ForeignKey("scenes.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(200))  # a chain item: provider[:model]
    model: Mapped[str] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(30))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    # The secret path segment a provider's webhook uses to report this call's job.
    webhook_token: Mapped[str | None] = mapped_column(String(64))
    # How many times this call's request was sent (a transient failure resends the same key).
    sends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the latest send began, while its outcome is not known (NULL once the job id, or a failure
    # proving no job was made, is known): a send left like this may have started a paid job.
    sent_at: Mapped[datetime | None] = mapped_column()
    # When the latest send ended without telling whether the provider made the job.
    uncertain_at: Mapped[datetime | None] = mapped_column()
    # Lookups of the provider's jobs made for the latest uncertain send.
    lookups: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(20), default=CallStatus.STARTED)
    error_message: Mapped[str | None] = mapped_column(Text)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A long-lived key for scripts; only its hash is stored, the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class AuthSession(Base):
    """A login: a browser session (cookie, with a CSRF token) or a bearer access token."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # cookie | bearer
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class LedgerEntry(Base):
    """One movement of a user's tokens; the idempotency key makes each charge or refund land once."""

    __tablename__ = "ledger"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))  # grant | charge | refund
    generation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    scene_id: Mapped[str | None] = mapped_column(String(36))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Like(Base):
    """A user's like of a published generation."""

    __tablename__ = "likes"
    __table_args__ = (UniqueConstraint("user_id", "generation_id", name="uq_likes_user_generation"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _share_id() -> str:
    import secrets

    return secrets.token_hex(16)


class ShareLink(Base):
    """A signed, expiring, revocable public link to one generation."""

    __tablename__ = "share_links"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_share_id)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class Version(Base):
    """One cut of a finished variant: the first render, or an edit re-stitched from the stored clips.

    The version names its files through asset rows of its own (`version_*` kinds), so a later render
    releasing the variant's rows never takes a version's files with it.
    """

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("variant_id", "number", name="uq_versions_variant_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.RENDERING)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    change: Mapped[str] = mapped_column(String(500), default="")
    # The edit decision list the version was stitched from (`pipeline.cut.Cut`, as JSON).
    cut: Mapped[dict[str, Any]] = mapped_column(default=dict)
    video_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    thumbnail_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    preview_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    tokens_charged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
