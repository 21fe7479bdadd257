"""ProviderHttp's two safety rules: creates are never blindly resent, downloads stay small and public."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelsmith.errors import ProviderError
from reelsmith.providers.http import ProviderHttp, UncertainSubmit, is_private_host, make_client
from tests.fakes.server import (
    CdnServer,
    FakeServer,
    Recorded,
    Reply,
    created_then_dropped,
    created_then_slow,
    malformed_fault,
    status_fault,
)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A server whose `POST /jobs` counts the jobs it makes."""
    with FakeServer() as fake:

        def create(request: Recorded, match: re.Match[str]) -> Reply:
            return Reply(201, {"id": fake.create_job(request, {}, prefix="j").id})

        fake.route("POST", "/jobs", "create", create)
        yield fake


def connect(url: str, sleeps: list[float], *, timeout_s: float = 1.0, **kwargs: object) -> ProviderHttp:
    client = make_client(url, {"Authorization": "Bearer secret"}, timeout_s)
    return ProviderHttp("test", client, retries=3, sleep=sleeps.append, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fault",
    [created_then_dropped(), created_then_slow(2.0), status_fault(500), status_fault(503), malformed_fault()],
    ids=["dropped", "timed-out", "500", "503", "malformed-2xx"],
)
def test_a_create_that_may_have_arrived_is_uncertain_and_sent_once(
    server: FakeServer, sleeps: list[float], fault: Reply
) -> None:
    server.inject("create", fault)
    with pytest.raises(UncertainSubmit, match="submission uncertain"):
        connect(server.url, sleeps).json("POST", "jobs", json_body={}, creates=True)
    assert len(server.calls("create")) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [408, 429])
def test_a_create_refused_before_it_was_read_is_retried(
    server: FakeServer, sleeps: list[float], status: int
) -> None:
    server.inject("create", status_fault(status, Retry_After="0"))
    body = connect(server.url, sleeps).json("POST", "jobs", json_body={}, creates=True)
    assert body["id"]
    assert len(server.jobs) == 1
    assert len(server.calls("create")) == 2


def test_a_create_whose_connection_was_never_made_is_retried(sleeps: list[float]) -> None:
    with FakeServer() as gone:
        url = gone.url  # the port is closed once the server stops
    with pytest.raises(ProviderError) as info:
        connect(url, sleeps).json("POST", "jobs", json_body={}, creates=True)
    assert not isinstance(info.value, UncertainSubmit)
    assert len(sleeps) == 3  # every try was made: none could have reached a server


def test_downloads_over_the_cap_are_refused_and_leave_nothing(
    server: FakeServer, cdn: CdnServer, sleeps: list[float], tmp_path: Path
) -> None:
    url = cdn.publish("big.mp4", b"x" * 5000, "video/mp4")
    with pytest.raises(ProviderError, match="cap") as info:
        connect(server.url, sleeps, max_download_bytes=1000).download(url, tmp_path / "big.mp4")
    assert info.value.permanent
    assert list(tmp_path.iterdir()) == []


def test_downloads_from_loopback_are_refused_for_a_public_provider(
    cdn: CdnServer, sleeps: list[float], tmp_path: Path
) -> None:
    url = cdn.publish("clip.mp4", b"movie", "video/mp4")
    http = connect("https://api.replicate.com/v1", sleeps)  # never contacted
    for target in (url, url.replace("127.0.0.1", "localhost")):
        with pytest.raises(ProviderError, match="private or loopback") as info:
            http.download(target, tmp_path / "clip.mp4")
        assert info.value.permanent
    assert cdn.calls("file") == []


@pytest.mark.parametrize(
    ("host", "private"),
    [("10.1.2.3", True), ("169.254.169.254", True), ("::1", True), ("localhost", True), ("8.8.8.8", False)],
)
def test_private_loopback_and_link_local_addresses_are_recognised(host: str, private: bool) -> None:
    assert is_private_host(host) is private


def test_a_provider_on_loopback_may_download_from_loopback(
    server: FakeServer, cdn: CdnServer, sleeps: list[float], tmp_path: Path
) -> None:
    url = cdn.publish("clip.mp4", b"movie", "video/mp4")
    connect(server.url, sleeps).download(url, tmp_path / "clip.mp4")
    assert (tmp_path / "clip.mp4").read_bytes() == b"movie"
