"""Regenerating a scene: concurrent requests, and a user who cannot pay for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from reelsmith.db.models import Generation, LedgerEntry, Scene, User
from reelsmith.runtime import Runtime
from tests.api.conftest import wait_done
from tests.support import wait_until


def _finished_story(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    body = {"mode": "story", "prompt": "A lighthouse at dusk", "scenes": 2, "aspect_ratio": "1:1"}
    response = client.post("/api/generations", json=body, headers=headers)
    assert response.status_code == 202, response.text
    detail: dict[str, Any] = wait_done(client, headers, response.json()["id"])
    assert detail["status"] == "completed"
    return detail


@contextmanager
def _user_row_held(rt: Runtime, username: str, waiters: int) -> Iterator[None]:
    """On PostgreSQL, hold the user's row until `waiters` transactions queue behind locks, then let go.

    Every request then has read what it reads before the first one commits: the widest race window.
    SQLite's BEGIN IMMEDIATE lets one writer in at a time, so there it holds nothing.
    """
    if rt.db.is_sqlite:
        yield
        return
    with rt.db.engine.connect() as conn:
        conn.execute(select(User.id).where(User.username == username).with_for_update())
        yield
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND application_name = current_setting('application_name')"
        )

        def queued() -> bool:
            # A fresh transaction each time: pg_stat_activity is a snapshot taken once per transaction.
            with rt.db.engine.connect() as probe:
                return int(probe.execute(waiting).scalar_one()) >= waiters

        wait_until(queued, timeout_s=30, message=f"{waiters} transactions waiting on locks")
        conn.rollback()


def test_two_concurrent_regenerations_of_a_scene_accept_one(
    client: TestClient, alice: dict[str, str]
) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    scene_id = _finished_story(client, alice)["variants"][0]["scenes"][1]["id"]
    start = threading.Barrier(2)
    codes: list[int] = []

    def regenerate() -> None:
        start.wait()
        codes.append(client.post(f"/api/scenes/{scene_id}/regenerate", headers=alice).status_code)

    threads = [threading.Thread(target=regenerate) for _ in range(2)]
    with _user_row_held(rt, "alice", waiters=2):
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == [202, 409]
    with rt.db.read() as session:
        charges = session.scalars(
            select(LedgerEntry.delta).where(LedgerEntry.scene_id == scene_id, LedgerEntry.delta < 0)
        ).all()
    assert charges == [-10]


def test_regenerating_without_enough_tokens_is_402_and_changes_nothing(
    client: TestClient, alice: dict[str, str]
) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    before = _finished_story(client, alice)
    scene = before["variants"][0]["scenes"][0]
    with rt.db.write() as session:
        session.execute(update(User).where(User.username == "alice").values(token_balance=5))
    response = client.post(f"/api/scenes/{scene['id']}/regenerate", headers=alice)
    assert response.status_code == 402
    assert response.json()["code"] == "insufficient_tokens"
    after = client.get(f"/api/generations/{before['id']}", headers=alice).json()
    assert after["status"] == "completed"
    assert after["variants"][0]["scenes"][0] == scene
    assert after["video_url"] == before["video_url"]
    assert client.get("/api/me", headers=alice).json()["token_balance"] == 5
    with rt.db.read() as session:
        gen = session.get(Generation, before["id"])
        stored = session.get(Scene, scene["id"])
        assert gen is not None
        assert stored is not None
        assert gen.state.regenerating is None
        assert gen.tokens_charged == 20
        assert stored.clip_asset_id is not None
