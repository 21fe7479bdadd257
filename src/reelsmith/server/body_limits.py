"""Request bodies capped per route before the app reads them.

A declared Content-Length over the cap is answered 413 at once, without reading a byte of the body; a
body sent without one (chunked) is counted as the app reads it and answered 413 as soon as it passes
the cap, and reading stops there. Uploads may be as large as the upload limit (plus the multipart
framing around the file); provider webhooks are never read, so they may carry any body the route
ignores but none it reads; every other route reads at most the JSON limit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelsmith.config import Settings

UPLOAD_PATH = "/api/uploads"
WEBHOOK_PREFIX = "/api/webhooks/"
# Multipart boundaries, part headers and a short form field or two around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class BodyCap:
    """How much of a request's body the app may read, and what to call that limit in the 413."""

    max_bytes: int
    # The 413's detail: the field at fault, then the limit.
    detail: str
    # An unread body costs nothing, so its declared length is no reason to refuse it.
    refuse_declared: bool = True


class BodyTooLarge(Exception):
    """Raised to the app when it reads past the cap (the 413 has already been sent)."""


def body_cap(settings: Settings, method: str, path: str) -> BodyCap:
    """The cap of one request, by route."""
    if path.startswith(WEBHOOK_PREFIX):
        return BodyCap(0, "request body: webhook bodies are not read", refuse_declared=False)
    if method == "POST" and path.rstrip("/") == UPLOAD_PATH:
        limit = settings.max_upload_mb * 1024 * 1024 + MULTIPART_OVERHEAD
        return BodyCap(limit, f"file: larger than the {settings.max_upload_mb} MB upload limit")
    return BodyCap(
        settings.max_json_body_kb * 1024,
        f"request body: larger than the {settings.max_json_body_kb} KB limit",
    )


def declared_length(scope: Scope) -> int | None:
    """The Content-Length the client declared, if it declared a valid one."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def too_large_messages(cap: BodyCap) -> tuple[Message, Message]:
    """The 413 answer, in the JSON shape of every other API error; it names the limit."""
    body = json.dumps({"detail": cap.detail, "code": "too_large"}).encode()
    start: Message = {
        "type": "http.response.start",
        "status": 413,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            # The rest of the body is never read, so the connection cannot carry another request.
            (b"connection", b"close"),
        ],
    }
    return start, {"type": "http.response.body", "body": body, "more_body": False}


class BodyLimits:
    """ASGI middleware enforcing `body_cap` on every HTTP request."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = body_cap(self.settings, scope["method"], scope["path"])
        declared = declared_length(scope)
        if cap.refuse_declared and declared is not None and declared > cap.max_bytes:
            for message in too_large_messages(cap):
                await send(message)
            return
        await _CappedRequest(self.app, cap).run(scope, receive, send)


class _CappedRequest:
    """One request under a cap: counts what the app reads, and answers 413 in its stead once over."""

    def __init__(self, app: ASGIApp, cap: BodyCap) -> None:
        self.app = app
        self.cap = cap
        self.read = 0
        self.started = False
        self.exceeded = False  # the app read past the cap; every later read raises
        self.refused = False  # the 413 went out in the app's stead

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with the counting `receive` and a `send` that goes quiet after a 413."""

        async def counted_receive() -> Message:
            if self.exceeded:
                raise BodyTooLarge(self.cap.detail)
            message = await receive()
            if message["type"] == "http.request":
                self.read += len(message.get("body", b""))
                if self.read > self.cap.max_bytes:
                    self.exceeded = True
                    await self._refuse(send)
                    raise BodyTooLarge(self.cap.detail)
            return message

        async def guarded_send(message: Message) -> None:
            if self.refused:
                return  # the 413 went out already; whatever the app answers after it is dropped
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            if not self.exceeded:
                raise

    async def _refuse(self, send: Send) -> None:
        if self.started:
            return  # too late for a status; stopping the read is all that is left
        self.refused = True
        for message in too_large_messages(self.cap):
            await send(message)
