"""Settings: read from the environment (prefix REELSMITH_) and an optional .env file, once."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable about Reelsmith; built once and passed to whoever needs it."""

    model_config = SettingsConfigDict(env_prefix="REELSMITH_", env_file=".env", extra="ignore")

    data_dir: Path = Path("./reelsmith-data")
    database_url: str = ""
    queue_url: str = ""
    storage_url: str = ""
    # For s3:// storage on another S3-compatible server (MinIO, R2, ...); AWS needs none.
    s3_endpoint_url: str = ""
    # Signs share links. When unset, a random key is made once and kept in the data dir.
    secret_key: str = ""

    text_provider: str = "local"
    image_provider: str = "local"
    video_provider: str = "local"
    # The speech failover chain (`elevenlabs,local`); each scene's spoken line is one call.
    speech_providers: str = "local"
    # Story and ad clone speak unless a request says otherwise; off makes silent videos the default.
    narrate_by_default: bool = True

    # Queue consumer: threads carry submit/poll tasks; rendering runs in ffmpeg subprocesses.
    workers: int = Field(default=2, ge=1, le=64)
    # A scene whose clip fails transiently is retried this many times before failover.
    clip_attempts: int = Field(default=2, ge=1, le=10)
    # Work whose heartbeat is older than this is considered abandoned by a dead worker.
    stale_after_s: float = Field(default=120.0, gt=0)
    # How often the reaper looks for abandoned work.
    reaper_interval_s: float = Field(default=30.0, gt=0)
    # A generation still unfinished after this long is failed (and refunded).
    generation_deadline_s: float = Field(default=6 * 3600.0, gt=0)
    # A worker asked to stop lets its running tasks finish for this long, then hands them back to the
    # queue (keep it below the orchestrator's kill timeout: compose's stop_grace_period).
    worker_shutdown_grace_s: float = Field(default=20.0, ge=0)
    # A server asked to stop waits this long for open requests: event streams never end on their own,
    # and their watchers reconnect to another server.
    server_shutdown_grace_s: int = Field(default=10, ge=0)
    # Log lines as plain text, or as one JSON object per line (with the generation, step and provider
    # call they concern as fields) for a log collector.
    log_format: Literal["text", "json"] = "text"

    # Provider credentials and endpoints use the names their ecosystems use.
    openai_api_key: str = Field(default="", validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str = Field(
        default="https://api.openai.com/v1", validation_alias=AliasChoices("OPENAI_BASE_URL")
    )
    # Model settings left empty use the model catalogue's default for that provider and kind.
    openai_text_model: str = ""
    openai_image_model: str = ""
    openai_video_model: str = ""
    gemini_api_key: str = Field(default="", validation_alias=AliasChoices("GEMINI_API_KEY"))
    gemini_base_url: str = "https://generativelanguage.googleapis.com/v1beta"
    gemini_text_model: str = ""
    gemini_video_model: str = ""
    gemini_speech_model: str = ""
    elevenlabs_api_key: str = Field(default="", validation_alias=AliasChoices("ELEVENLABS_API_KEY"))
    # Without the version segment: ElevenLabs' paths carry it (`/v1/text-to-speech/…`).
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    elevenlabs_speech_model: str = ""
    gemini_image_model: str = ""
    replicate_api_token: str = Field(default="", validation_alias=AliasChoices("REPLICATE_API_TOKEN"))
    replicate_base_url: str = "https://api.replicate.com/v1"
    replicate_video_model: str = ""
    replicate_image_model: str = ""
    fal_key: str = Field(default="", validation_alias=AliasChoices("FAL_KEY"))
    fal_base_url: str = "https://queue.fal.run"
    fal_video_model: str = ""
    fal_image_model: str = ""
    runwayml_api_secret: str = Field(default="", validation_alias=AliasChoices("RUNWAYML_API_SECRET"))
    runway_base_url: str = "https://api.dev.runwayml.com"
    runway_video_model: str = ""
    lumaai_api_key: str = Field(default="", validation_alias=AliasChoices("LUMAAI_API_KEY"))
    luma_base_url: str = "https://api.lumalabs.ai/dream-machine/v1"
    # The Luma Agents API (ray-3.2); the base URL above is the Dream Machine API (ray-2, ray-flash-2).
    luma_agents_base_url: str = "https://agents.lumalabs.ai/v1"
    luma_video_model: str = ""
    comfyui_url: str = Field(default="", validation_alias=AliasChoices("COMFYUI_URL"))
    comfyui_workflow: Path | None = None  # an API-format workflow JSON with placeholders
    # A model catalogue (TOML) laid over the shipped one; unset: <data_dir>/catalogue.toml if present.
    catalogue_path: Path | None = None
    # Per-call network timeout and retry budget for provider HTTP calls.
    provider_timeout_s: float = Field(default=60.0, gt=0)
    provider_retries: int = Field(default=4, ge=0, le=10)
    # A clip submission whose outcome is unknown (the request may have reached the provider) and that
    # cannot be looked up is failed as "submission uncertain"; true resends or fails over anyway,
    # risking a second paid job.
    resubmit_uncertain: bool = False
    # Price overrides as JSON, e.g. {"openai:sora-2": {"per_second": 0.1}}.
    prices: str = ""
    # Public base URL of this server, used for provider webhooks (empty: poll only).
    public_url: str = ""
    # Host names a request may name in its Host header to have links built on it (when public_url is unset).
    trusted_hosts: str = "127.0.0.1,localhost"

    # Accounts and limits of the HTTP service.
    signup_tokens: int = Field(default=50, ge=0)
    max_upload_mb: int = Field(default=200, ge=1)
    generation_rate_per_minute: int = Field(default=20, ge=1)
    upload_rate_per_minute: int = Field(default=30, ge=1)
    # Failed sign-ins allowed per username and per client address within the window (then 429).
    login_failures_per_username: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1)
    login_failure_window_s: float = Field(default=900.0, gt=0)
    # Password checks (64 MiB of argon2 each) run at once; 0 means one per CPU. A sign-in that
    # cannot start one within the wait is answered 429 rather than queued without bound.
    password_hash_concurrency: int = Field(default=0, ge=0)
    password_hash_wait_s: float = Field(default=2.0, ge=0)
    # Where rate-limit counters live, so several servers share one budget: a redis:// URL. Empty:
    # the queue's Redis when the queue is on Redis, otherwise this process's memory.
    rate_limit_url: str = ""
    # Who may sign up: "open", "invite" (a code from invite_codes is required) or "closed".
    signup_mode: Literal["open", "invite", "closed"] = "open"
    # Comma-separated invite codes accepted when signup_mode is "invite".
    invite_codes: str = ""
    # Accounts one client address may create per hour.
    signups_per_address_per_hour: int = Field(default=5, ge=1)
    # Expensive requests per user per minute: stitching, storyboard drafts, reference images.
    stitch_rate_per_minute: int = Field(default=6, ge=1)
    storyboard_rate_per_minute: int = Field(default=10, ge=1)
    reference_rate_per_minute: int = Field(default=10, ge=1)
    # What one user's uploads may occupy in storage.
    upload_quota_mb: int = Field(default=2000, ge=1)
    # Largest JSON body any API route reads (uploads have max_upload_mb; webhooks read nothing).
    max_json_body_kb: int = Field(default=256, ge=1)
    # Bearer token a Prometheus scraper presents to /metrics; empty: /metrics is not served.
    metrics_token: str = ""
    # Mark the session cookie Secure and send HSTS even when the request arrived over plain HTTP
    # (a TLS proxy on another host that does not say so).
    force_https: bool = False
    # Failed and canceled generations untouched for this many days are deleted with their blobs (0: kept).
    retention_failed_days: int = Field(default=0, ge=0)
    # Uploads older than this many days that no generation uses are deleted (0: kept).
    retention_uploads_days: int = Field(default=0, ge=0)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        # Worker processes may run from other directories; pin the path now.
        return value.expanduser().resolve()

    @cached_property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'reelsmith.db'}"

    @cached_property
    def effective_queue_url(self) -> str:
        """The queue URL; SQLite in its own file so queue traffic never locks the app database."""
        return self.queue_url or f"sqlite:///{self.data_dir / 'queue.db'}"

    @cached_property
    def effective_storage_url(self) -> str:
        """Where blobs live: a local folder by default."""
        return self.storage_url or f"file://{self.data_dir / 'blobs'}"

    @cached_property
    def signing_key(self) -> str:
        """The secret for signatures: the setting, or a random key created once in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.ensure_data_dir() / "secret.key"
        if not path.exists():
            fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
            os.replace(path.with_suffix(".tmp"), path)
        return path.read_text().strip()

    @property
    def trusted_host_names(self) -> frozenset[str]:
        """The trusted host names (matched without the port), lower-cased."""
        return frozenset(h.strip().lower() for h in self.trusted_hosts.split(",") if h.strip())

    @property
    def scratch_dir(self) -> Path:
        """Where short-lived work files go (uploads in transit, ffmpeg's inputs and outputs); made on use."""
        path = self.data_dir / "tmp"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def local_jobs_dir(self) -> Path:
        """Work folder of the offline `local` provider's render jobs."""
        return self.data_dir / "local-jobs"

    def ensure_data_dir(self) -> Path:
        """Create the data dir on first use, readable by its owner alone (it holds the database,
        the secret key and every blob)."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.data_dir
