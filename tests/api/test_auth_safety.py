"""Sign-in abuse: failed attempts throttled, unknown users cost as much as known ones, the
operator's account cannot be taken over, and usernames are matched whole."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import httpx2
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from reelsmith.accounts.passwords import hash_password
from reelsmith.accounts.throttle import LoginThrottle
from reelsmith.config import Settings
from reelsmith.db.engine import Database
from reelsmith.db.migrate import upgrade
from reelsmith.db.models import User
from reelsmith.errors import RateLimited
from reelsmith.generations.service import ensure_local_user
from reelsmith.runtime import Runtime
from tests.api.conftest import signup

ENDPOINTS = ["/api/auth/login", "/api/auth/token"]


def attempt(client: TestClient, endpoint: str, username: str, password: str) -> httpx2.Response:
    """One sign-in through the browser (JSON) or the OAuth2 (form) endpoint."""
    fields = {"username": username, "password": password}
    response: httpx2.Response = (
        client.post(endpoint, data=fields)
        if endpoint.endswith("/token")
        else client.post(endpoint, json=fields)
    )
    return response


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_repeated_wrong_passwords_lock_the_username_out(client: TestClient, endpoint: str) -> None:
    signup(client, "grace")
    statuses = [attempt(client, endpoint, "grace", "wrong password").status_code for _ in range(5)]
    assert statuses == [401] * 5
    for password in ("wrong password", "correct horse"):
        response = attempt(client, endpoint, "grace", password)
        assert response.status_code == 429, password
        assert int(response.headers["Retry-After"]) > 0


def test_failures_from_one_address_are_throttled_across_usernames(api_settings: Settings) -> None:
    settings = api_settings.model_copy(update={"login_failures_per_address": 3})
    from reelsmith.server.app import create_app

    app = create_app(settings)
    with TestClient(app) as client:
        signup(client, "ivan")
        statuses = [
            attempt(client, ENDPOINTS[0], f"guess{n}", "wrong password").status_code for n in range(3)
        ]
        assert statuses == [401] * 3
        response = attempt(client, ENDPOINTS[0], "ivan", "correct horse")
        assert response.status_code == 429
        assert "Retry-After" in response.headers
    app.state.runtime.close()


def test_a_success_forgets_the_usernames_failures(client: TestClient) -> None:
    signup(client, "judy")
    for _ in range(4):
        assert attempt(client, ENDPOINTS[0], "judy", "wrong password").status_code == 401
    assert attempt(client, ENDPOINTS[0], "judy", "correct horse").status_code == 200
    for _ in range(4):
        assert attempt(client, ENDPOINTS[0], "judy", "wrong password").status_code == 401


def test_an_unknown_username_costs_as_much_as_a_known_one(client: TestClient) -> None:
    signup(client, "heidi")
    known: list[float] = []
    unknown: list[float] = []
    for n in range(3):
        for username, times in (("heidi", known), (f"nobody{n}", unknown)):
            start = time.perf_counter()
            assert attempt(client, ENDPOINTS[0], username, "wrong password").status_code == 401
            times.append(time.perf_counter() - start)
    # Generous: the point is that both run argon2, not that they tie.
    assert statistics.median(unknown) >= 0.5 * statistics.median(known)


def test_password_hashing_is_capped_and_a_waiter_gives_up(api_settings: Settings) -> None:
    settings = api_settings.model_copy(update={"password_hash_concurrency": 1, "password_hash_wait_s": 0.01})
    throttle = LoginThrottle(settings)
    # The first holds the only slot; the second cannot get it within the wait.
    with throttle.hashing(), pytest.raises(RateLimited), throttle.hashing():
        pass
    with throttle.hashing():
        pass  # the slot is back


@pytest.mark.parametrize("username", ["local", "Local"])
def test_the_operators_username_is_reserved(client: TestClient, username: str) -> None:
    response = client.post("/api/auth/signup", json={"username": username, "password": "correct horse"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("username")


@pytest.mark.parametrize("username", ["alice\n", "alice\nbob", "al ice"])
def test_usernames_are_matched_whole(client: TestClient, username: str) -> None:
    response = client.post("/api/auth/signup", json={"username": username, "password": "correct horse"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("username")


def test_a_signed_up_user_named_local_is_not_adopted_as_the_operator(client: TestClient) -> None:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with rt.db.write() as session:
        squatter = User(username="local", password_hash=hash_password("squatters pass"))
        session.add(squatter)
        session.flush()
        squatter_id = squatter.id

    operator_id = ensure_local_user(rt)

    assert operator_id != squatter_id
    assert ensure_local_user(rt) == operator_id
    with rt.db.read() as session:
        operator, other = session.get(User, operator_id), session.get(User, squatter_id)
        assert operator is not None
        assert (operator.is_operator, operator.is_admin) == (True, True)
        assert other is not None
        assert (other.is_operator, other.is_admin) == (False, False)


@pytest.fixture
def db(empty_database_url: str) -> Iterator[Database]:
    database = Database(empty_database_url)
    yield database
    database.dispose()


def test_0006_marks_only_the_cli_made_local_user_as_the_operator(db: Database) -> None:
    upgrade(db, "0005")
    users = sa.Table("users", sa.MetaData(), autoload_with=db.engine)
    rows = [
        {"id": "cli", "username": "local", "password_hash": None, "is_admin": True},
        {"id": "someone", "username": "someone", "password_hash": None, "is_admin": True},
    ]
    with db.engine.begin() as conn:
        for row in rows:
            conn.execute(sa.insert(users).values(token_balance=0, created_at=sa.func.now(), **row))

    upgrade(db)

    with db.engine.connect() as conn:
        marked = {uid: bool(flag) for uid, flag in conn.execute(sa.text("SELECT id, is_operator FROM users"))}
    assert marked == {"cli": True, "someone": False}
