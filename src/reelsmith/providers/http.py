"""The HTTP layer every remote adapter shares: one injected `httpx.Client`, retries, error mapping.

Rules (PROVIDERS.md, "Common rules"): a timeout on every call; retries with exponential backoff and
jitter on 408/409/429/5xx and on connection errors and timeouts, honouring `retry-after-ms`, then
`Retry-After`; any other 4xx is permanent; a reply that should be JSON and is not is transient.
Credentials go only to the provider's own origin: downloads of CDN URLs and cross-origin redirects
are sent without the auth headers the client carries.

A request that creates a paid job (`creates=True`) is different: no provider honours an
`Idempotency-Key`, so once the request may have reached the provider (a timeout or a dropped
connection after sending, a 5xx, a 2xx whose body cannot be read) sending it again may start and
bill a second job. Such a failure is raised as `UncertainSubmit` and never retried here; only
failures that prove nothing was created (the connection was never made, 408, 409, 429) are.

Downloads are capped in size and refused for private, loopback and link-local addresses unless
the provider's configured base URL is itself one (a self-hosted server, a test fake): a job's
output URL comes from the provider's reply and must not make us fetch from our own network.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from reelsmith.errors import ProviderError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 409, 429})
AUTH_HEADERS = ("authorization", "x-goog-api-key", "xi-api-key")
_MAX_REDIRECTS = 5
# Clips are tens of megabytes; a reply far beyond that is a mistake or an attack on the disk.
MAX_DOWNLOAD_BYTES = 1 << 30
# Transport failures that prove the request never reached the server.
_NEVER_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
    httpx.ProxyError,
)  # fmt: skip
# Words providers use when they refuse content; such a refusal is permanent and its text is shown.
_POLICY_WORDS = (
    "policy", "moderation", "safety", "nsfw", "sensitive", "prohibited", "blocked", "harm", "flagged",
)  # fmt: skip


def looks_like_policy(*texts: object) -> bool:
    """True when an error code or message reads like a content-policy refusal."""
    blob = " ".join(str(t) for t in texts if t).lower()
    return any(word in blob for word in _POLICY_WORDS)


class UncertainSubmit(ProviderError):
    """A create whose outcome is unknown: the provider may have started (and will bill) a job."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False)


def make_client(base_url: str, headers: Mapping[str, str], timeout_s: float) -> httpx.Client:
    """An httpx client bound to a provider's base URL, auth headers and per-call timeout."""
    return httpx.Client(
        base_url=base_url.rstrip("/") + "/",
        headers=dict(headers),
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
        follow_redirects=False,
    )


def retry_after_s(response: httpx.Response) -> float | None:
    """The server's requested wait: `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date."""
    ms = response.headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_text(response: httpx.Response) -> str:
    """The provider's own error message from a JSON error body (every provider nests it differently)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason_phrase
    parts: list[str] = []
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            parts += [str(err.get(k)) for k in ("message", "code", "status", "type") if err.get(k)]
        elif err:
            parts.append(str(err))
        detail = body.get("detail")
        if isinstance(detail, list):  # fal / FastAPI validation errors
            parts += [_detail_text(d) for d in detail]
        elif detail:
            parts.append(str(detail))
        if body.get("message") and not parts:
            parts.append(str(body["message"]))
    return "; ".join(parts) or response.text[:300].strip() or response.reason_phrase


def _detail_text(item: object) -> str:
    if not isinstance(item, dict):
        return str(item)
    kind = item.get("type")
    return f"{item.get('msg', item)} ({kind})" if kind else str(item.get("msg", item))


def same_origin(url: httpx.URL, base: httpx.URL) -> bool:
    """True when `url` is on the same scheme, host and port as `base`."""
    return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)


@dataclass
class ProviderHttp:
    """One provider's connection: the client, its retry budget and the (injectable) backoff sleep."""

    provider: str
    client: httpx.Client
    retries: int = 4
    sleep: Callable[[float], None] = time.sleep
    base_delay_s: float = 0.5
    # A server asking for a longer wait than this is not waited on in a worker thread: the error
    # carries `retry_after_s` so the queue re-schedules the task instead.
    max_delay_s: float = 30.0
    missing: str | None = None  # the unset setting that makes this provider unusable
    rng: random.Random = field(default_factory=random.Random)
    max_download_bytes: int = MAX_DOWNLOAD_BYTES

    def fail(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> ProviderError:
        """A ProviderError whose message names the provider."""
        return ProviderError(f"{self.provider}: {message}", permanent=permanent, retry_after_s=retry_after)

    def uncertain(self, message: str) -> UncertainSubmit:
        """An UncertainSubmit whose message names the provider and says the outcome is unknown."""
        return UncertainSubmit(f"{self.provider}: submission uncertain: {message}")

    def check_configured(self) -> None:
        """Raise a permanent error when the provider's key or URL is not set."""
        if self.missing:
            raise self.fail(f"{self.missing} is not set", permanent=True)

    def backoff_s(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random."""
        ceiling = float(min(self.max_delay_s, self.base_delay_s * 2.0**attempt))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = False,
        creates: bool = False,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response (body read) or raise a classified ProviderError.

        `creates` marks a request that starts a paid job: see the module docstring.
        """
        return request_with_retries(
            self, method, url, json_body=json_body, data=data, files=files, params=params,
            headers=headers, follow_redirects=follow_redirects, creates=creates,
        )  # fmt: skip

    def json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """`request` and parse the reply as a JSON object; malformed JSON is a transient error
        (and, for a create, an uncertain one: the 2xx says the job exists)."""
        response = self.request(method, url, **kwargs)
        try:
            return parse_json(self, response)
        except ProviderError as e:
            if kwargs.get("creates"):
                raise self.uncertain(e.message.removeprefix(f"{self.provider}: ")) from e
            raise

    def download(
        self, url: str, dest: Path, *, params: Mapping[str, str] | None = None, follow_redirects: bool = True
    ) -> None:
        """Stream `url` to `dest` atomically (temp file + rename), with the same retry rules."""
        request_with_retries(
            self, "GET", url, params=params, follow_redirects=follow_redirects, stream_to=Path(dest)
        )


def parse_json(http: ProviderHttp, response: httpx.Response) -> dict[str, Any]:
    """The response body as a JSON object, or a transient error (a garbled reply may be a one-off)."""
    try:
        body = response.json()
    except ValueError as e:
        raise http.fail(f"malformed JSON from {response.request.url.path}: {response.text[:120]!r}") from e
    if not isinstance(body, dict):
        raise http.fail(f"expected a JSON object from {response.request.url.path}, got {type(body).__name__}")
    return body


def write_atomic(dest: Path, data: bytes) -> None:
    """Write bytes to `dest` through a temp file and one rename, so readers never see half a file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def is_private_host(host: str, *, unresolved: bool = True) -> bool:
    """Whether `host` (a name or an address) is, or resolves to, a private, loopback, link-local or
    otherwise non-public address; a name that does not resolve counts as `unresolved` says."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return unresolved
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        return unresolved
    return any(not a.is_global or a.is_multicast for a in addresses)


def _check_download_host(http: ProviderHttp, url: httpx.URL) -> None:
    """Refuse a download from a non-public address, unless the provider itself lives on one."""
    base_host = http.client.base_url.host
    if url.host == base_host or is_private_host(base_host, unresolved=False):
        return
    if is_private_host(url.host):
        raise http.fail(
            f"refusing to download from a private or loopback address: {url.host}", permanent=True
        )


def _send(
    http: ProviderHttp, request: httpx.Request, follow_redirects: bool, *, download: bool = False
) -> httpx.Response:
    """Send one request (body not yet read), following redirects by hand so that credentials never
    leave the provider's origin (httpx itself strips only `Authorization`); a download checks the
    address of every hop."""
    base = http.client.base_url
    for _ in range(_MAX_REDIRECTS + 1):
        if download:
            _check_download_host(http, request.url)
        if not same_origin(request.url, base):
            for name in AUTH_HEADERS:
                if name in request.headers:
                    del request.headers[name]
        response = http.client.send(request, follow_redirects=False, stream=True)
        if not (follow_redirects and response.is_redirect and response.next_request is not None):
            return response
        response.close()
        request = response.next_request
    raise http.fail(f"too many redirects from {request.url}")


def _stream_to(http: ProviderHttp, response: httpx.Response, dest: Path) -> None:
    """Stream the body to `dest` through a temp file, within the size cap; an interrupted or
    oversized transfer leaves nothing behind."""
    cap = http.max_download_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        size = int(declared)
        raise http.fail(
            f"the file at {response.request.url} is {size} bytes, over the {cap}-byte cap", permanent=True
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
    try:
        size = 0
        with open(tmp, "wb") as f:
            for chunk in response.iter_bytes(1 << 16):
                size += len(chunk)
                if size > cap:
                    raise http.fail(
                        f"the file at {response.request.url} is over the {cap}-byte cap", permanent=True
                    )
                f.write(chunk)
        if size == 0:
            raise httpx.ReadError("empty body", request=response.request)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _transport_problem(http: ProviderHttp, what: str, error: Exception, *, creates: bool) -> str:
    """How a transport failure reads; raises UncertainSubmit when a create may have been received."""
    problem = f"{what}: {type(error).__name__}: {error}".rstrip(": ")
    if creates and not isinstance(error, _NEVER_SENT):
        raise http.uncertain(f"{problem} after the request was sent") from error
    return problem


def request_with_retries(
    http: ProviderHttp,
    method: str,
    url: str,
    *,
    json_body: Any = None,
    data: Mapping[str, Any] | None = None,
    files: Mapping[str, Any] | None = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    follow_redirects: bool = False,
    stream_to: Path | None = None,
    creates: bool = False,
) -> httpx.Response:
    """Send a request within the retry budget and classify the outcome (see the module docstring).

    With `stream_to`, a 2xx body is streamed into that file (atomically) instead of into memory.
    With `creates`, a failure after which the job may exist raises UncertainSubmit at once.
    """
    http.check_configured()
    what = f"{method} {httpx.URL(url).path or url}"
    attempt = 0
    while True:
        request = http.client.build_request(
            method, url, json=json_body, data=data, files=files, params=params, headers=headers
        )
        wait: float | None = None
        try:
            response = _send(http, request, follow_redirects, download=stream_to is not None)
            try:
                if response.status_code < 300 and stream_to is not None:
                    _stream_to(http, response, stream_to)
                else:
                    response.read()
            finally:
                response.close()
        except (httpx.TimeoutException, httpx.TransportError) as e:
            problem = _transport_problem(http, what, e, creates=creates)
            if attempt >= http.retries:
                raise http.fail(f"{problem} (gave up after {attempt + 1} attempts)") from e
        else:
            status = response.status_code
            if status < 300:
                return response
            if status < 400:
                raise http.fail(f"{what}: unexpected redirect {status}", permanent=True)
            text = error_text(response)
            if status not in RETRY_STATUSES and status < 500:
                prefix = "rejected by content policy: " if looks_like_policy(text) else ""
                raise http.fail(f"{prefix}{what} → HTTP {status}: {text}", permanent=True)
            wait = retry_after_s(response)
            problem = f"{what} → HTTP {status}: {text}"
            if creates and status >= 500:
                # The server may have made the job before it failed to answer.
                raise http.uncertain(problem)
            if attempt >= http.retries:
                raise http.fail(f"{problem} (gave up after {attempt + 1} attempts)", retry_after=wait)
            if wait is not None and wait > http.max_delay_s:
                raise http.fail(f"{problem} (asked to wait {wait:.0f} s)", retry_after=wait)
        delay = wait if wait is not None else http.backoff_s(attempt)
        log.info("%s: %s; retry %d/%d in %.2f s", http.provider, problem, attempt + 1, http.retries, delay)
        http.sleep(delay)
        attempt += 1
