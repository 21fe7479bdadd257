"""The one error family of Reelsmith: every domain error carries a code and an HTTP status.

Whatever an error adds to its answer — fields in the JSON body, response headers, a page to send a
browser to — it carries itself (`extra`, `headers`, `page_redirect`), so the one handler that renders
errors never needs to know the classes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


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

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the JSON answer carries besides `detail` and `code`."""
        return {}

    @property
    def headers(self) -> dict[str, str]:
        """Response headers the answer carries."""
        return {}

    @property
    def page_redirect(self) -> str | None:
        """Where a browser page request is sent instead of being shown an error page."""
        return None


class InvalidInput(ReelsmithError):
    """The caller sent something unusable; the message names the field."""

    code = "invalid_input"
    http_status = 422

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class Unauthorized(ReelsmithError):
    """Missing or wrong credentials."""

    code = "unauthorized"
    http_status = 401


class LoginRequired(Unauthorized):
    """A page needs a signed-in user; pages answer it with a redirect to the sign-in page."""

    code = "login_required"

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in to see this page")
        self.next_path = next_path

    @property
    def login_url(self) -> str:
        """The sign-in page, coming back to `next_path` afterwards."""
        return f"/login?next={quote(self.next_path, safe='/')}"

    @property
    def page_redirect(self) -> str | None:
        """Pages send the browser to sign in."""
        return self.login_url


class InsufficientTokens(ReelsmithError):
    """The user cannot afford the request."""

    code = "insufficient_tokens"
    http_status = 402

    def __init__(self, balance: int, price: int) -> None:
        super().__init__(f"not enough tokens: this costs {price}, the balance is {balance}")
        self.balance = balance
        self.price = price

    @property
    def extra(self) -> dict[str, Any]:
        """The balance and the price, so a client can say how many tokens are missing."""
        return {"balance": self.balance, "price": self.price}


class CsrfFailed(ReelsmithError):
    """A cookie-authenticated unsafe request without the session's CSRF token."""

    code = "csrf_failed"
    http_status = 403


class Forbidden(ReelsmithError):
    """The caller is known but may not do this (e.g. sign up while sign-up is closed)."""

    code = "forbidden"
    http_status = 403


class NotFound(ReelsmithError):
    """The object does not exist (or is not the caller's to see)."""

    code = "not_found"
    http_status = 404


class Conflict(ReelsmithError):
    """The thing already exists."""

    code = "conflict"
    http_status = 409


class WrongState(ReelsmithError):
    """The generation is not in a state that allows this."""

    code = "wrong_state"
    http_status = 409


class ShareGone(ReelsmithError):
    """The share link was real but has expired or was revoked."""

    code = "share_gone"
    http_status = 410


class TooLarge(ReelsmithError):
    """The upload is bigger than the limit."""

    code = "too_large"
    http_status = 413


class UnsupportedMedia(ReelsmithError):
    """The upload is not a kind of file Reelsmith accepts."""

    code = "unsupported_media"
    http_status = 415


class RateLimited(ReelsmithError):
    """Too many requests; `retry_after_s` says when to try again."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, what: str, retry_after_s: int) -> None:
        super().__init__(f"too many {what}; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        """Retry-After, in whole seconds."""
        return {"Retry-After": str(self.retry_after_s)}


class ServiceUnavailable(ReelsmithError):
    """A service the request depends on cannot be reached; the request is refused, not let through."""

    code = "service_unavailable"
    http_status = 503

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        """Retry-After, in whole seconds."""
        return {"Retry-After": str(self.retry_after_s)}


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
