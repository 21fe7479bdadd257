"""The studio's pages in-process: status codes, sign-in redirects, escaping, CSRF and headers."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from reelsmith.vocabulary import vocabulary_data
from tests.web.conftest import insert_generation, sign_in, user_id

XSS = "<script>alert(1)</script>"
PAGES = ["/create", "/library", "/drafts", "/settings", "/explore", "/u/{me}"]


def test_anonymous_visitors_are_sent_to_sign_in_and_back(web: TestClient) -> None:
    for path in ("/create", "/library", "/drafts", "/settings", "/library?mode=story"):
        response = web.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/")
    assert web.get("/", follow_redirects=False).headers["location"] == "/explore"
    assert web.get("/explore").status_code == 200
    assert web.get("/login").status_code == 200
    assert web.get("/signup").status_code == 200


def test_signed_in_pages_render_with_the_session_csrf_token(web: TestClient) -> None:
    me = sign_in(web)
    assert web.get("/", follow_redirects=False).headers["location"] == "/create"
    assert web.get("/login", follow_redirects=False).status_code == 303
    for path in PAGES:
        page = web.get(path.format(me=me.username))
        assert page.status_code == 200, path
        assert f'<meta name="csrf-token" content="{me.csrf}">' in page.text


@pytest.mark.parametrize("path", ["/explore", "/login", "/create"])
def test_every_page_carries_the_vocabulary_its_scripts_read(web: TestClient, path: str) -> None:
    sign_in(web)
    html = web.get(path).text
    block = re.search(r'<script type="application/json" id="rs-vocabulary">(.*?)</script>', html, re.S)
    assert block, f"{path} has no vocabulary block"
    assert json.loads(block.group(1)) == vocabulary_data()


def test_the_create_page_offers_priced_types_and_only_usable_providers(web: TestClient) -> None:
    sign_in(web)
    html = web.get("/create").text
    assert re.search(r'value="image" data-price="1"', html)
    assert re.search(r'value="video" data-price="10"', html)
    assert re.search(r'value="story" data-price="10" data-per="scene"', html)
    assert re.search(r'value="music_video" data-price="10" data-per="scene"\s*>', html)
    assert "data-song-upload" in html
    assert re.search(r'value="ad_clone" data-price="40" data-per="variant"\s*>', html)
    assert "40 tokens / variant" in html
    assert "Coming soon" not in html
    assert "data-source-upload" in html
    for kind in ("soft", "medium", "aggressive", "ultra"):
        assert f'name="variants" value="{kind}" checked' in html
    assert '<option value="local">' in html
    assert '<option value="openai">' not in html


def test_login_never_redirects_off_site(web: TestClient) -> None:
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        html = web.get("/login", params={"next": target}).text
        assert 'data-next="/create"' in html
    assert 'data-next="/library?mode=story"' in web.get("/login", params={"next": "/library?mode=story"}).text


def test_user_text_is_escaped_everywhere(web: TestClient) -> None:
    me = sign_in(web)
    owner = user_id(web, me.username)
    gid = insert_generation(
        web, owner, title=XSS, prompt=f"prompt {XSS}", caption=f"caption {XSS}", visibility="published"
    )
    draft = insert_generation(web, owner, title=f"draft {XSS}", status="failed", error_message=XSS)
    for path in (f"/g/{gid}", f"/g/{draft}", "/library", "/drafts", "/explore", f"/u/{me.username}"):
        html = web.get(path).text
        assert XSS not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_pages_have_no_inline_script_or_style(web: TestClient) -> None:
    me = sign_in(web)
    gid = insert_generation(web, user_id(web, me.username), visibility="published")
    for path in (*(p.format(me=me.username) for p in PAGES), f"/g/{gid}", "/login", "/signup"):
        html = web.get(path).text
        # Data blocks (`type="application/json"`) are never executed; every script has a src.
        assert not re.search(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>", html), path
        assert not re.search(r"\sstyle=|\son[a-z]+=", html), path


def test_security_headers_are_on_pages_api_and_static_files(web: TestClient) -> None:
    for path in ("/explore", "/api/feed", "/static/app.js", "/healthz"):
        headers = web.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp, path
        assert "script-src 'self'" in csp, path
        assert "frame-ancestors 'none'" in csp
        assert "media-src 'self' blob:" in csp
        assert "img-src 'self' blob:" in csp
        assert "'unsafe-inline'" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    assert web.get("/static/app.css").headers["content-type"].startswith("text/css")


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(settings: object) -> None:
    from reelsmith.server.app import create_app

    app = create_app(settings)  # type: ignore[arg-type]
    with TestClient(app, base_url="https://studio.example") as client:
        client.post("/api/auth/signup", json={"username": "carol", "password": "correct horse"})
        login = client.post("/api/auth/login", json={"username": "carol", "password": "correct horse"})
        cookie = login.headers["set-cookie"].lower()
    app.state.runtime.close()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" in cookie


@pytest.mark.parametrize("sent", [None, "wrong"])
def test_cookie_requests_without_the_csrf_token_are_rejected(web: TestClient, sent: str | None) -> None:
    me = sign_in(web)
    gid = insert_generation(web, user_id(web, me.username))
    headers = {"X-CSRF-Token": sent} if sent else {}
    body = {"mode": "image", "prompt": "A red fox"}
    assert web.post("/api/generations", json=body, headers=headers).status_code == 403
    assert web.post(f"/api/generations/{gid}/publish", headers=headers).status_code == 403
    assert web.post(f"/api/generations/{gid}/share", headers=headers).status_code == 403
    assert web.post("/api/auth/logout", headers=headers).status_code == 403
    assert web.post(f"/api/generations/{gid}/publish", headers=me.headers).status_code == 200


def test_someone_elses_draft_is_a_404_page_but_their_published_work_is_viewable(web: TestClient) -> None:
    me = sign_in(web, "alice")
    owner = user_id(web, me.username)
    draft = insert_generation(web, owner)
    public = insert_generation(web, owner, visibility="published", title="Out now")
    stranger = TestClient(web.app)
    sign_in(stranger, "mallory")
    page = stranger.get(f"/g/{draft}")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "Nothing here" in page.text
    shown = stranger.get(f"/g/{public}")
    assert shown.status_code == 200
    assert "Out now" in shown.text
    assert 'data-action="delete"' not in shown.text
    assert "data-publish-form" not in shown.text
    assert "data-publish-form" in web.get(f"/g/{public}".replace(public, insert_generation(web, owner))).text


def test_unknown_pages_are_html_and_unknown_api_paths_json(web: TestClient) -> None:
    page = web.get("/no/such/page")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    api = web.get("/api/no/such/thing")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/json"
    assert web.get("/u/nobody").status_code == 404


def test_the_library_filters_sorts_and_pages(web: TestClient) -> None:
    me = sign_in(web)
    owner = user_id(web, me.username)
    for n in range(26):
        insert_generation(web, owner, title=f"Clip {n:02d}", generation_time_seconds=float(n))
    insert_generation(web, owner, title="Lonely image", mode="image", status="failed")
    first = web.get("/library").text
    assert first.count('class="card"') == 24
    assert "27 items" in first
    more = re.search(r'href="(/library\?cursor=[^"]+)"', first)
    assert more is not None
    assert web.get(more.group(1).replace("&amp;", "&")).text.count('class="card"') == 3
    slowest = web.get("/library", params={"sort": "slowest"}).text
    assert slowest.index("Clip 25") < slowest.index("Clip 24")
    nxt = re.search(r'href="(/library\?[^"]*cursor=[^"]+)"', slowest)
    assert nxt is not None
    assert "sort=slowest" in nxt.group(1)
    assert "Clip 00" in web.get(nxt.group(1).replace("&amp;", "&")).text
    images = web.get("/library", params={"mode": "image"}).text
    assert images.count('class="card"') == 1
    assert "Lonely image" in images
    assert web.get("/library", params={"q": "clip 1"}).text.count('class="card"') == 10
    assert "No matches" in web.get("/library", params={"q": "zebra"}).text
    assert web.get("/library", params={"mode": "bogus", "sort": "bogus"}).status_code == 200


def test_drafts_show_unpublished_work_with_the_right_actions(web: TestClient) -> None:
    me = sign_in(web)
    owner = user_id(web, me.username)
    running = insert_generation(web, owner, status="processing", title="Running")
    ready = insert_generation(web, owner, title="Ready one")
    failed = insert_generation(web, owner, status="failed", title="Broken", error_message="provider down")
    insert_generation(web, owner, title="Public one", visibility="published")
    html = web.get("/drafts").text
    assert "Public one" not in html
    assert f'data-card-action="cancel" data-id="{running}"' in html
    assert f'data-card-action="delete" data-id="{ready}"' in html
    assert f'data-card-action="retry" data-id="{failed}"' in html
    assert "provider down" in html
    active = web.get("/drafts", params={"status": "active"}).text
    assert "Running" in active
    assert "Ready one" not in active


def test_the_generation_page_shows_scenes_player_and_owner_actions(web: TestClient) -> None:
    from tests.web.conftest import finished_video

    me = sign_in(web)
    detail = finished_video(web, me.headers, title="Sea")
    html = web.get(f"/g/{detail['id']}").text
    assert f'src="{detail["video_url"]}"' in html
    assert f'poster="{detail["thumbnail_url"]}"' in html
    assert "0 generating · 1 ready · 0 failed" in html
    assert "data-regenerate=" in html
    assert "data-publish-form" in html
    assert "data-share-form" in html
    assert 'download="sea.mp4"' in html
