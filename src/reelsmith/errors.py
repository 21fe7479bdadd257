"""The one error family of Reelsmith: every domain error carries a code and an HTTP status."""

from __future__ import annotations


class ReelsmithError(Exception):
    """Base error: a message for humans, a stable code for machines, the HTTP status it maps to."""

    code = "error"
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status


class InvalidInput(ReelsmithError):
    """The caller sent something unusable; the message names the field."""

    code = "invalid_input"
    http_status = 422

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class NotFound(ReelsmithError):
    """The object does not exist (or is not the caller's to see)."""

    code = "not_found"
    http_status = 404


class MediaError(ReelsmithError):
    """ffmpeg or libav failed; the message keeps the tail of its stderr."""

    code = "media_error"
    http_status = 500


class ProviderError(ReelsmithError):
    """A model provider failed. `permanent` failures are not retried on the same provider."""

    code = "provider_error"
    http_status = 502

    def __init__(self, message: str, *, permanent: bool = False, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after_s = retry_after_s
