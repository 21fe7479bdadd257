"""A tiny threaded HTTP server on 127.0.0.1 that provider fakes build on.

A fake registers routes (method + path regex → handler). Tests inject faults per route — a 429
with Retry-After, a 500, a slow reply that trips the client's timeout, malformed JSON — which are
served *instead of* the real handler on that route's next calls. Every request is recorded.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.support import serve_in_thread


@dataclass
class Recorded:
    """One request as the fake saw it (header names lower-cased)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, bytes]:
        """The body parsed as multipart/form-data: field name → raw bytes."""
        raw = f"Content-Type: {self.headers.get('content-type', '')}\r\n\r\n".encode() + self.body
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        out: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                out[name] = payload
        return out


@dataclass
class Reply:
    """What the fake sends: bytes as-is, anything else as JSON. `passthrough` = delay, then real reply."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    passthrough: bool = False
    # With passthrough: after the real handler has run (the job exists), hang up without a reply,
    # or hold the reply this long (past the client's timeout).
    drop: bool = False
    hold_s: float = 0.0


Handler = Callable[[Recorded, "re.Match[str]"], Reply]


def _by_path(request: Recorded) -> str:
    return request.path


@dataclass
class FaultPlan:
    """Faults served at random on a route, reproducibly: the n-th call with the same identity gets the
    same draw in every run, whatever order concurrent clients arrive in.

    `identity` names a request stably across runs (default: its path, e.g. the job being polled; a
    create is better named by something in its body, such as the prompt).
    """

    rate: float
    faults: tuple[Reply, ...]
    seed: int = 0
    identity: Callable[[Recorded], str] = _by_path
    seen: Counter[str] = field(default_factory=Counter)
    served: int = 0

    def draw(self, route: str, request: Recorded) -> Reply | None:
        """The fault for this call, or None to answer normally (call with the server's lock held)."""
        who = self.identity(request)
        self.seen[who] += 1
        rng = random.Random(f"{self.seed}:{route}:{who}:{self.seen[who]}")
        if rng.random() >= self.rate:
            return None
        self.served += 1
        return rng.choice(self.faults)


def status_fault(status: int, body: Any = None, **headers: str) -> Reply:
    """A fault: reply with `status` (and e.g. `Retry_After="1"` → header `Retry-After: 1`)."""
    return Reply(status, body or {"error": {"message": f"injected {status}"}}, _headers(headers))


def slow_fault(seconds: float) -> Reply:
    """A fault: hold the reply for `seconds` (past the client's timeout), then answer normally."""
    return Reply(delay_s=seconds, passthrough=True)


def created_then_dropped() -> Reply:
    """A fault: do the work (a create makes its job), then close the connection without a reply."""
    return Reply(passthrough=True, drop=True)


def created_then_slow(seconds: float) -> Reply:
    """A fault: do the work, then hold the reply for `seconds` (past the client's timeout)."""
    return Reply(passthrough=True, hold_s=seconds)


def malformed_fault() -> Reply:
    """A fault: a 200 whose body is not valid JSON."""
    return Reply(200, b'{"id": "truncated', {"Content-Type": "application/json"})


def _headers(kwargs: dict[str, str]) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in kwargs.items()}


@dataclass
class FakeJob:
    """A remote job that stays unfinished for `polls_needed - 1` polls, then finishes (or fails)."""

    id: str
    body: Any
    polls_needed: int
    fail_reason: str | None = None
    polls: int = 0

    def step(self) -> str:
        """Advance one poll: "queued" the first time, "running" until finished, then "done"."""
        self.polls += 1
        if self.polls >= self.polls_needed:
            return "done"
        return "queued" if self.polls == 1 else "running"

    @property
    def progress(self) -> float:
        """How far along the job is, 0..1."""
        return min(1.0, self.polls / max(1, self.polls_needed))


class FakeServer:
    """Routes, faults, recorded requests and a job book shared by every provider fake."""

    policy_word = "forbidden"  # a prompt containing it is refused by the fake's content policy
    # Whether a repeated Idempotency-Key returns the job it made; providers that ignore the header
    # make a new (paid) job for every create, and their fakes must too.
    honours_idempotency_key = True

    def __init__(self, *, polls_needed: int = 3) -> None:
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self.faults: dict[str, deque[Reply]] = {}
        self.plans: dict[str, FaultPlan] = {}
        self.requests: list[tuple[str, Recorded]] = []
        self.jobs: dict[str, FakeJob] = {}
        self.creates = 0  # job-creating requests received, including idempotent repeats
        self.polls_needed = polls_needed
        self._by_key: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._serving = contextlib.ExitStack()

    # -- life cycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._serving.enter_context(serve_in_thread(self._server))
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.close()

    # -- configuration ---------------------------------------------------------------------------

    def route(self, method: str, pattern: str, name: str, handler: Handler) -> None:
        """Serve `method` requests whose path fully matches `pattern` with `handler`."""
        self.routes.append((method, re.compile(pattern), name, handler))

    def inject(self, name: str, *faults: Reply) -> None:
        """Serve these replies instead of route `name`'s real ones, one per call, in order."""
        self.faults.setdefault(name, deque()).extend(faults)

    def inject_randomly(self, name: str, plan: FaultPlan) -> None:
        """Serve faults on route `name` by `plan` (after any queued `inject` faults are used up)."""
        self.plans[name] = plan

    def fail_always(self, name: str, reply: Reply) -> None:
        """Answer every call of route `name` with `reply` (a provider that refuses everything)."""
        self.plans[name] = FaultPlan(1.0, (reply,))

    def calls(self, name: str) -> list[Recorded]:
        """The requests route `name` received."""
        return [r for n, r in self.requests if n == name]

    def check_auth(self, request: Recorded) -> Reply | None:
        """A 401 reply when the request lacks the right credentials; None when it may pass."""
        return None

    # -- jobs ------------------------------------------------------------------------------------

    def create_job(
        self, request: Recorded, body: Any, *, prefix: str, fail_reason: str | None = None
    ) -> FakeJob:
        """Create a job, or return the existing one for a repeated Idempotency-Key."""
        with self._lock:
            self.creates += 1
            key = request.headers.get("idempotency-key", "") if self.honours_idempotency_key else ""
            if key and key in self._by_key:
                return self.jobs[self._by_key[key]]
            job = FakeJob(f"{prefix}{next(self._ids)}", body, self.polls_needed, fail_reason)
            self.jobs[job.id] = job
            if key:
                self._by_key[key] = job.id
            return job

    def refuses(self, text: object) -> bool:
        """True when the content policy of this fake rejects `text`."""
        return self.policy_word in json.dumps(text)

    # -- serving ---------------------------------------------------------------------------------

    def _dispatch(self, request: Recorded) -> Reply:
        for method, pattern, name, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if method != request.method or match is None:
                continue
            with self._lock:
                self.requests.append((name, request))
                queued = self.faults.get(name)
                fault = queued.popleft() if queued else None
                plan = self.plans.get(name)
                if fault is None and plan is not None:
                    fault = plan.draw(name, request)
            if fault is not None:
                if fault.delay_s:
                    time.sleep(fault.delay_s)
                if not fault.passthrough:
                    return fault
            reply = self.check_auth(request) or handler(request, match)
            if fault is not None and (fault.drop or fault.hold_s):
                time.sleep(fault.hold_s)
                reply = Reply(reply.status, reply.body, reply.headers, drop=fault.drop)
            return reply
        return Reply(404, {"error": {"message": f"no route for {request.method} {request.path}"}})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                reply = fake._dispatch(request)
                if reply.drop:
                    self.close_connection = True
                    return  # hang up: the client sees the connection end without a reply
                body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json", **reply.headers}
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to tell it

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return _Handler


class CdnServer(FakeServer):
    """A separate origin serving generated files, as provider CDNs do; it records who asked."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[bytes, str]] = {}
        self.route("GET", r"/files/(?P<name>[^/]+)", "file", self._file)

    def publish(self, name: str, data: bytes, content_type: str) -> str:
        """Serve `data` at a new URL and return it."""
        self.files[name] = (data, content_type)
        return f"{self.url}/files/{name}"

    def _file(self, request: Recorded, match: re.Match[str]) -> Reply:
        found = self.files.get(match["name"])
        if found is None:
            return Reply(404, {"error": "no such file"})
        return Reply(200, found[0], {"Content-Type": found[1]})
