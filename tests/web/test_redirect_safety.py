"""Links and redirects the server makes never lead to a host a request names: not after signing in, not in
share links or Open Graph tags."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from reelsmith.web.routes.auth_pages import safe_next
from tests.web.conftest import bearer, finished_video, sign_in

HOSTILE = [
    "/\t/evil.example/x",  # what /login?next=/%09/evil.example/x decodes to; browsers drop the tab
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/ /evil.example",
    "/\u00a0/evil.example",
    "/\u200b/evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
]
SAFE = ["/ok?x=1", "/library?mode=story", "/g/abc#scene-2", "/"]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_next_falls_back_to_the_default_page(target: str) -> None:
    assert safe_next(target) == "/create"


@pytest.mark.parametrize("target", SAFE)
def test_a_same_site_path_is_kept(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize("page", ["/login", "/signup"])
@pytest.mark.parametrize(
    "query", ["next=/%09/evil.example/x", "next=%2F%0A%2Fevil.example", "next=/%5Cevil.example"]
)
def test_the_form_pages_hand_the_script_only_a_same_site_path(web: TestClient, page: str, query: str) -> None:
    html = web.get(f"{page}?{query}").text
    assert re.findall(r'data-next="([^"]*)"', html) == ["/create"]


def test_the_form_pages_keep_a_same_site_path(web: TestClient) -> None:
    assert 'data-next="/ok?x=1"' in web.get("/login?next=/ok%3Fx%3D1").text


def test_a_signed_in_visitor_is_sent_on_only_within_the_site(web: TestClient) -> None:
    sign_in(web)
    away = web.get("/login?next=/%09/evil.example/x", follow_redirects=False)
    assert (away.status_code, away.headers["location"]) == (303, "/create")
    kept = web.get("/login?next=/ok%3Fx%3D1", follow_redirects=False)
    assert (kept.status_code, kept.headers["location"]) == (303, "/ok?x=1")


def test_a_share_link_ignores_an_untrusted_host_header(web: TestClient) -> None:
    alice = bearer(web)
    detail = finished_video(web, alice)
    link = web.post(
        f"/api/generations/{detail['id']}/share",
        json={"expires_in": 86400},
        headers={**alice, "Host": "evil.example"},
    )
    assert link.status_code == 201, link.text
    url = link.json()["url"]
    assert "evil.example" not in url
    assert url.startswith("http://testserver/s/")  # where the server listens
    page = web.get(re.sub(r"^https?://[^/]+", "", url), headers={"Host": "evil.example"})
    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert f'<meta property="og:video" content="{url}/video">' in page.text


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000"])
def test_a_share_link_uses_a_trusted_host_header(web: TestClient, host: str) -> None:
    alice = bearer(web)
    detail = finished_video(web, alice)
    link = web.post(
        f"/api/generations/{detail['id']}/share", json={"expires_in": 86400}, headers={**alice, "Host": host}
    )
    assert link.json()["url"].startswith(f"http://{host}/s/")
