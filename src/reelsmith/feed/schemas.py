"""Request and response shapes of the publishing, feed, like and share API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from reelsmith.vocabulary import BatchAction

MAX_CAPTION = 2200
MIN_SHARE_S = 60
MAX_SHARE_S = 90 * 24 * 3600
DEFAULT_SHARE_S = 7 * 24 * 3600


class PublishRequest(BaseModel):
    """An optional caption to publish with, and an optional time to publish at."""

    model_config = ConfigDict(extra="forbid")

    caption: str | None = Field(default=None, max_length=MAX_CAPTION)
    at: datetime | None = Field(
        default=None,
        description="When to publish (ISO-8601, UTC): later than now schedules it; left out, now.",
    )


class PublishState(BaseModel):
    """A generation's visibility after publishing or unpublishing."""

    id: str
    visibility: str
    caption: str | None
    published_at: datetime | None
    like_count: int


class LikeState(BaseModel):
    """Whether I like it, and how many do."""

    id: str
    liked_by_me: bool
    like_count: int


class Creator(BaseModel):
    """Who made a published generation."""

    username: str
    url: str


class FeedItem(BaseModel):
    """A published generation as the feed and profiles show it."""

    id: str
    mode: str
    title: str
    prompt: str
    caption: str | None
    aspect_ratio: str | None
    creator: Creator
    like_count: int
    liked_by_me: bool
    published_at: datetime | None
    duration_s: float | None
    video_url: str | None
    thumbnail_url: str | None
    image_url: str | None


class FeedPage(BaseModel):
    """One page of the feed."""

    items: list[FeedItem]
    next_cursor: str | None


class ShareCreate(BaseModel):
    """How long the link should live."""

    model_config = ConfigDict(extra="forbid")

    expires_in: int = Field(default=DEFAULT_SHARE_S, ge=MIN_SHARE_S, le=MAX_SHARE_S, description="Seconds.")


class ShareRead(BaseModel):
    """A share link (the URL is rebuilt from the stored id and expiry)."""

    id: str
    generation_id: str
    url: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


MAX_BATCH_IDS = 100


class BatchRequest(BaseModel):
    """One action for several generations; `caption` and `at` apply to `publish`."""

    model_config = ConfigDict(extra="forbid")

    action: BatchAction
    ids: list[str] = Field(min_length=1, max_length=MAX_BATCH_IDS)
    caption: str | None = Field(default=None, max_length=MAX_CAPTION)
    at: datetime | None = Field(default=None, description="Publish: when (ISO-8601, UTC); left out, now.")


class BatchItem(BaseModel):
    """What became of one id: `status` is the HTTP status a single request would have had."""

    id: str
    ok: bool
    status: int
    detail: str | None = Field(default=None, description="Why it failed (`not found`, not finished, …).")
    visibility: str | None = Field(default=None, description="Publish and unpublish: where it stands now.")


class BatchResult(BaseModel):
    """A result per id, in the order asked, and how many succeeded."""

    results: list[BatchItem]
    succeeded: int
    failed: int
