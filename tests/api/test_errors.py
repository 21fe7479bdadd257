"""Errors: each maps to its HTTP status, and one handler renders it as JSON or as a page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.testclient import TestClient

from reelsmith.config import Settings
from reelsmith.errors import InsufficientTokens, LoginRequired, NotFound, RateLimited, ReelsmithError
from reelsmith.pipeline import adclone, finishing, imaging, song, writing
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.server.errors import install_error_handlers


def _page(request: Request, status: int, message: str) -> Response:
    return HTMLResponse(f"<p>{status}: {message}</p>", status_code=status)


@pytest.fixture
def raising() -> Iterator[TestClient]:
    """An app whose routes raise the error named in the path, under /api and as a page."""
    errors: dict[str, ReelsmithError] = {
        "tokens": InsufficientTokens(balance=3, price=10),
        "limited": RateLimited("uploads", 7),
        "login": LoginRequired("/library?q=cats"),
        "missing": NotFound("no such thing"),
        "broken": ReelsmithError("database exploded"),
    }
    app = FastAPI()
    install_error_handlers(app, _page)

    @app.get("/api/raise/{name}")
    @app.get("/raise/{name}")
    def fail(name: str) -> None:
        raise errors[name]

    @app.get("/api/count")
    @app.get("/count")
    def count(n: int) -> dict[str, int]:
        return {"n": n}

    with TestClient(app) as client:
        yield client


def test_api_errors_carry_the_fields_the_error_adds(raising: TestClient) -> None:
    response = raising.get("/api/raise/tokens")
    assert response.status_code == 402
    assert response.json() == {
        "detail": "not enough tokens: this costs 10, the balance is 3",
        "code": "insufficient_tokens",
        "balance": 3,
        "price": 10,
    }


@pytest.mark.parametrize("path", ["/api/raise/limited", "/raise/limited"])
def test_rate_limits_say_when_to_come_back_to_api_and_pages(raising: TestClient, path: str) -> None:
    response = raising.get(path)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_a_page_that_needs_a_login_redirects_while_the_api_answers_401(raising: TestClient) -> None:
    page = raising.get("/raise/login", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/library%3Fq%3Dcats"
    api = raising.get("/api/raise/login")
    assert api.status_code == 401
    assert api.json()["code"] == "login_required"


def test_pages_get_html_and_hide_server_side_details(raising: TestClient) -> None:
    missing = raising.get("/raise/missing")
    assert missing.status_code == 404
    assert missing.text == "<p>404: no such thing</p>"
    broken = raising.get("/raise/broken")
    assert broken.status_code == 500
    assert "exploded" not in broken.text
    assert raising.get("/api/raise/broken").json()["detail"] == "database exploded"


def test_invalid_input_is_422_json_for_the_api_and_a_page_for_browsers(raising: TestClient) -> None:
    api = raising.get("/api/count", params={"n": "many"})
    assert api.status_code == 422
    assert api.json()["detail"].startswith("n: ")
    page = raising.get("/count", params={"n": "many"})
    assert page.status_code == 422
    assert page.text.startswith("<p>422: n: ")


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    yield rt
    rt.close()


# Pipeline steps that find their generation (or its song, or its source ad) gone.
VANISHED: list[Callable[[Runtime, str], Any]] = [
    writing.load_generation,
    finishing.compute_stitch,
    song.compute_song_plan,
    imaging.compute_image,
    adclone.compute_source,
]


@pytest.mark.parametrize("step", VANISHED, ids=lambda f: f"{f.__module__.rpartition('.')[2]}.{f.__name__}")
def test_a_vanished_generation_is_not_found_not_a_server_error(
    runtime: Runtime, step: Callable[..., Any]
) -> None:
    with pytest.raises(NotFound) as raised:
        step(runtime, "00000000-0000-0000-0000-000000000000")
    assert raised.value.http_status == 404
