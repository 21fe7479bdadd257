"""The shared HTTP layer against a loopback server: retries, Retry-After, classification, credentials."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelsmith.errors import ProviderError
from reelsmith.providers.http import ProviderHttp, make_client
from tests.fakes.server import (
    CdnServer,
    FakeServer,
    Recorded,
    Reply,
    malformed_fault,
    slow_fault,
    status_fault,
)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A server with one JSON route, `/thing`, and a redirect to wherever `redirect_to` says."""
    with FakeServer() as fake:
        fake.route("GET", "/thing", "thing", lambda r, m: Reply(200, {"ok": True}))
        fake.route("POST", "/thing", "post", lambda r, m: Reply(200, {"ok": True}))
        yield fake


def connect(url: str, sleeps: list[float], *, retries: int = 3, timeout_s: float = 2.0) -> ProviderHttp:
    client = make_client(url, {"Authorization": "Bearer secret", "x-goog-api-key": "secret"}, timeout_s)
    return ProviderHttp("test", client, retries=retries, sleep=sleeps.append)


def test_retry_after_seconds_is_honoured(server: FakeServer, sleeps: list[float]) -> None:
    server.inject("thing", status_fault(429, Retry_After="2"))
    assert connect(server.url, sleeps).json("GET", "thing") == {"ok": True}
    assert sleeps == [2.0]
    assert len(server.calls("thing")) == 2


def test_retry_after_ms_wins_over_retry_after(server: FakeServer, sleeps: list[float]) -> None:
    server.inject("thing", status_fault(503, **{"retry-after-ms": "1500", "Retry_After": "9"}))
    connect(server.url, sleeps).json("GET", "thing")
    assert sleeps == [1.5]


def test_retry_after_http_date(server: FakeServer, sleeps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    server.inject("thing", status_fault(429, Retry_After=when))
    connect(server.url, sleeps).json("GET", "thing")
    assert len(sleeps) == 1
    assert 3.0 <= sleeps[0] <= 5.0


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503])
def test_retryable_statuses_back_off_with_jitter(
    server: FakeServer, sleeps: list[float], status: int
) -> None:
    server.inject("thing", status_fault(status), status_fault(status))
    connect(server.url, sleeps).json("GET", "thing")
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5
    assert 0.5 <= sleeps[1] <= 1.0


def test_budget_exhausted_is_transient(server: FakeServer, sleeps: list[float]) -> None:
    server.inject("thing", *[status_fault(500)] * 5)
    with pytest.raises(ProviderError) as info:
        connect(server.url, sleeps, retries=2).json("GET", "thing")
    assert not info.value.permanent
    assert "HTTP 500" in info.value.message
    assert "3 attempts" in info.value.message
    assert len(server.calls("thing")) == 3


def test_a_long_retry_after_is_handed_to_the_queue(server: FakeServer, sleeps: list[float]) -> None:
    server.inject("thing", status_fault(429, Retry_After="600"))
    with pytest.raises(ProviderError) as info:
        connect(server.url, sleeps).json("GET", "thing")
    assert sleeps == []
    assert info.value.retry_after_s == 600.0
    assert not info.value.permanent


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_4xx_are_permanent_and_not_retried(
    server: FakeServer, sleeps: list[float], status: int
) -> None:
    server.inject("thing", status_fault(status, {"error": {"message": "you did it wrong", "code": "bad"}}))
    with pytest.raises(ProviderError) as info:
        connect(server.url, sleeps).json("GET", "thing")
    assert info.value.permanent
    assert "you did it wrong" in info.value.message
    assert info.value.message.startswith("test: ")
    assert sleeps == []
    assert len(server.calls("thing")) == 1


def test_policy_refusal_keeps_the_reason(server: FakeServer, sleeps: list[float]) -> None:
    server.inject(
        "post", status_fault(400, {"detail": [{"msg": "flagged by a content checker", "type": "x"}]})
    )
    with pytest.raises(ProviderError) as info:
        connect(server.url, sleeps).json("POST", "thing", json_body={})
    assert info.value.permanent
    assert "content policy" in info.value.message
    assert "flagged by a content checker" in info.value.message


def test_timeouts_are_retried(server: FakeServer, sleeps: list[float]) -> None:
    server.inject("thing", slow_fault(1.0))
    assert connect(server.url, sleeps, timeout_s=0.3).json("GET", "thing") == {"ok": True}
    assert len(sleeps) == 1


def test_connection_refused_is_transient(sleeps: list[float]) -> None:
    with FakeServer() as gone:
        url = gone.url
    with pytest.raises(ProviderError) as info:
        connect(url, sleeps, retries=1).json("GET", "thing")
    assert not info.value.permanent
    assert len(sleeps) == 1


def test_malformed_json_is_transient(server: FakeServer, sleeps: list[float]) -> None:
    server.inject("thing", malformed_fault())
    with pytest.raises(ProviderError) as info:
        connect(server.url, sleeps).json("GET", "thing")
    assert not info.value.permanent
    assert "malformed JSON" in info.value.message


def test_missing_key_fails_before_any_request(server: FakeServer, sleeps: list[float]) -> None:
    http = connect(server.url, sleeps)
    http.missing = "TEST_API_KEY"
    with pytest.raises(ProviderError, match="test: TEST_API_KEY is not set") as info:
        http.json("GET", "thing")
    assert info.value.permanent
    assert server.requests == []


def test_credentials_never_leave_the_provider_origin(
    server: FakeServer, cdn: CdnServer, sleeps: list[float], tmp_path: Path
) -> None:
    url = cdn.publish("clip.mp4", b"movie-bytes", "video/mp4")
    server.route("GET", "/download", "download", lambda r, m: Reply(302, b"", {"Location": url}))
    http = connect(server.url, sleeps)
    http.download("download", tmp_path / "a.mp4")  # same origin first, then redirected to the CDN
    http.download(url, tmp_path / "b.mp4")  # straight to the CDN
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes() == b"movie-bytes"
    assert server.calls("download")[0].headers["authorization"] == "Bearer secret"
    for request in cdn.calls("file"):
        assert "authorization" not in request.headers
        assert "x-goog-api-key" not in request.headers


def test_a_failed_download_leaves_no_file(server: FakeServer, sleeps: list[float], tmp_path: Path) -> None:
    def empty(request: Recorded, match: re.Match[str]) -> Reply:
        return Reply(200, b"", {"Content-Type": "video/mp4"})

    server.route("GET", "/empty", "empty", empty)
    with pytest.raises(ProviderError):
        connect(server.url, sleeps, retries=1).download("empty", tmp_path / "x.mp4")
    assert list(tmp_path.iterdir()) == []
