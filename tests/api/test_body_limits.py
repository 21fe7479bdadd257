"""A server exposed to the internet: bodies are capped before they are read, uploads are read only
after the caller is known, and HTTPS (direct or through a proxy) brings a Secure cookie and HSTS.

The body tests talk to a real uvicorn over a raw socket: they send the headers and a small part of a
large body, and expect the answer while the rest is still unsent. A wrapper outside the app counts
the body bytes uvicorn handed in, i.e. what the server read.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelsmith.config import Settings
from reelsmith.server.app import create_app
from tests.support import serve_in_thread

MB = 1024 * 1024
UPLOAD_LIMIT_MB = 40
BOUNDARY = "reelsmith-test-boundary"
PART_SENT = 64 * 1024  # what the client sends of a large body before it expects the answer
ANSWER_TIMEOUT_S = 5.0


class BodyCounter:
    """Outermost ASGI wrapper: how many body bytes the server took from the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.read = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@dataclass
class Served:
    """The running server, what it has read, and a signed-up user's bearer token."""

    host: str
    port: int
    counter: BodyCounter
    token: str


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    app = create_app(settings.model_copy(update={"max_upload_mb": UPLOAD_LIMIT_MB}))
    counter = BodyCounter(app)
    with serve_in_thread(counter) as url:
        signup = httpx.post(f"{url}/api/auth/signup", json={"username": "sender", "password": "sender pass"})
        assert signup.status_code == 201, signup.text
        host, port = url.removeprefix("http://").split(":")
        counter.read = 0
        yield Served(host, int(port), counter, signup.json()["access_token"])
    app.state.runtime.close()


@dataclass(frozen=True)
class Answer:
    """The status and body of a response, and what the client had sent by then."""

    status: int
    body: bytes
    sent: int


def _head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_answer(sock: socket.socket) -> tuple[int, bytes]:
    """Read one response (with a Content-Length) from the socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, body


def declared_body(served: Served, path: str, headers: dict[str, str], declared: int) -> Answer:
    """Declare a `declared`-byte body, send only its first bytes, and read the answer."""
    with socket.create_connection((served.host, served.port), timeout=ANSWER_TIMEOUT_S) as sock:
        sock.sendall(_head(path, {**headers, "Content-Length": str(declared)}) + b"\0" * PART_SENT)
        status, body = _read_answer(sock)
    return Answer(status, body, PART_SENT)


def chunked_body(served: Served, path: str, headers: dict[str, str], opening: bytes, total: int) -> Answer:
    """Stream up to `total` bytes with chunked encoding (no length declared), until the server answers."""
    with socket.create_connection((served.host, served.port), timeout=ANSWER_TIMEOUT_S) as sock:
        sock.sendall(_head(path, {**headers, "Transfer-Encoding": "chunked"}))
        sent = 0
        chunk = b"\0" * PART_SENT
        try:
            while sent < total and not select.select([sock], [], [], 0)[0]:
                data = opening if sent == 0 else chunk
                sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))
                sent += len(data)
        except OSError:
            pass  # the server answered and closed; the answer is still in the socket
        status, body = _read_answer(sock)
    return Answer(status, body, sent)


def multipart_opening(filename: str = "big.bin") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def test_unauthenticated_upload_is_401_before_its_body_is_read(served: Served) -> None:
    answer = declared_body(served, "/api/uploads", MULTIPART, 30 * MB)
    assert answer.status == 401
    assert served.counter.read == 0


def test_upload_declared_over_the_limit_is_413_without_reading(served: Served) -> None:
    auth = {"Authorization": f"Bearer {served.token}", **MULTIPART}
    answer = declared_body(served, "/api/uploads", auth, (UPLOAD_LIMIT_MB + 10) * MB)
    assert answer.status == 413
    assert f"{UPLOAD_LIMIT_MB} MB" in answer.body.decode()
    assert served.counter.read == 0


def test_chunked_upload_over_the_limit_is_413_and_reading_stops(served: Served) -> None:
    auth = {"Authorization": f"Bearer {served.token}", **MULTIPART}
    answer = chunked_body(served, "/api/uploads", auth, multipart_opening(), 3 * UPLOAD_LIMIT_MB * MB)
    assert answer.status == 413
    assert f"{UPLOAD_LIMIT_MB} MB" in answer.body.decode()
    assert served.counter.read < (UPLOAD_LIMIT_MB + 2) * MB
    assert answer.sent < 3 * UPLOAD_LIMIT_MB * MB


def test_login_body_declared_over_the_json_cap_is_413_without_reading(
    served: Served, settings: Settings
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = declared_body(served, "/api/auth/token", form, 30 * MB)
    assert answer.status == 413
    assert f"{settings.max_json_body_kb} KB" in answer.body.decode()
    assert served.counter.read == 0


def test_chunked_json_over_the_cap_is_413_while_streaming(served: Served, settings: Settings) -> None:
    cap = settings.max_json_body_kb * 1024
    json_type = {"Content-Type": "application/json"}
    answer = chunked_body(served, "/api/auth/signup", json_type, b'{"username": "', 30 * MB)
    assert answer.status == 413
    assert f"{settings.max_json_body_kb} KB" in answer.body.decode()
    # Past the cap by at most what uvicorn had buffered when the app read it; never the whole body.
    assert served.counter.read < 2 * cap
    assert answer.sent < 30 * MB


def test_webhook_body_is_never_read(served: Served) -> None:
    answer = declared_body(served, "/api/webhooks/replicate/no-such-token", {}, 30 * MB)
    assert answer.status == 404
    assert served.counter.read == 0


def test_small_bodies_still_pass(served: Served) -> None:
    base = f"http://{served.host}:{served.port}"
    response = httpx.post(f"{base}/api/auth/token", data={"username": "sender", "password": "sender pass"})
    assert response.status_code == 200


# HTTPS: the cookie is Secure and HSTS is sent when the request is HTTPS, or when a TLS proxy that does
# not say so is declared with force_https.


def _login(client: TestClient) -> httpx2.Response:
    client.post("/api/auth/signup", json={"username": "browser", "password": "browser pass"})
    response: httpx2.Response = client.post(
        "/api/auth/login", json={"username": "browser", "password": "browser pass"}
    )
    return response


@pytest.mark.parametrize(
    ("base_url", "force_https", "secure"),
    [
        ("http://testserver", False, False),
        ("https://testserver", False, True),
        ("http://testserver", True, True),
    ],
    ids=["http", "https", "http-behind-declared-proxy"],
)
def test_session_cookie_and_hsts_follow_https(
    settings: Settings, base_url: str, force_https: bool, secure: bool
) -> None:
    app = create_app(settings.model_copy(update={"force_https": force_https}))
    with TestClient(app, base_url=base_url) as client:
        response = _login(client)
    app.state.runtime.close()
    assert response.status_code == 200
    assert ("secure" in response.headers["set-cookie"].lower()) == secure
    hsts = response.headers.get("strict-transport-security")
    assert hsts == ("max-age=31536000; includeSubDomains" if secure else None)


def test_a_local_proxy_saying_https_makes_the_request_https(settings: Settings) -> None:
    app = create_app(settings)
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, headers={"X-Forwarded-Proto": "https"}) as client,
    ):
        client.post("/api/auth/signup", json={"username": "proxied", "password": "proxied pass"})
        response = client.post("/api/auth/login", json={"username": "proxied", "password": "proxied pass"})
    app.state.runtime.close()
    assert response.status_code == 200
    assert "secure" in response.headers["set-cookie"].lower()
    assert "strict-transport-security" in response.headers
