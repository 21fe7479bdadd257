"""Publishing, the feed, likes and profiles over the JSON API."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelsmith.accounts.service import create_user
from reelsmith.db.models import Generation, Like, utcnow
from reelsmith.feed import service
from tests.web.conftest import bearer, insert_generation, runtime_of, user_id


@pytest.mark.parametrize("status", ["queued", "processing", "failed", "canceled"])
def test_only_completed_generations_can_be_published(web: TestClient, status: str) -> None:
    alice = bearer(web, "alice")
    gid = insert_generation(web, user_id(web, "alice"), status=status)
    response = web.post(f"/api/generations/{gid}/publish", json={"caption": "hi"}, headers=alice)
    assert response.status_code == 409
    assert response.json()["code"] == "wrong_state"


def test_publish_puts_it_on_the_feed_with_creator_and_caption_and_unpublish_takes_it_off(
    web: TestClient,
) -> None:
    alice = bearer(web, "alice")
    gid = insert_generation(web, user_id(web, "alice"), title="Harbour")
    published = web.post(f"/api/generations/{gid}/publish", json={"caption": " At dawn "}, headers=alice)
    assert published.status_code == 200
    assert published.json()["visibility"] == "published"
    assert published.json()["caption"] == "At dawn"
    feed = web.get("/api/feed").json()
    assert [i["id"] for i in feed["items"]] == [gid]
    item = feed["items"][0]
    assert item["creator"] == {"username": "alice", "url": "/u/alice"}
    assert item["caption"] == "At dawn"
    assert item["like_count"] == 0
    assert item["liked_by_me"] is False
    assert web.post(f"/api/generations/{gid}/unpublish", headers=alice).json()["visibility"] == "draft"
    assert web.get("/api/feed").json()["items"] == []


def test_publish_without_a_body_clears_the_caption(web: TestClient) -> None:
    alice = bearer(web, "alice")
    gid = insert_generation(web, user_id(web, "alice"), caption="old")
    assert web.post(f"/api/generations/{gid}/publish", headers=alice).json()["caption"] is None


def test_feed_is_newest_first_and_pages_with_a_cursor(web: TestClient) -> None:
    bearer(web, "alice")
    owner = user_id(web, "alice")
    now = utcnow()
    ids = [
        insert_generation(web, owner, visibility="published", published_at=now - timedelta(minutes=n))
        for n in range(5)
    ]
    insert_generation(web, owner)  # a draft never shows
    seen: list[str] = []
    cursor = None
    while True:
        page = web.get("/api/feed", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert web.get("/api/feed", params={"cursor": "%%%"}).status_code == 422


def test_strangers_cannot_publish_unpublish_or_share(web: TestClient) -> None:
    bearer(web, "alice")
    bob = bearer(web, "bob")
    gid = insert_generation(web, user_id(web, "alice"))
    for path in ("publish", "unpublish", "share"):
        assert web.post(f"/api/generations/{gid}/{path}", headers=bob).status_code == 404


def test_likes_are_idempotent_and_per_viewer(web: TestClient) -> None:
    alice = bearer(web, "alice")
    bob = bearer(web, "bob")
    gid = insert_generation(web, user_id(web, "alice"), visibility="published")
    for _ in range(3):
        liked = web.post(f"/api/generations/{gid}/like", headers=bob)
        assert liked.status_code == 200
        assert liked.json() == {"id": gid, "liked_by_me": True, "like_count": 1}
    assert web.get("/api/feed", headers=bob).json()["items"][0]["liked_by_me"] is True
    assert web.get("/api/feed", headers=alice).json()["items"][0]["liked_by_me"] is False
    assert web.get("/api/feed").json()["items"][0]["like_count"] == 1
    for _ in range(2):
        unliked = web.delete(f"/api/generations/{gid}/like", headers=bob)
        assert unliked.json() == {"id": gid, "liked_by_me": False, "like_count": 0}


def test_liking_requires_a_user(web: TestClient) -> None:
    bearer(web, "alice")
    gid = insert_generation(web, user_id(web, "alice"), visibility="published")
    assert web.post(f"/api/generations/{gid}/like").status_code == 401


def test_a_draft_cannot_be_liked(web: TestClient) -> None:
    alice = bearer(web, "alice")
    bob = bearer(web, "bob")
    gid = insert_generation(web, user_id(web, "alice"))
    assert web.post(f"/api/generations/{gid}/like", headers=bob).status_code == 404
    assert web.post(f"/api/generations/{gid}/like", headers=alice).status_code == 409
    assert web.post("/api/generations/nope/like", headers=bob).status_code == 404


def test_like_count_stays_exact_under_concurrent_likes_and_unlikes(web: TestClient) -> None:
    rt = runtime_of(web)
    bearer(web, "alice")
    gid = insert_generation(web, user_id(web, "alice"), visibility="published")
    with rt.db.write() as session:
        fans = [create_user(session, f"fan{n}", None).id for n in range(12)]

    def storm(fan: str) -> None:
        # Every fan likes three times, unlikes twice and likes again: each ends up liking it once.
        for action in ("like", "like", "unlike", "like", "unlike", "like"):
            (service.like if action == "like" else service.unlike)(rt, fan, gid)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(storm, fans + fans[:4]))
    with rt.db.read() as session:
        rows = session.scalar(select(func.count()).select_from(Like).where(Like.generation_id == gid))
        counter = session.scalar(select(Generation.like_count).where(Generation.id == gid))
    assert rows == counter == len(fans)


def test_a_profile_lists_published_work_only(web: TestClient) -> None:
    bearer(web, "alice")
    owner = user_id(web, "alice")
    shown = insert_generation(web, owner, visibility="published")
    insert_generation(web, owner)
    page = web.get("/api/users/ALICE/generations").json()
    assert page["username"] == "alice"
    assert page["published"] == 1
    assert [i["id"] for i in page["items"]] == [shown]
    assert web.get("/api/users/nobody/generations").status_code == 404


def test_the_new_endpoints_are_in_the_openapi_spec(web: TestClient) -> None:
    paths = web.get("/openapi.json").json()["paths"]
    for path in (
        "/api/generations/{generation_id}/publish",
        "/api/generations/{generation_id}/unpublish",
        "/api/feed",
        "/api/generations/{generation_id}/like",
        "/api/generations/{generation_id}/share",
        "/api/shares/{share_id}",
        "/api/users/{username}/generations",
    ):
        assert path in paths, path
    assert not any(p.startswith(("/g/", "/explore", "/s/")) for p in paths)
