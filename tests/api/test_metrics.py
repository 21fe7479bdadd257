"""/metrics as Prometheus reads it: only with the metrics token, one sample per series, each summed by
the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from reelsmith.config import Settings
from reelsmith.db.models import Generation, ProviderCall, Scene, Step, User, Variant, utcnow
from reelsmith.server.app import create_app
from reelsmith.vocabulary import CallStatus, GenerationStatus, Mode, StepStatus
from tests.api.conftest import signup

# (provider, operation, status, cost in USD): repeated label sets, spread over several providers.
CALLS = [
    ("openai", "text", CallStatus.SUCCEEDED, 0.01),
    ("openai", "text", CallStatus.SUCCEEDED, 0.01),
    ("openai", "image", CallStatus.FAILED, 0.0),
    ("openai", "video", CallStatus.SUCCEEDED, 0.5),
    ("replicate", "video", CallStatus.SUCCEEDED, 0.25),
    ("replicate", "video", CallStatus.SUCCEEDED, 0.25),
    ("replicate", "video", CallStatus.FAILED, 0.0),
    ("local", "text", CallStatus.SUCCEEDED, 0.0),
    ("local", "text", CallStatus.SUCCEEDED, 0.0),
    ("local", "video", CallStatus.SUBMITTED, 0.0),
]
# (step name, seconds it took, status): only finished steps count towards the average.
STEPS = [
    ("story", 2.0, StepStatus.DONE),
    ("story", 4.0, StepStatus.DONE),
    ("clips", 10.0, StepStatus.DONE),
    ("stitch", 99.0, StepStatus.RUNNING),
]


TOKEN = "scraper-secret"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def scraped(settings: Settings) -> Iterator[TestClient]:
    """The app (no worker, metrics token set) over a database holding the calls and steps above."""
    app = create_app(settings.model_copy(update={"metrics_token": TOKEN}))
    with TestClient(app) as client:
        signup(client, "meter")
        rt = app.state.runtime
        with rt.db.write() as session:
            owner = session.scalars(select(User.id).where(User.username == "meter")).one()
            start = utcnow() - timedelta(hours=1)
            for n, (name, seconds, status) in enumerate(STEPS):
                gen = Generation(
                    user_id=owner, mode=Mode.STORY, prompt=f"run {n}", status=GenerationStatus.COMPLETED
                )
                session.add(gen)
                session.flush()
                finished = start + timedelta(seconds=seconds) if status == StepStatus.DONE else None
                session.add(
                    Step(
                        generation_id=gen.id, name=name, status=status, started_at=start, finished_at=finished
                    )
                )
            for n, (provider, operation, outcome, usd) in enumerate(CALLS):
                session.add(
                    ProviderCall(
                        provider=provider,
                        model=f"{provider}-model",
                        operation=operation,
                        idempotency_key=f"metrics-test:{n}",
                        status=outcome,
                        cost_usd=usd,
                    )
                )
        yield client
    app.state.runtime.close()


def _samples(text: str) -> list[tuple[str, tuple[tuple[str, str], ...], float]]:
    """(sample name, sorted labels, value) of every sample in an exposition."""
    return [
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def test_every_series_appears_once(scraped: TestClient) -> None:
    samples = _samples(scraped.get("/metrics", headers=SCRAPER).text)
    repeated = [key for key, n in Counter((name, labels) for name, labels, _ in samples).items() if n > 1]
    assert repeated == []


def test_provider_cost_is_summed_per_provider(scraped: TestClient) -> None:
    cost = {
        dict(labels)["provider"]: value
        for name, labels, value in _samples(scraped.get("/metrics", headers=SCRAPER).text)
        if name == "reelsmith_provider_cost_usd_total"
    }
    assert cost == pytest.approx({"openai": 0.52, "replicate": 0.5, "local": 0.0})


def test_provider_calls_are_counted_per_provider_operation_and_status(scraped: TestClient) -> None:
    calls = {
        (d["provider"], d["operation"], d["status"]): value
        for name, labels, value in _samples(scraped.get("/metrics", headers=SCRAPER).text)
        if name == "reelsmith_provider_calls_total"
        for d in [dict(labels)]
    }
    expected = Counter((p, o, str(s)) for p, o, s, _ in CALLS)
    assert calls == {key: float(n) for key, n in expected.items()}


def test_step_durations_are_averaged_over_finished_steps(scraped: TestClient) -> None:
    averages = {
        dict(labels)["step"]: value
        for name, labels, value in _samples(scraped.get("/metrics", headers=SCRAPER).text)
        if name == "reelsmith_step_seconds_avg"
    }
    assert averages == pytest.approx({"story": 3.0, "clips": 10.0}, abs=0.01)


def test_health_checks_the_database(scraped: TestClient) -> None:
    assert scraped.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer "},
    ],
    ids=["none", "wrong-token", "not-bearer", "empty"],
)
def test_metrics_without_the_token_are_401(scraped: TestClient, headers: dict[str, str]) -> None:
    response = scraped.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert "reelsmith_" not in response.text


def test_metrics_are_not_served_without_a_configured_token(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        codes = [client.get("/metrics", headers=h).status_code for h in ({}, {"Authorization": "Bearer "})]
    app.state.runtime.close()
    assert codes == [404, 404]


def test_a_scrape_aggregates_in_sql_without_loading_rows(scraped: TestClient) -> None:
    engine = scraped.app.state.runtime.db.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert scraped.get("/metrics", headers=SCRAPER).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    scrape = [
        s
        for s in statements
        if any(f"FROM {table}" in s for table in ("generations", "steps", "provider_calls", "ledger"))
    ]
    # One query per family, whatever the number of rows: grouped, or one row of sums.
    assert len(scrape) == 7
    assert all("GROUP BY" in s or "sum(" in s.lower() for s in scrape)


def _family(client: TestClient, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        labels: value
        for sample, labels, value in _samples(client.get("/metrics", headers=SCRAPER).text)
        if sample == name
    }


def test_queue_depth_is_reported_per_queue_and_state(scraped: TestClient) -> None:
    depth = _family(scraped, "reelsmith_queue_depth")
    queue = scraped.app.state.runtime.huey.name  # type: ignore[attr-defined]
    assert depth == {
        (("queue", queue), ("state", "ready")): 0.0,
        (("queue", queue), ("state", "scheduled")): 0.0,
    }


def test_queue_depth_counts_waiting_and_delayed_tasks(scraped: TestClient) -> None:
    rt = scraped.app.state.runtime  # type: ignore[attr-defined]
    rt.dispatch.advance("no-such-generation")  # nobody consumes the queue here: it waits
    rt.dispatch.poll_scene("no-such-scene", delay_s=3600)
    depth = {
        dict(labels)["state"]: value for labels, value in _family(scraped, "reelsmith_queue_depth").items()
    }
    # A delayed task is held back by the consumer's scheduler; without one it waits in the queue too.
    assert depth["ready"] + depth["scheduled"] == 2.0


def test_end_to_end_times_are_a_histogram_of_completed_generations(scraped: TestClient) -> None:
    rt = scraped.app.state.runtime  # type: ignore[attr-defined]
    with rt.db.write() as session:
        gens = session.scalars(select(Generation)).all()
        for gen, seconds in zip(gens, (4.0, 25.0, 700.0), strict=False):
            gen.generation_time_seconds = seconds
    histogram = {
        (name, dict(labels).get("le", "")): value
        for name, labels, value in _samples(scraped.get("/metrics", headers=SCRAPER).text)
        if name.startswith("reelsmith_generation_seconds")
    }
    assert histogram[("reelsmith_generation_seconds_bucket", "5.0")] == 1.0
    assert histogram[("reelsmith_generation_seconds_bucket", "30.0")] == 2.0
    assert histogram[("reelsmith_generation_seconds_bucket", "600.0")] == 2.0
    assert histogram[("reelsmith_generation_seconds_bucket", "+Inf")] == 3.0
    assert histogram[("reelsmith_generation_seconds_count", "")] == 3.0
    assert histogram[("reelsmith_generation_seconds_sum", "")] == pytest.approx(729.0)


def test_tokens_are_summed_per_ledger_reason(scraped: TestClient) -> None:
    tokens = {
        dict(labels)["reason"]: value for labels, value in _family(scraped, "reelsmith_tokens_total").items()
    }
    assert tokens == {"grant": 50.0}  # the sign-up grant of the one account


def test_scenes_submitted_twice_are_counted(scraped: TestClient) -> None:
    rt = scraped.app.state.runtime  # type: ignore[attr-defined]
    with rt.db.write() as session:
        scene_id = _scene(session)
        for attempt in (1, 2):
            session.add(
                ProviderCall(
                    scene_id=scene_id, provider="replicate", model="m", operation="submit",
                    idempotency_key=f"clip:{scene_id}:{attempt}", status=CallStatus.SUBMITTED,
                )
            )  # fmt: skip
    assert _family(scraped, "reelsmith_scenes_resubmitted") == {(): 1.0}


def _scene(session: Session) -> str:
    """A scene of a fresh generation of the metered user."""
    owner = session.scalars(select(User.id).where(User.username == "meter")).one()
    gen = Generation(user_id=owner, mode=Mode.STORY, prompt="twice", status=GenerationStatus.PROCESSING)
    session.add(gen)
    session.flush()
    variant = Variant(generation_id=gen.id, total_scenes=1)
    session.add(variant)
    session.flush()
    scene = Scene(variant_id=variant.id, index=0, description="s", duration_s=3.0)
    session.add(scene)
    session.flush()
    return scene.id
