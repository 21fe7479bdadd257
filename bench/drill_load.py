"""The drill's users: they sign up, submit generations to either server and follow them over SSE.

Clients behave as a careful client would against a fleet whose members come and go: a request that
never reached a server (connection refused) goes to the other one; a submission whose answer was lost
is looked up by its prompt before it is sent again (so a lost answer never makes a second generation);
a 503 (the shared rate limits while Redis is away) is retried after its Retry-After. An SSE watcher
that loses its stream reconnects, to whichever server answers, with the last event id it saw.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

FINAL_EVENTS = ("done", "failed", "canceled")
PASSWORD = "drill password 16"


class Servers:
    """The API servers' base URLs, handed out round-robin; skips those that refuse connections."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> str:
        """The next server in turn."""
        with self._lock:
            return self.urls[next(self._turn) % len(self.urls)]

    def request(self, method: str, path: str, deadline_s: float = 90, **kwargs: Any) -> httpx.Response:
        """Send to the next server, trying the others while requests cannot reach one, or get a 5xx."""
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                reply = httpx.request(method, self.next() + path, timeout=20, **kwargs)
                if reply.status_code < 500 or time.monotonic() > deadline:
                    return reply
                wait = float(reply.headers.get("retry-after", "0.5") or 0.5)
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                wait = 0.2
            time.sleep(min(wait, 2.0))


@dataclass
class User:
    """A signed-up user and the headers that authenticate them."""

    name: str
    headers: dict[str, str]


def sign_up(servers: Servers, name: str) -> User:
    """Create an account and return its bearer headers."""
    reply = servers.request("POST", "/api/auth/signup", json={"username": name, "password": PASSWORD})
    reply.raise_for_status()
    return User(name, {"Authorization": f"Bearer {reply.json()['access_token']}"})


@dataclass
class Submission:
    """One generation as its user sent it."""

    user: User
    prompt: str
    sent_at: float  # time.monotonic() when first sent
    generation_id: str = ""
    resends: int = 0


def submit(servers: Servers, user: User, prompt: str, scenes: int) -> Submission:
    """Create a generation; an answer lost on the way is looked up by the prompt before sending again."""
    sub = Submission(user, prompt, time.monotonic())
    body = {"mode": "story", "prompt": prompt, "scenes": scenes, "aspect_ratio": "16:9"}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            reply = servers.request("POST", "/api/generations", json=body, headers=user.headers)
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout, httpx.WriteError):
            reply = None  # the server may have made it before it went away
        if reply is not None and reply.status_code == 202:
            sub.generation_id = reply.json()["id"]
            return sub
        if reply is not None and reply.status_code < 500 and reply.status_code != 429:
            raise RuntimeError(f"submission refused: {reply.status_code} {reply.text[:300]}")
        found = find_by_prompt(servers, user, prompt)
        if found:
            sub.generation_id = found
            return sub
        sub.resends += 1
        time.sleep(0.5)
    raise RuntimeError(f"could not submit {prompt!r}")


def find_by_prompt(servers: Servers, user: User, prompt: str) -> str:
    """The id of the user's generation with this prompt, or '' (prompts carry a fixed-width unique tag,
    so a search for one whole prompt finds that generation alone)."""
    reply = servers.request("GET", "/api/generations", params={"q": prompt, "limit": 5}, headers=user.headers)
    items = reply.json()["items"] if reply.status_code == 200 else []
    return str(items[0]["id"]) if len(items) == 1 else ""


@dataclass
class Watch:
    """What one SSE watcher saw of its generation."""

    generation_id: str
    event_ids: list[int] = field(default_factory=list)
    final: str = ""  # the final event's kind, once seen
    connections: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def in_order(self) -> bool:
        """Whether every event arrived once, in id order, across reconnections."""
        return all(a < b for a, b in itertools.pairwise(self.event_ids))


def _sse_messages(lines: Iterator[str]) -> Iterator[tuple[int, str]]:
    """(id, event kind) of each SSE message in a stream of lines (comments and retry hints skipped)."""
    event_id, kind = 0, ""
    for line in lines:
        if line == "":
            if kind:
                yield event_id, kind
            event_id, kind = 0, ""
        elif line.startswith("id: "):
            event_id = int(line[4:])
        elif line.startswith("event: "):
            kind = line[7:]


def watch(servers: Servers, user: User, generation_id: str, stop: threading.Event, first: int = 0) -> Watch:
    """Follow the generation's events until its final event (or `stop`), reconnecting as a browser does.

    The first connection goes to server `first`; a reconnection to whichever server is next in turn.
    """
    seen = Watch(generation_id)
    last = 0
    while not stop.is_set():
        seen.connections += 1
        headers = {**user.headers, "Last-Event-ID": str(last)}
        server = servers.urls[first % len(servers.urls)] if seen.connections == 1 else servers.next()
        try:
            url = f"{server}/api/generations/{generation_id}/events"
            with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(30, read=40)) as reply:
                if reply.status_code != 200:
                    seen.errors.append(f"HTTP {reply.status_code}")
                    time.sleep(0.5)
                    continue
                for event_id, kind in _sse_messages(reply.iter_lines()):
                    seen.event_ids.append(event_id)
                    last = event_id
                    if kind in FINAL_EVENTS:
                        seen.final = kind
                if seen.final:
                    return seen  # the server closed the stream after the final event
        except httpx.HTTPError as e:
            seen.errors.append(type(e).__name__)
        time.sleep(0.3)  # the stream broke (a server went away): reconnect as EventSource would
    return seen


class Watchers:
    """One thread per watched generation."""

    def __init__(self, servers: Servers) -> None:
        self.servers = servers
        self.stop = threading.Event()
        self.results: list[Watch] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def follow(self, user: User, generation_id: str) -> None:
        """Start following a generation (watchers start on the servers in turn)."""
        first = len(self._threads)

        def run() -> None:
            result = watch(self.servers, user, generation_id, self.stop, first)
            with self._lock:
                self.results.append(result)

        thread = threading.Thread(target=run, daemon=True, name=f"watch-{generation_id[:8]}")
        thread.start()
        self._threads.append(thread)

    def join(self, timeout_s: float) -> list[Watch]:
        """Wait for the watchers (then stop the rest) and return what they saw."""
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.stop.set()
        for thread in self._threads:
            thread.join(45)
        return self.results


def spread(items: list[Any], action: Callable[[Any], Any], over_s: float) -> list[Any]:
    """Run `action` on each item from a few threads, the starts spread evenly over `over_s` seconds."""
    results: list[Any] = [None] * len(items)
    start = time.monotonic()
    gap = over_s / max(1, len(items))

    def run(index: int) -> None:
        time.sleep(max(0.0, start + index * gap - time.monotonic()))
        results[index] = action(items[index])

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(items))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def probe_shared_login_limit(servers: Servers, username: str, attempts: int) -> dict[str, int]:
    """Wrong passwords for one account sent to the servers in turn: how many each answer got."""
    counts: dict[str, int] = {}
    for _ in range(attempts):
        reply = servers.request(
            "POST", "/api/auth/login", json={"username": username, "password": "not the password"}
        )
        counts[str(reply.status_code)] = counts.get(str(reply.status_code), 0) + 1
    return counts


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text as {'name{labels}': value} (labels as sent)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def dump(obj: Any) -> str:
    """Compact JSON for the log."""
    return json.dumps(obj, separators=(",", ":"), default=str)
