"""Rate limits shared through Redis: several servers allow the limit once, counts outlive a restart,
the memory backend stays the embedded default, and a Redis that is down refuses rather than admits."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from reelsmith.accounts.ratelimit import Limiter, Limits, RateLimiter, limits_url
from reelsmith.config import Settings
from reelsmith.errors import RateLimited
from reelsmith.server.app import create_app
from tests.support import free_port, require_service, wait_until
from tests.support.limits import flush_rate_limits

# Every limiter the app factory hangs on app.state.
STATE_LIMITERS = [
    "generation_limiter",
    "upload_limiter",
    "stitch_limiter",
    "storyboard_limiter",
    "reference_limiter",
    "signup_limiter",
]


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis (db 15), with no rate-limit counters before or after the test."""
    url = require_service("REELSMITH_TEST_REDIS_URL")
    flush_rate_limits(url)
    yield url
    flush_rate_limits(url)


@pytest.fixture(params=["memory", "redis"])
def limits(request: pytest.FixtureRequest) -> Iterator[Limits]:
    """A limiter factory on each backend."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    made = Limits(url)
    yield made
    made.close()


def two_apps(settings: Settings) -> tuple[FastAPI, FastAPI]:
    """Two servers over the same settings, as two processes behind one load balancer would be."""
    return create_app(settings), create_app(settings)


def close(*apps: FastAPI) -> None:
    """Release what the apps hold."""
    for app in apps:
        app.state.limits.close()
        app.state.runtime.close()


def failed_sign_in(client: TestClient) -> httpx2.Response:
    """One sign-in with a wrong password (for a username nobody has)."""
    response: httpx2.Response = client.post(
        "/api/auth/login", json={"username": "nobody", "password": "wrong password"}
    )
    return response


def test_two_servers_on_redis_allow_the_limit_once_not_twice(settings: Settings, redis_url: str) -> None:
    shared = settings.model_copy(update={"rate_limit_url": redis_url, "login_failures_per_address": 4})
    first, second = two_apps(shared)
    try:
        with TestClient(first) as a, TestClient(second) as b:
            statuses = [failed_sign_in(client).status_code for client in (a, b, a, b)]
            assert statuses == [401] * 4
            for client in (a, b):
                refused = failed_sign_in(client)
                assert refused.status_code == 429
                assert int(refused.headers["Retry-After"]) > 0
    finally:
        close(first, second)


@pytest.mark.parametrize("name", STATE_LIMITERS)
def test_every_limiter_of_the_app_is_shared_through_redis(
    settings: Settings, redis_url: str, name: str
) -> None:
    first, second = two_apps(settings.model_copy(update={"rate_limit_url": redis_url}))
    try:
        limiters: list[Limiter] = [getattr(first.state, name), getattr(second.state, name)]
        for n in range(limiters[0].limit):
            limiters[n % 2].hit("someone")
        for limiter in limiters:
            with pytest.raises(RateLimited):
                limiter.hit("someone")
    finally:
        close(first, second)


def test_a_redis_queue_shares_its_redis_with_the_limits(settings: Settings, redis_url: str) -> None:
    first, second = two_apps(settings.model_copy(update={"queue_url": redis_url}))
    try:
        assert first.state.limits.shared
        limit = first.state.signup_limiter.limit
        for _ in range(limit):
            first.state.signup_limiter.hit("10.0.0.1")
        with pytest.raises(RateLimited):
            second.state.signup_limiter.hit("10.0.0.1")
    finally:
        close(first, second)


def test_the_embedded_default_keeps_counts_in_each_process(settings: Settings) -> None:
    first, second = two_apps(settings)
    try:
        assert not first.state.limits.shared
        assert all(isinstance(getattr(first.state, name), RateLimiter) for name in STATE_LIMITERS)
        limit = first.state.signup_limiter.limit
        for _ in range(limit):
            first.state.signup_limiter.hit("10.0.0.1")
        with pytest.raises(RateLimited):
            first.state.signup_limiter.hit("10.0.0.1")
        second.state.signup_limiter.hit("10.0.0.1")  # its own budget, untouched
    finally:
        close(first, second)


@pytest.mark.parametrize(
    ("rate_limit_url", "queue_url", "chosen"),
    [
        ("", "", None),
        ("", "sqlite:///somewhere/queue.db", None),
        ("", "redis://queue-host:6379/2?queue=tenant", "redis://queue-host:6379/2"),
        ("redis://limits-host:6379/3", "redis://queue-host:6379/2", "redis://limits-host:6379/3"),
        ("redis://limits-host:6379/3", "", "redis://limits-host:6379/3"),
    ],
)
def test_the_settings_choose_where_counts_live(
    settings: Settings, rate_limit_url: str, queue_url: str, chosen: str | None
) -> None:
    choice = settings.model_copy(update={"rate_limit_url": rate_limit_url, "queue_url": queue_url})
    assert limits_url(choice) == chosen


def test_a_restarted_server_sees_the_counts_it_left_in_redis(redis_url: str) -> None:
    before = Limits(redis_url)
    for _ in range(3):
        before.limiter("uploads", 3).hit("user-1")
    before.close()

    after = Limits(redis_url)  # a new process: nothing in memory, everything in Redis
    try:
        with pytest.raises(RateLimited):
            after.limiter("uploads", 3).check("user-1")
        with pytest.raises(RateLimited):
            after.limiter("uploads", 3).hit("user-1")
    finally:
        after.close()


def test_a_full_window_refuses_with_the_wait_and_frees_up_as_events_age(limits: Limits) -> None:
    limiter = limits.limiter("tries", 2, window_s=0.5)
    started = time.monotonic()
    limiter.hit("k")
    limiter.hit("k")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("k")
    assert refused.value.retry_after_s == 1  # whole seconds, never 0
    wait_until(lambda: _admits(limiter, "k"), timeout_s=5, message="the window to slide past the hits")
    assert time.monotonic() - started >= 0.45


def _admits(limiter: Limiter, key: str) -> bool:
    """Whether `limiter` counts one more event for `key` now."""
    try:
        limiter.hit(key)
    except RateLimited:
        return False
    return True


def test_check_does_not_count_and_clear_forgets(limits: Limits) -> None:
    limiter = limits.limiter("tries", 2, window_s=60)
    for _ in range(5):
        limiter.check("k")  # never counted
    limiter.hit("k")
    limiter.hit("k")
    with pytest.raises(RateLimited) as refused:
        limiter.check("k")
    assert 1 <= refused.value.retry_after_s <= 60
    limiter.hit("other")  # keys are counted apart
    limiter.clear("k")
    limiter.hit("k")


def test_limiters_with_other_names_count_apart(limits: Limits) -> None:
    uploads, generations = limits.limiter("uploads", 1), limits.limiter("generations", 1)
    uploads.hit("u")
    generations.hit("u")  # the upload took no generation's place
    with pytest.raises(RateLimited):
        uploads.hit("u")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/auth/login", {"username": "someone", "password": "a password"}),
        ("/api/auth/signup", {"username": "someone", "password": "a password"}),
    ],
)
def test_an_unreachable_redis_refuses_sign_in_and_sign_up(
    settings: Settings, path: str, body: dict[str, str]
) -> None:
    # Nothing listens on the port: the limits cannot be read, so nobody gets past them.
    down = settings.model_copy(update={"rate_limit_url": f"redis://127.0.0.1:{free_port()}/15"})
    app = create_app(down)
    try:
        with TestClient(app) as client:
            response = client.post(path, json=body)
        assert response.status_code == 503
        assert response.json()["code"] == "service_unavailable"
    finally:
        close(app)
