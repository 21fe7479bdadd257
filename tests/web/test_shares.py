"""Share links: signed, expiring, revocable; the share page and its media."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelsmith.db.models import ShareLink, utcnow
from reelsmith.errors import NotFound, ShareGone
from reelsmith.feed.shares import resolve_token, token_for
from tests.web.conftest import bearer, finished_video, insert_generation, runtime_of, user_id


@pytest.fixture
def shared(web: TestClient) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """Alice's finished draft video and a 1-day share link to it."""
    alice = bearer(web, "alice")
    detail = finished_video(web, alice, title="Black sand")
    link = web.post(f"/api/generations/{detail['id']}/share", json={"expires_in": 86400}, headers=alice)
    assert link.status_code == 201, link.text
    return alice, detail, link.json()


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_share_link_plays_a_draft_to_anyone_with_open_graph_tags(
    web: TestClient, shared: tuple[dict[str, str], dict[str, Any], dict[str, Any]]
) -> None:
    _, detail, link = shared
    assert link["url"].startswith("http://testserver/s/")
    page = web.get(_path(link["url"]))
    assert page.status_code == 200
    html = page.text
    assert '<meta property="og:title" content="Black sand">' in html
    assert f'<meta property="og:video" content="{link["url"]}/video">' in html
    assert f'<meta property="og:image" content="{link["url"]}/poster">' in html
    video = web.get(_path(link["url"]) + "/video")
    assert video.status_code == 200
    assert video.content[4:8] == b"ftyp"
    part = web.get(_path(link["url"]) + "/video", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert len(part.content) == 10
    assert web.get(_path(link["url"]) + "/poster").headers["content-type"] == "image/jpeg"
    # The draft's own asset URLs stay private.
    assert web.get(detail["video_url"]).status_code == 404


def test_a_tampered_token_is_a_404_page(
    web: TestClient, shared: tuple[dict[str, str], dict[str, Any], dict[str, Any]]
) -> None:
    token = _path(shared[2]["url"]).rsplit("/", 1)[1]
    share_id, expires, signature = token.split(".")
    forged = [
        f"{share_id}.{int(expires) + 86400}.{signature}",  # a longer life
        f"{share_id}.{expires}.{signature[:-2]}AA",  # another signature
        f"{'0' * 32}.{expires}.{signature}",  # another link
        "not-a-token",
    ]
    for bad in forged:
        page = web.get(f"/s/{bad}")
        assert page.status_code == 404, bad
        assert "text/html" in page.headers["content-type"]
        assert "not valid" in page.text
        assert web.get(f"/s/{bad}/video").status_code == 404


def test_an_expired_link_is_a_410_page(web: TestClient) -> None:
    rt = runtime_of(web)
    bearer(web, "alice")
    owner = user_id(web, "alice")
    gid = insert_generation(web, owner)
    with rt.db.write() as session:
        link = ShareLink(generation_id=gid, user_id=owner, expires_at=utcnow() - timedelta(seconds=5))
        session.add(link)
        session.flush()
        token = token_for(rt.settings.signing_key, link)
    page = web.get(f"/s/{token}")
    assert page.status_code == 410
    assert "expired" in page.text
    assert web.get(f"/s/{token}/video").status_code == 410


def test_resolving_checks_signature_then_expiry(web: TestClient) -> None:
    rt = runtime_of(web)
    bearer(web, "alice")
    owner = user_id(web, "alice")
    gid = insert_generation(web, owner)
    with rt.db.write() as session:
        link = ShareLink(generation_id=gid, user_id=owner, expires_at=utcnow() + timedelta(hours=1))
        session.add(link)
        session.flush()
        token = token_for(rt.settings.signing_key, link)
    with rt.db.read() as session:
        assert resolve_token(session, rt.settings.signing_key, token).id == link.id
        with pytest.raises(ShareGone):
            resolve_token(session, rt.settings.signing_key, token, now=utcnow() + timedelta(hours=2))
        with pytest.raises(NotFound):
            resolve_token(session, "another secret key", token)


def test_a_revoked_link_stops_working_and_only_its_owner_can_revoke(
    web: TestClient, shared: tuple[dict[str, str], dict[str, Any], dict[str, Any]]
) -> None:
    alice, detail, link = shared
    bob = bearer(web, "bob")
    assert web.delete(f"/api/shares/{link['id']}", headers=bob).status_code == 404
    assert web.delete(f"/api/shares/{link['id']}").status_code == 401
    assert web.delete(f"/api/shares/{link['id']}", headers=alice).status_code == 204
    assert web.get(_path(link["url"])).status_code == 410
    listed = web.get(f"/api/generations/{detail['id']}/shares", headers=alice).json()
    assert listed[0]["revoked_at"] is not None


def test_deleting_the_generation_kills_its_links(
    web: TestClient, shared: tuple[dict[str, str], dict[str, Any], dict[str, Any]]
) -> None:
    alice, detail, link = shared
    assert web.delete(f"/api/generations/{detail['id']}", headers=alice).status_code == 204
    assert web.get(_path(link["url"])).status_code == 404


@pytest.mark.parametrize("expires_in", [0, 59, 90 * 24 * 3600 + 1])
def test_share_lifetime_is_bounded(web: TestClient, expires_in: int) -> None:
    alice = bearer(web, "alice")
    gid = insert_generation(web, user_id(web, "alice"))
    response = web.post(f"/api/generations/{gid}/share", json={"expires_in": expires_in}, headers=alice)
    assert response.status_code == 422


def test_only_completed_generations_can_be_shared(web: TestClient) -> None:
    alice = bearer(web, "alice")
    gid = insert_generation(web, user_id(web, "alice"), status="failed")
    assert web.post(f"/api/generations/{gid}/share", headers=alice).status_code == 409
