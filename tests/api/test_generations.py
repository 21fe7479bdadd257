"""Generations over HTTP: create, follow live, download with Range, list, cancel, retry, delete."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reelsmith.config import Settings
from reelsmith.server.app import create_app
from tests.api.conftest import signup, wait_done


def _story(client: TestClient, headers: dict[str, str], **extra: object) -> str:
    body = {
        "mode": "story",
        "prompt": "A luxurious perfume advertisement",
        "scenes": 2,
        "aspect_ratio": "1:1",
    }
    response = client.post("/api/generations", json={**body, **extra}, headers=headers)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/generations/{response.json()['id']}"
    return str(response.json()["id"])


def test_story_streams_progress_to_completion_and_the_video_downloads_with_range(
    client: TestClient, alice: dict[str, str]
) -> None:
    gid = _story(client, alice)
    events: list[tuple[str, dict[str, object]]] = []
    with client.stream("GET", f"/api/generations/{gid}/events", headers=alice) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "done"
    progress = [int(str(p["progress"])) for k, p in events if k == "progress"]
    assert progress == sorted(progress)
    assert progress[-1] == 100
    assert {"step", "scene"} <= set(kinds)

    detail = client.get(f"/api/generations/{gid}", headers=alice).json()
    assert detail["status"] == "completed"
    assert detail["tokens_charged"] == 20
    assert len(detail["variants"][0]["scenes"]) == 2
    assert len(detail["conversation"]) == 4
    video = client.get(detail["video_url"], headers=alice)
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"
    part = client.get(detail["video_url"], headers={**alice, "Range": "bytes=0-99"})
    assert part.status_code == 206
    assert len(part.content) == 100
    assert part.headers["content-range"] == f"bytes 0-99/{len(video.content)}"
    tail = client.get(detail["video_url"], headers={**alice, "Range": "bytes=-10"})
    assert tail.status_code == 206
    assert tail.content == video.content[-10:]
    bad = client.get(detail["video_url"], headers={**alice, "Range": f"bytes={len(video.content)}-"})
    assert bad.status_code == 416
    assert client.get(detail["thumbnail_url"], headers=alice).headers["content-type"] == "image/jpeg"


def test_events_resume_after_last_event_id(client: TestClient, alice: dict[str, str]) -> None:
    gid = _story(client, alice, mode="image", prompt="A red fox")
    wait_done(client, alice, gid)
    ids = []
    with client.stream("GET", f"/api/generations/{gid}/events", headers=alice) as response:
        ids = [int(line[4:]) for line in response.iter_lines() if line.startswith("id: ")]
    assert len(ids) >= 3
    with client.stream(
        "GET", f"/api/generations/{gid}/events", headers={**alice, "Last-Event-ID": str(ids[1])}
    ) as response:
        resumed = [int(line[4:]) for line in response.iter_lines() if line.startswith("id: ")]
    assert resumed == ids[2:]


def test_short_balance_is_402_with_balance_and_price(client: TestClient, alice: dict[str, str]) -> None:
    response = client.post("/api/generations", json={"prompt": "x", "scenes": 6}, headers=alice)
    assert response.status_code == 402
    assert response.json()["balance"] == 50
    assert response.json()["price"] == 60
    assert client.get("/api/me", headers=alice).json()["token_balance"] == 50


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": "x", "scenes": -1}, "scenes"),
        ({"prompt": "x", "scenes": 10000}, "scenes"),
        ({"prompt": "x", "scenes": "many"}, "scenes"),
        ({"prompt": ""}, "prompt"),
        ({"scenes": 2}, "prompt"),
        ({"prompt": "x", "mode": "opera"}, "mode"),
        ({"prompt": "x", "aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"prompt": "x", "surprise": 1}, "surprise"),
        ({"prompt": "x", "reference_asset_ids": ["nope"]}, "reference_asset_ids[0]"),
        ({"prompt": "x", "providers": {"video": "nosuch"}}, "providers.video"),
        ({"prompt": "x", "mode": "music_video"}, "song_asset_id"),
        ({"prompt": "x", "mode": "music_video", "song_asset_id": "nope"}, "song_asset_id"),
        ({"prompt": "x", "mode": "ad_clone"}, "source_asset_id"),
        ({"prompt": "x", "mode": "ad_clone", "source_asset_id": "nope"}, "source_asset_id"),
        ({"prompt": "x", "mode": "ad_clone", "variants": ["wild"]}, "variants.0"),
        ({"prompt": "x", "mode": "ad_clone", "variants": []}, "variants"),
    ],
)
def test_bad_generation_requests_are_4xx_naming_the_field(
    client: TestClient, alice: dict[str, str], body: dict[str, object], field: str
) -> None:
    response = client.post("/api/generations", json=body, headers=alice)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"].startswith(field), response.json()


def test_malformed_json_bad_cursor_and_unknown_ids_are_4xx(client: TestClient, alice: dict[str, str]) -> None:
    response = client.post(
        "/api/generations", content=b"{nope", headers={**alice, "content-type": "application/json"}
    )
    assert response.status_code == 422
    assert client.get("/api/generations?cursor=%%%%", headers=alice).status_code == 422
    assert client.get("/api/generations?cursor=Zm9v", headers=alice).json()["detail"].startswith("cursor")
    assert client.get("/api/generations?limit=0", headers=alice).json()["detail"].startswith("limit")
    assert client.get("/api/generations/does-not-exist", headers=alice).status_code == 404
    assert client.get("/api/assets/does-not-exist", headers=alice).status_code == 404


def test_list_filters_searches_and_pages_newest_first(client: TestClient, alice: dict[str, str]) -> None:
    ids = [
        _story(client, alice, mode="image", prompt=f"picture number {n} of a {'cat' if n % 2 else 'dog'}")
        for n in range(5)
    ]
    for gid in ids:
        wait_done(client, alice, gid)
    first = client.get("/api/generations?limit=2", headers=alice).json()
    second = client.get(f"/api/generations?limit=2&cursor={first['next_cursor']}", headers=alice).json()
    third = client.get(f"/api/generations?limit=2&cursor={second['next_cursor']}", headers=alice).json()
    seen = [g["id"] for page in (first, second, third) for g in page["items"]]
    assert seen == list(reversed(ids))
    assert third["next_cursor"] is None
    cats = client.get("/api/generations?q=CAT", headers=alice).json()["items"]
    assert len(cats) == 2
    assert len(client.get("/api/generations?mode=image&status=completed", headers=alice).json()["items"]) == 5
    assert client.get("/api/generations?status=failed", headers=alice).json()["items"] == []
    assert len(client.get("/api/library", headers=alice).json()["items"]) == 5
    stats = client.get("/api/stats", headers=alice).json()
    assert stats["by_mode"] == {"image": 5}
    assert stats["tokens_spent"] == 5


def test_forced_clip_failure_refunds_exactly_once(client: TestClient, alice: dict[str, str]) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "orange").save(buf, "PNG")
    upload = client.post(
        "/api/uploads", files={"file": ("ref.png", buf.getvalue(), "image/png")}, headers=alice
    )
    assert upload.status_code == 201, upload.text
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    stored = next(Path(runtime.settings.data_dir, "blobs", "uploads").glob(f"{upload.json()['id']}.*"))
    stored.write_bytes(b"broken after upload")  # every render of this reference now fails
    response = client.post(
        "/api/generations",
        json={
            "mode": "video",
            "prompt": "Spinning record",
            "duration_s": 2,
            "reference_asset_ids": [upload.json()["id"]],
        },
        headers=alice,
    )
    gid = response.json()["id"]
    detail = wait_done(client, alice, gid)
    assert detail["status"] == "failed"
    assert detail["error_message"].startswith("Scene 1 failed")
    ledger = client.get("/api/me/ledger", headers=alice).json()
    refunds = [e for e in ledger if e["reason"] == "refund" and e["generation_id"] == gid]
    assert len(refunds) == 1
    assert refunds[0]["delta"] == 10
    assert client.get("/api/me", headers=alice).json()["token_balance"] == 50
    # Retrying charges again, and a second failure refunds that run once more: never twice per run.
    assert client.post(f"/api/generations/{gid}/retry", headers=alice).status_code == 202
    assert wait_done(client, alice, gid)["status"] == "failed"
    ledger = client.get("/api/me/ledger", headers=alice).json()
    assert len([e for e in ledger if e["reason"] == "refund" and e["generation_id"] == gid]) == 2
    assert client.get("/api/me", headers=alice).json()["token_balance"] == 50


def test_cancel_refunds_and_retry_resumes(client: TestClient, alice: dict[str, str]) -> None:
    gid = _story(client, alice, scenes=3)
    # Cancelled at once: three clips take seconds to render, the request milliseconds.
    canceled = client.post(f"/api/generations/{gid}/cancel", headers=alice)
    assert canceled.status_code == 202
    assert canceled.json()["status"] == "canceled"
    assert client.get("/api/me", headers=alice).json()["token_balance"] == 50  # all 30 came back
    assert client.post(f"/api/generations/{gid}/cancel", headers=alice).status_code == 409
    assert client.post(f"/api/generations/{gid}/retry", headers=alice).status_code == 202
    detail = wait_done(client, alice, gid)
    assert detail["status"] == "completed"
    assert client.get("/api/me", headers=alice).json()["token_balance"] == 20


def test_regenerate_one_scene_rerenders_it_and_restitches(client: TestClient, alice: dict[str, str]) -> None:
    gid = _story(client, alice)
    before = wait_done(client, alice, gid)
    scene = before["variants"][0]["scenes"][1]
    response = client.post(f"/api/scenes/{scene['id']}/regenerate", headers=alice)
    assert response.status_code == 202
    after = wait_done(client, alice, gid)
    assert after["status"] == "completed"
    new_scene = after["variants"][0]["scenes"][1]
    assert new_scene["video_url"] != scene["video_url"]
    assert after["variants"][0]["scenes"][0]["video_url"] == before["variants"][0]["scenes"][0]["video_url"]
    assert client.get("/api/me", headers=alice).json()["token_balance"] == 50 - 20 - 10


def test_a_failed_regeneration_keeps_the_finished_video_and_refunds(
    client: TestClient, alice: dict[str, str]
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(buf, "PNG")
    upload = client.post(
        "/api/uploads", files={"file": ("ref.png", buf.getvalue(), "image/png")}, headers=alice
    )
    body = {
        "mode": "video",
        "prompt": "Teal waves",
        "duration_s": 2,
        "reference_asset_ids": [upload.json()["id"]],
    }
    gid = client.post("/api/generations", json=body, headers=alice).json()["id"]
    before = wait_done(client, alice, gid)
    assert before["status"] == "completed"
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    stored = next(Path(runtime.settings.data_dir, "blobs", "uploads").glob(f"{upload.json()['id']}.*"))
    stored.write_bytes(b"broken after the first render")  # the re-render of this scene now fails
    scene = before["variants"][0]["scenes"][0]
    assert client.post(f"/api/scenes/{scene['id']}/regenerate", headers=alice).status_code == 202
    after = wait_done(client, alice, gid)
    assert after["status"] == "completed"
    assert after["error_message"] is None
    kept = after["variants"][0]["scenes"][0]
    assert kept["status"] == "completed"
    assert kept["video_url"] == scene["video_url"]
    assert kept["error_message"].startswith("regeneration failed, the previous clip is kept")
    assert after["video_url"] == before["video_url"]
    assert client.get(after["video_url"], headers=alice).status_code == 200
    assert client.get("/api/me", headers=alice).json()["token_balance"] == 50 - 10  # the re-render refunded
    ledger = client.get("/api/me/ledger", headers=alice).json()
    assert [e["delta"] for e in ledger if e["reason"] == "refund" and e["generation_id"] == gid] == [10]


def test_delete_removes_rows_and_files(client: TestClient, alice: dict[str, str]) -> None:
    gid = _story(client, alice, mode="image", prompt="A lighthouse")
    detail = wait_done(client, alice, gid)
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    folder = Path(runtime.settings.data_dir, "blobs", "generations", gid)
    assert folder.exists()
    assert client.delete(f"/api/generations/{gid}", headers=alice).status_code == 204
    assert client.get(f"/api/generations/{gid}", headers=alice).status_code == 404
    assert client.get(detail["image_url"], headers=alice).status_code == 404
    assert not folder.exists()


def test_another_users_things_are_404(client: TestClient, alice: dict[str, str], bob: dict[str, str]) -> None:
    gid = _story(client, alice, mode="video", prompt="Alice's private clip", duration_s=2)
    detail = wait_done(client, alice, gid)
    scene_id = detail["variants"][0]["scenes"][0]["id"]
    asset = detail["video_url"]
    for method, url in [
        ("GET", f"/api/generations/{gid}"),
        ("GET", f"/api/generations/{gid}/events"),
        ("GET", f"/api/generations/{gid}/thumbnail"),
        ("POST", f"/api/generations/{gid}/cancel"),
        ("POST", f"/api/generations/{gid}/retry"),
        ("POST", f"/api/scenes/{scene_id}/regenerate"),
        ("DELETE", f"/api/generations/{gid}"),
        ("GET", asset),
        ("GET", f"{asset}/info"),
    ]:
        response = client.request(method, url, headers=bob)
        assert response.status_code == 404, (method, url, response.status_code)
    assert client.get("/api/generations", headers=bob).json()["items"] == []
    assert client.get(f"/api/generations/{gid}", headers=alice).status_code == 200


def test_health_and_metrics(client: TestClient, alice: dict[str, str], api_settings: Settings) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    gid = _story(client, alice, mode="image", prompt="A kite")
    wait_done(client, alice, gid)
    assert client.get("/metrics").status_code == 404  # not served without a metrics token
    # Another server of the same deployment, with a token for its scraper, reports the shared truth.
    scraping = create_app(api_settings.model_copy(update={"metrics_token": "scrape"}))
    with TestClient(scraping) as scraper:
        text = scraper.get("/metrics", headers={"Authorization": "Bearer scrape"}).text
    scraping.state.runtime.close()
    assert 'reelsmith_generations{mode="image",status="completed"} 1.0' in text
    assert "reelsmith_queue_depth" in text
    assert "reelsmith_provider_calls_total" in text


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/generations" in spec["paths"]
    assert "/api/auth/token" in spec["paths"]


def test_second_user_starts_with_own_balance(client: TestClient) -> None:
    headers = signup(client)
    assert client.get("/api/me", headers=headers).json()["token_balance"] == 50


def test_an_open_event_stream_holds_no_database_connection(api_settings: Settings) -> None:
    import threading
    import time

    from reelsmith.server.app import create_app

    app = create_app(api_settings)  # no consumer: the generation stays queued and the stream stays open
    runtime = app.state.runtime
    client = TestClient(app)
    headers = signup(client, "streamer")
    gid = client.post("/api/generations", json={"mode": "image", "prompt": "a"}, headers=headers).json()["id"]
    opened, done = threading.Event(), threading.Event()
    held: list[int] = []

    def follow() -> None:
        with client.stream("GET", f"/api/generations/{gid}/events", headers=headers) as response:
            for _ in response.iter_lines():
                if not opened.is_set():
                    opened.set()
                    done.wait(10)
                    # The stream reads the database briefly when woken; a held connection never goes away.
                    samples = []
                    for _ in range(10):
                        samples.append(runtime.db.engine.pool.checkedout())
                        time.sleep(0.1)
                    held.append(min(samples))
                    return

    follower = threading.Thread(target=follow)
    follower.start()
    assert opened.wait(30)
    done.set()
    follower.join(30)
    assert held == [0]
    runtime.close()
