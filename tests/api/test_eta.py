"""Time remaining (`eta_s`): null without history, the median of recent runs once there is some, and
falling as a run goes on, in the generation JSON and in progress events alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reelsmith.config import Settings
from reelsmith.db.models import Generation, Step, User, utcnow
from reelsmith.pipeline.eta import HISTORY
from reelsmith.runtime import Runtime
from reelsmith.server.app import create_app
from reelsmith.vocabulary import GenerationStatus, Mode, StepStatus
from tests.api.conftest import signup
from tests.api.test_generations import _story


def _progress_events(client: TestClient, headers: dict[str, str], generation_id: str) -> list[dict[str, Any]]:
    """Every progress event of the generation, following the stream until it ends."""
    found: list[dict[str, Any]] = []
    with client.stream("GET", f"/api/generations/{generation_id}/events", headers=headers) as response:
        kind = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "progress":
                found.append(json.loads(line[6:]))
    return found


def test_a_first_run_has_no_estimate_and_the_next_one_counts_down(
    client: TestClient, alice: dict[str, str]
) -> None:
    first = client.post("/api/generations", json={"prompt": "A lighthouse", "scenes": 2}, headers=alice)
    assert first.status_code == 202
    assert "eta_s" in first.json()
    assert first.json()["eta_s"] is None
    before_end = [e for e in _progress_events(client, alice, first.json()["id"]) if e["progress"] < 100]
    assert before_end
    assert all("eta_s" in e and e["eta_s"] is None for e in before_end)

    gid = _story(client, alice)
    started = client.get(f"/api/generations/{gid}", headers=alice).json()
    assert isinstance(started["eta_s"], float)
    assert started["eta_s"] > 0
    etas = [e["eta_s"] for e in _progress_events(client, alice, gid)]
    assert all(isinstance(eta, float) for eta in etas), etas
    assert etas[0] > etas[-1] == 0.0
    # Once it has ended nothing is left to estimate.
    assert client.get(f"/api/generations/{gid}", headers=alice).json()["eta_s"] is None


def test_the_list_does_not_carry_an_estimate(client: TestClient, alice: dict[str, str]) -> None:
    _story(client, alice)
    items = client.get("/api/generations", headers=alice).json()["items"]
    assert items
    assert all("eta_s" not in item for item in items)


def _seed(rt: Runtime, username: str) -> str:
    """Image runs of the past whose step took 100 s long ago and 1..HISTORY s lately; and one to estimate.

    The median of the recent `HISTORY` runs is (1 + HISTORY) / 2; counting the old runs too would
    give more, so the estimate shows which runs it looked at.
    """
    now = utcnow()
    durations = [100.0] * 5 + [float(n) for n in range(1, HISTORY + 1)]
    with rt.db.write() as session:
        owner = session.scalars(select(User.id).where(User.username == username)).one()
        for n, seconds in enumerate(durations):
            past = Generation(
                user_id=owner, mode=Mode.IMAGE, prompt=f"run {n}", status=GenerationStatus.COMPLETED
            )
            session.add(past)
            session.flush()
            finished = now - timedelta(hours=2) + timedelta(minutes=n)
            session.add(
                Step(
                    generation_id=past.id,
                    name="image",
                    status=StepStatus.DONE,
                    started_at=finished - timedelta(seconds=seconds),
                    finished_at=finished,
                )
            )
        target = Generation(user_id=owner, mode=Mode.IMAGE, prompt="now", status=GenerationStatus.PROCESSING)
        session.add(target)
        session.flush()
        session.add(Step(generation_id=target.id, name="image", status=StepStatus.PENDING))
        return target.id


@pytest.fixture
def idle_client(api_settings: Settings) -> Iterator[TestClient]:
    """The app without a worker, so seeded rows stay as they were written."""
    app = create_app(api_settings)
    with TestClient(app) as test_client:
        yield test_client
    app.state.runtime.close()


def test_the_estimate_is_the_median_of_recent_runs_less_the_time_spent(idle_client: TestClient) -> None:
    headers = signup(idle_client, "timer")
    rt: Runtime = idle_client.app.state.runtime  # type: ignore[attr-defined]
    gid = _seed(rt, "timer")
    median = (1 + HISTORY) / 2
    assert idle_client.get(f"/api/generations/{gid}", headers=headers).json()["eta_s"] == median

    with rt.db.write() as session:
        step = session.get(Step, (gid, "image"))
        assert step is not None
        step.status = StepStatus.RUNNING
        step.started_at = utcnow() - timedelta(seconds=4)
    eta = idle_client.get(f"/api/generations/{gid}", headers=headers).json()["eta_s"]
    assert median - 4 - 2 <= eta <= median - 4

    with rt.db.write() as session:
        step = session.get(Step, (gid, "image"))
        assert step is not None
        step.started_at = utcnow() - timedelta(seconds=10 * HISTORY)
    assert idle_client.get(f"/api/generations/{gid}", headers=headers).json()["eta_s"] == 0.0
