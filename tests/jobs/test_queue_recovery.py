"""The queue when Redis goes away: enqueueing waits out a restart, a restart that emptied the queue is
noticed once, and a stopping worker hands its unfinished tasks back instead of dropping them."""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from reelsmith.config import Settings
from reelsmith.jobs.queue import PatientRedisHuey, build_huey, queue_was_lost
from reelsmith.jobs.worker import embedded_worker
from reelsmith.runtime import Runtime, build_runtime
from tests.support import free_port, require_service, wait_until


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """A queue of its own on the test Redis; its keys are deleted afterwards."""
    base = require_service("REELSMITH_TEST_REDIS_URL")
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield f"{base}?queue={name}"
    client = redis.Redis.from_url(base)
    for key in client.scan_iter(f"huey.*{name}*"):
        client.delete(key)


def _forget_everything(url: str) -> None:
    """What a Redis restarted without persistence does to one queue: its keys are gone."""
    huey = build_huey(url)
    for key in huey.storage.conn.scan_iter(f"huey.*{huey.name}*"):
        huey.storage.conn.delete(key)


def test_a_lost_queue_is_noticed_once_per_loss(redis_queue: str) -> None:
    first, second = build_huey(redis_queue), build_huey(redis_queue)

    assert queue_was_lost(first)  # never looked at: whatever is in flight has no task yet
    assert not queue_was_lost(second)
    assert not queue_was_lost(first)
    _forget_everything(redis_queue)
    assert queue_was_lost(second)
    assert not queue_was_lost(first)


def test_a_queue_kept_on_disk_is_never_lost(tmp_path: Path) -> None:
    assert not queue_was_lost(build_huey(f"sqlite:///{tmp_path / 'queue.db'}"))


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    """A redis-server of this test's own (it is stopped and started again), and its processes."""
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    yield port, procs
    for proc in procs:
        proc.kill()
        proc.wait(10)


def _start_redis(port: int, procs: list[subprocess.Popen[bytes]], folder: Path) -> None:
    procs.append(
        subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
            stdout=subprocess.DEVNULL,
        )
    )
    client = redis.Redis(port=port)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    wait_until(up, timeout_s=10, message="redis-server to answer")


def test_enqueueing_waits_out_a_redis_restart(
    own_redis: tuple[int, list[subprocess.Popen[bytes]]], tmp_path: Path
) -> None:
    port, procs = own_redis
    huey = build_huey(f"redis://127.0.0.1:{port}/0?queue=restart")
    assert isinstance(huey, PatientRedisHuey)

    @huey.task(name="test.noop")  # type: ignore[untyped-decorator]
    def noop() -> None:
        return None

    # Redis is down when the task is enqueued, and back half a second later.
    starter = threading.Timer(0.5, _start_redis, args=(port, procs, tmp_path))
    starter.start()
    noop()
    starter.join()

    assert huey.pending_count() == 1


def test_enqueueing_gives_up_when_redis_stays_away() -> None:
    huey = build_huey(f"redis://127.0.0.1:{free_port()}/0?queue=gone")
    huey.patience_s = 0.3

    @huey.task(name="test.noop")  # type: ignore[untyped-decorator]
    def noop() -> None:
        return None

    with pytest.raises(redis.ConnectionError):
        noop()


@pytest.fixture
def memory_runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime on an in-process queue whose workers get a short shutdown grace."""
    runtime = build_runtime(
        settings.model_copy(update={"queue_url": "memory://", "worker_shutdown_grace_s": 0.3})
    )
    yield runtime
    runtime.close()


def _blocking_task(rt: Runtime, release: threading.Event, started: threading.Event) -> None:
    @rt.huey.task(name="test.block")  # type: ignore[untyped-decorator]
    def block() -> None:
        started.set()
        release.wait(30)

    block()


def test_a_stopping_worker_hands_back_what_outlives_the_grace(memory_runtime: Runtime) -> None:
    release, started = threading.Event(), threading.Event()
    try:
        with embedded_worker(memory_runtime, workers=1):
            _blocking_task(memory_runtime, release, started)
            wait_until(started.is_set, timeout_s=10, message="the task to start")
        # The block ended (the worker stops): the task outlived the grace, so it waits for another worker.
        assert memory_runtime.huey.pending_count() == 1
    finally:
        release.set()


def test_a_task_that_finishes_within_the_grace_is_not_handed_back(memory_runtime: Runtime) -> None:
    release, started = threading.Event(), threading.Event()
    with embedded_worker(memory_runtime, workers=1):
        _blocking_task(memory_runtime, release, started)
        wait_until(started.is_set, timeout_s=10, message="the task to start")
        release.set()  # it ends well within the grace the stopping worker gives it
    assert memory_runtime.huey.pending_count() == 0
