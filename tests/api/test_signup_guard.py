"""Sign-up guards: a limit per client address, and the open / invite / closed modes (API and pages)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from reelsmith.config import Settings
from reelsmith.server.app import create_app
from tests.support import require_service
from tests.support.limits import flush_rate_limits

PASSWORD = "correct horse"


@contextmanager
def serve(settings: Settings, **changes: Any) -> Iterator[TestClient]:
    """A client of the app over `settings` with `changes`, closed afterwards."""
    app = create_app(settings.model_copy(update=changes))
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.limits.close()
        app.state.runtime.close()


def post_signup(client: TestClient, username: str, **fields: str) -> httpx2.Response:
    """One sign-up through the API, with any extra fields (an invite code)."""
    response: httpx2.Response = client.post(
        "/api/auth/signup", json={"username": username, "password": PASSWORD, **fields}
    )
    return response


@pytest.fixture(params=["memory", "redis"])
def limits_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Where the counters live: "" for this process's memory, else the test Redis (flushed)."""
    if request.param == "memory":
        yield ""
        return
    url = require_service("REELSMITH_TEST_REDIS_URL")
    flush_rate_limits(url)
    yield url
    flush_rate_limits(url)


@pytest.fixture
def open_client(settings: Settings, limits_backend: str) -> Iterator[TestClient]:
    """Open sign-up with the default limit per address, on each backend."""
    with serve(settings, rate_limit_url=limits_backend) as client:
        yield client


def test_the_sixth_sign_up_from_one_address_in_an_hour_is_refused(open_client: TestClient) -> None:
    assert open_client.app.state.signup_limiter.limit == 5  # type: ignore[attr-defined]
    statuses = [post_signup(open_client, f"newcomer{n}").status_code for n in range(5)]
    assert statuses == [201] * 5
    refused = post_signup(open_client, "newcomer5")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "sign-ups" in refused.json()["detail"]


def test_taken_usernames_count_but_malformed_requests_do_not(settings: Settings) -> None:
    with serve(settings, signups_per_address_per_hour=2) as client:
        for bad in ("x", "local", "no spaces"):
            assert post_signup(client, bad).status_code == 422, bad
        assert client.post("/api/auth/signup", json={"username": "short", "password": "1"}).status_code == 422
        assert post_signup(client, "taken").status_code == 201
        assert post_signup(client, "taken").status_code == 409
        assert post_signup(client, "another").status_code == 429


@pytest.fixture
def invite_client(settings: Settings) -> Iterator[TestClient]:
    """Sign-up by invitation with two codes."""
    with serve(settings, signup_mode="invite", invite_codes=" first-code , second-code ") as client:
        yield client


@pytest.mark.parametrize("fields", [{}, {"invite_code": ""}, {"invite_code": "guessed-code"}])
def test_an_invitation_sign_up_without_a_right_code_is_refused_naming_the_field(
    invite_client: TestClient, fields: dict[str, str]
) -> None:
    response = post_signup(invite_client, "gatecrasher", **fields)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("invite_code")


@pytest.mark.parametrize("code", ["first-code", "second-code"])
def test_an_invitation_sign_up_with_a_right_code_is_created(invite_client: TestClient, code: str) -> None:
    assert post_signup(invite_client, "invited", invite_code=code).status_code == 201


def test_wrong_invite_codes_count_against_the_address(settings: Settings) -> None:
    guarded = {"signup_mode": "invite", "invite_codes": "the-code", "signups_per_address_per_hour": 3}
    with serve(settings, **guarded) as client:
        statuses = [post_signup(client, "guesser", invite_code=f"guess{n}").status_code for n in range(3)]
        assert statuses == [422] * 3
        assert post_signup(client, "guesser", invite_code="the-code").status_code == 429


def test_the_invitation_page_asks_for_the_code(invite_client: TestClient) -> None:
    page = invite_client.get("/signup")
    assert page.status_code == 200
    assert 'name="invite_code"' in page.text


def test_the_open_page_asks_for_no_code(open_client: TestClient) -> None:
    page = open_client.get("/signup")
    assert 'data-auth="signup"' in page.text
    assert 'name="invite_code"' not in page.text
    assert 'href="/signup"' in open_client.get("/login").text


@pytest.fixture
def closed_client(settings: Settings) -> Iterator[TestClient]:
    """Sign-up closed (invite codes configured or not, nobody gets in)."""
    with serve(settings, signup_mode="closed", invite_codes="old-code") as client:
        yield client


@pytest.mark.parametrize("fields", [{}, {"invite_code": "old-code"}])
def test_a_closed_server_refuses_every_sign_up(closed_client: TestClient, fields: dict[str, str]) -> None:
    response = post_signup(closed_client, "latecomer", **fields)
    assert response.status_code == 403
    assert response.json()["detail"] == "sign-up is closed"


def test_a_closed_server_says_so_instead_of_showing_the_form(closed_client: TestClient) -> None:
    page = closed_client.get("/signup")
    assert page.status_code == 200
    assert "Sign-up is closed" in page.text
    assert 'data-auth="signup"' not in page.text
    login = closed_client.get("/login")
    assert "Create an account" not in login.text


@pytest.mark.parametrize("path", ["/", "/explore", "/login"])
def test_no_page_of_a_closed_server_links_to_sign_up(closed_client: TestClient, path: str) -> None:
    page = closed_client.get(path)
    assert page.status_code == 200
    assert 'href="/signup"' not in page.text


def test_pages_of_an_open_server_offer_sign_up(open_client: TestClient) -> None:
    assert 'href="/signup"' in open_client.get("/explore").text
