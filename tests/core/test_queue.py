"""The queue is chosen by URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from huey import MemoryHuey, RedisHuey, SqliteHuey

from reelsmith.errors import ReelsmithError
from reelsmith.jobs.queue import build_huey


def test_sqlite_url_selects_sqlite_storage(tmp_path: Path) -> None:
    huey = build_huey(f"sqlite:///{tmp_path}/q/queue.db")
    assert isinstance(huey, SqliteHuey)
    assert (tmp_path / "q").is_dir()


def test_redis_url_selects_redis_storage() -> None:
    assert isinstance(build_huey("redis://127.0.0.1:6379/0"), RedisHuey)


def test_memory_url_for_tests() -> None:
    assert isinstance(build_huey("memory://"), MemoryHuey)


def test_unknown_scheme_is_a_clear_error() -> None:
    with pytest.raises(ReelsmithError, match="queue URL scheme"):
        build_huey("amqp://localhost")


def test_queue_name_comes_from_the_url() -> None:
    huey = build_huey("redis://127.0.0.1:6379/0?queue=tenant-a")
    assert isinstance(huey, RedisHuey)
    assert huey.name == "tenant-a"
