"""Scheduled publishing: absent from Explore before its time, present within seconds after, cancellable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.support.waiting import wait_until
from tests.web.conftest import insert_generation, user_id


def _feed_ids(client: TestClient) -> list[str]:
    return [item["id"] for item in client.get("/api/feed").json()["items"]]


def _at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def _finished(client: TestClient, username: str) -> str:
    return insert_generation(client, user_id(client, username), title="Harbour at dawn")


def _publish(client: TestClient, headers: dict[str, str], gid: str, **body: Any) -> Any:
    answer = client.post(f"/api/generations/{gid}/publish", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_scheduled_publish_is_absent_before_its_time_and_in_the_feed_after(
    client: TestClient, alice: dict[str, str]
) -> None:
    gid = _finished(client, "alice")
    state = _publish(client, alice, gid, caption="At dawn", at=_at(4))
    assert state["visibility"] == "scheduled"
    assert gid not in _feed_ids(client)
    assert client.get(f"/api/generations/{gid}", headers=alice).json()["visibility"] == "scheduled"
    # Within 15 s of its time (the queue's scheduler looks every second); a few seconds ahead, so a
    # slow request cannot reach its time before the check above.
    wait_until(lambda: gid in _feed_ids(client), timeout_s=20, message="the scheduled item in the feed")
    assert client.get(f"/api/generations/{gid}", headers=alice).json()["visibility"] == "published"


def test_a_cancelled_schedule_never_reaches_the_feed(client: TestClient, alice: dict[str, str]) -> None:
    cancelled, kept = _finished(client, "alice"), _finished(client, "alice")
    _publish(client, alice, cancelled, at=_at(3))
    _publish(client, alice, kept, at=_at(3.5))
    undone = client.post(f"/api/generations/{cancelled}/unpublish", headers=alice)
    assert undone.json()["visibility"] == "draft"
    # Once the later one is out, the cancelled one's time has passed too.
    wait_until(lambda: kept in _feed_ids(client), timeout_s=20, message="the kept item in the feed")
    assert cancelled not in _feed_ids(client)
    assert client.get(f"/api/generations/{cancelled}", headers=alice).json()["visibility"] == "draft"


def test_a_scheduled_generation_stays_private_until_its_time(
    client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    gid = _finished(client, "alice")
    _publish(client, alice, gid, at=_at(3600))
    assert client.get(f"/g/{gid}").status_code == 404
    assert client.post(f"/api/generations/{gid}/like", headers=bob).status_code == 404
    assert client.get("/api/users/alice/generations").json()["items"] == []


def test_a_time_already_past_publishes_at_once(client: TestClient, alice: dict[str, str]) -> None:
    gid = _finished(client, "alice")
    assert _publish(client, alice, gid, at=_at(-60))["visibility"] == "published"
    assert gid in _feed_ids(client)


def test_a_time_more_than_a_year_ahead_is_a_422_naming_at(client: TestClient, alice: dict[str, str]) -> None:
    gid = _finished(client, "alice")
    answer = client.post(f"/api/generations/{gid}/publish", json={"at": _at(400 * 86400)}, headers=alice)
    assert answer.status_code == 422
    assert "at" in answer.json()["detail"]
