"""The ledger under concurrency, uploads by content, rate limits, and the music-video helpers."""

from __future__ import annotations

import io
import threading
import wave
from collections import Counter

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from reelsmith.accounts import ledger
from reelsmith.accounts.service import create_user
from reelsmith.config import Settings
from reelsmith.db.models import LedgerEntry, User
from reelsmith.errors import InsufficientTokens, ReelsmithError
from reelsmith.generations.schemas import GenerationCreate
from reelsmith.generations.service import create_generation
from reelsmith.runtime import build_runtime
from reelsmith.vocabulary import STORYBOARD_PRICE, Mode
from tests.api.conftest import wait_done


def test_thirty_parallel_creations_with_balance_for_five(settings: Settings) -> None:
    rt = build_runtime(settings)  # no consumer: the queue just fills up
    with rt.db.write() as session:
        user_id = create_user(session, "spender", "long password", tokens=50).id
    outcomes: Counter[str] = Counter()
    barrier = threading.Barrier(30)

    def attempt() -> None:
        barrier.wait()
        try:
            create_generation(rt, user_id, GenerationCreate(mode=Mode.VIDEO, prompt="a clip"))
            outcomes["accepted"] += 1
        except InsufficientTokens:
            outcomes["402"] += 1
        except ReelsmithError as e:  # pragma: no cover - would be a bug
            outcomes[e.code] += 1

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == Counter({"accepted": 5, "402": 25})
    with rt.db.read() as session:
        user = session.get(User, user_id)
        assert user is not None
        assert user.token_balance == 0
        deltas = list(session.scalars(select(LedgerEntry.delta).where(LedgerEntry.user_id == user_id)))
    assert sorted(deltas) == [-10] * 5 + [50]
    rt.close()


def test_refund_with_the_same_key_lands_once(settings: Settings) -> None:
    rt = build_runtime(settings)
    with rt.db.write() as session:
        user_id = create_user(session, "refundee", "long password", tokens=0).id
    results = []
    for _ in range(3):
        with rt.db.write() as session:
            results.append(ledger.refund(session, user_id, 10, "refund:g:1"))
    assert results == [True, False, False]
    with rt.db.read() as session:
        user = session.get(User, user_id)
        assert user is not None
        assert user.token_balance == 10
    rt.close()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "navy").save(buf, "PNG")
    return buf.getvalue()


def _wav(seconds: float = 0.5) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x10" * int(8000 * seconds))
    return buf.getvalue()


def test_uploads_are_typed_by_content_not_name(client: TestClient, alice: dict[str, str]) -> None:
    image = client.post("/api/uploads", files={"file": ("song.mp3", _png(), "audio/mpeg")}, headers=alice)
    assert image.status_code == 201
    assert image.json()["content_type"] == "image/png"
    assert (image.json()["width"], image.json()["height"]) == (32, 24)
    audio = client.post("/api/uploads", files={"file": ("x.png", _wav(), "image/png")}, headers=alice)
    assert audio.status_code == 201
    assert audio.json()["kind"] == "upload_audio"
    text = client.post(
        "/api/uploads", files={"file": ("a.png", b"hello world" * 10, "image/png")}, headers=alice
    )
    assert text.status_code == 415
    assert "expected" in text.json()["detail"]
    info = client.get(f"/api/assets/{image.json()['id']}/info", headers=alice).json()
    assert info["bytes"] == len(_png())


def test_oversized_upload_is_413(client: TestClient, alice: dict[str, str]) -> None:
    big = b"\0" * (1024 * 1024 + 200_000)  # the test settings allow 1 MB
    response = client.post(
        "/api/uploads", files={"file": ("big.bin", big, "application/octet-stream")}, headers=alice
    )
    assert response.status_code == 413
    assert "file" in response.json()["detail"]


def test_rate_limit_is_429_with_retry_after(client: TestClient, alice: dict[str, str]) -> None:
    client.app.state.upload_limiter.limit = 2  # type: ignore[attr-defined]
    codes = [
        client.post("/api/uploads", files={"file": ("a.png", _png(), "image/png")}, headers=alice).status_code
        for _ in range(3)
    ]
    assert codes[:2] == [201, 201]
    assert codes[2] == 429
    last = client.post("/api/uploads", files={"file": ("a.png", _png(), "image/png")}, headers=alice)
    assert int(last.headers["retry-after"]) >= 1


def test_storyboard_is_synchronous_and_charged(client: TestClient, alice: dict[str, str]) -> None:
    response = client.post(
        "/api/storyboards", json={"prompt": "A neon city night drive", "scenes": 3}, headers=alice
    )
    assert response.status_code == 200
    assert len(response.json()["scenes"]) == 3
    assert response.json()["title"]
    assert client.get("/api/me", headers=alice).json()["token_balance"] == 50 - STORYBOARD_PRICE


def test_references_make_images_in_parallel_and_charge_one_each(
    client: TestClient, alice: dict[str, str]
) -> None:
    response = client.post(
        "/api/references", json={"description": "A knight in silver armour", "num_images": 3}, headers=alice
    )
    assert response.status_code == 200, response.text
    images = response.json()["images"]
    assert len(images) == 3
    assert all("base64" not in i for i in images)
    assert len({i["id"] for i in images}) == 3
    picture = client.get(images[0]["url"], headers=alice)
    assert picture.headers["content-type"] == "image/png"
    assert client.get("/api/me", headers=alice).json()["token_balance"] == 47
    with_b64 = client.post(
        "/api/references",
        json={"description": "A cat", "num_images": 1, "include_base64": True},
        headers=alice,
    ).json()
    assert with_b64["images"][0]["base64"]
    assert (
        client.post("/api/references", json={"description": "x", "num_images": 5}, headers=alice)
        .json()["detail"]
        .startswith("num_images")
    )


def test_stitch_endpoint_joins_generated_clips(client: TestClient, alice: dict[str, str]) -> None:
    ids = []
    for prompt in ("first", "second"):
        created = client.post(
            "/api/generations",
            json={"mode": "video", "prompt": prompt, "duration_s": 2, "aspect_ratio": "1:1"},
            headers=alice,
        ).json()
        ids.append(created["id"])
    clips = []
    for gid in ids:
        detail = wait_done(client, alice, gid)
        clips.append(detail["video_url"].rsplit("/", 1)[1])
    job = client.post("/api/stitch", json={"asset_ids": clips}, headers=alice)
    assert job.status_code == 202
    result = wait_done(client, alice, job.json()["id"])
    assert result["status"] == "completed"
    info = client.get(f"{result['video_url']}/info", headers=alice).json()
    assert abs(info["duration_s"] - 4.0) < 0.1
    bad = client.post("/api/stitch", json={"asset_ids": ["nope"]}, headers=alice)
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("asset_ids[0]")
