"""Stitching, storyboards and reference images over HTTP: each is paid for, refunded when it fails,
refused when the balance is short, rate-limited per user, and stitching takes a bounded input.

Every test ends with the books balanced: the user's balance is the sum of their ledger entries.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest
from fastapi.testclient import TestClient

from reelsmith.accounts import ledger
from reelsmith.accounts.service import create_user
from reelsmith.config import Settings
from reelsmith.db.models import Asset
from reelsmith.generations import lifecycle
from reelsmith.generations.service import create_stitch_job
from reelsmith.generations.uploads import store_upload
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import (
    MAX_STITCH_REPEATS,
    MAX_STITCH_S,
    STITCH_PRICE,
    STORYBOARD_PRICE,
    GenerationStatus,
)
from tests.api.conftest import wait_done
from tests.fakes.media import make_mp4
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import status_fault

SIGNUP_TOKENS = 50
REFUSED = status_fault(400, {"error": {"message": "injected refusal", "type": "invalid_request_error"}})


@pytest.fixture
def openai() -> Iterator[OpenAIFake]:
    """A fake OpenAI the tests can make refuse (the default text and image providers stay local)."""
    with OpenAIFake(b"no videos in these tests") as fake:
        yield fake


@pytest.fixture
def api_settings(settings: Settings, openai: OpenAIFake) -> Settings:
    """The API test settings, with `openai` reaching the fake."""
    return settings.model_copy(
        update={
            "max_upload_mb": 1,
            "generation_rate_per_minute": 1000,
            "signup_tokens": SIGNUP_TOKENS,
            "openai_api_key": openai.key,
            "openai_base_url": openai.base_url,
        }
    )


def _balance(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/api/me", headers=headers).json()["token_balance"])


def _movements(client: TestClient, headers: dict[str, str]) -> list[tuple[str, int]]:
    """(reason, delta) of every ledger entry of the user, oldest first."""
    rows = client.get("/api/me/ledger", headers=headers).json()
    return [(row["reason"], row["delta"]) for row in reversed(rows)]


def _assert_books_balance(client: TestClient, headers: dict[str, str]) -> None:
    assert _balance(client, headers) == sum(delta for _, delta in _movements(client, headers))


def _user_id(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.get("/api/me", headers=headers).json()["id"])


def _runtime(client: TestClient) -> Runtime:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return rt


def _spend_down_to(client: TestClient, headers: dict[str, str], keep: int) -> None:
    """Take tokens through the ledger until `keep` are left (as earlier purchases would have)."""
    with _runtime(client).db.write() as session:
        ledger.charge(session, _user_id(client, headers), _balance(client, headers) - keep, "spent-before")


def _upload(client: TestClient, headers: dict[str, str], path: Path) -> str:
    with path.open("rb") as f:
        response = client.post("/api/uploads", files={"file": (path.name, f, "video/mp4")}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _clip(client: TestClient, headers: dict[str, str], tmp_path: Path) -> str:
    """A one-second clip uploaded by the user."""
    return _upload(client, headers, make_mp4(tmp_path / "clip.mp4", seconds=1.0))


def _long_clip(client: TestClient, headers: dict[str, str], tmp_path: Path, seconds: int) -> str:
    """A long but tiny clip (64x36, one frame a second, no sound) uploaded by the user."""
    dest = tmp_path / "long.mp4"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"color=c=black:s=64x36:r=1:d={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(dest),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return _upload(client, headers, dest)


def _corrupt(client: TestClient, asset_id: str) -> None:
    """Overwrite the stored file of an asset with bytes no decoder can read (its row still says video)."""
    rt = _runtime(client)
    with rt.db.read() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        key = asset.storage_key
    rt.blobs.put_bytes(key, b"\x00\x00\x00\x18ftypisom" + b"\xde\xad" * 4096, "video/mp4")


def _stitch(client: TestClient, headers: dict[str, str], asset_ids: list[str]) -> Any:
    return client.post("/api/stitch", json={"asset_ids": asset_ids}, headers=headers)


# ---- Stitching -----------------------------------------------------------------------------------


def test_a_stitch_is_charged_per_clip_joined(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    clip = _clip(client, alice, tmp_path)
    job = _stitch(client, alice, [clip] * MAX_STITCH_REPEATS)
    assert job.status_code == 202, job.text
    price = STITCH_PRICE * MAX_STITCH_REPEATS
    assert _balance(client, alice) == SIGNUP_TOKENS - price
    done = wait_done(client, alice, job.json()["id"])
    assert done["status"] == GenerationStatus.COMPLETED, done
    assert done["tokens_charged"] == price
    assert _balance(client, alice) == SIGNUP_TOKENS - price
    assert _movements(client, alice) == [("grant", SIGNUP_TOKENS), ("charge", -price)]
    _assert_books_balance(client, alice)


def test_a_stitch_that_fails_is_refunded(client: TestClient, alice: dict[str, str], tmp_path: Path) -> None:
    clip = _clip(client, alice, tmp_path)
    _corrupt(client, clip)
    job = _stitch(client, alice, [clip, clip])
    assert job.status_code == 202, job.text
    done = wait_done(client, alice, job.json()["id"])
    assert done["status"] == GenerationStatus.FAILED, done
    assert _balance(client, alice) == SIGNUP_TOKENS
    price = 2 * STITCH_PRICE
    assert _movements(client, alice) == [("grant", SIGNUP_TOKENS), ("charge", -price), ("refund", price)]
    _assert_books_balance(client, alice)


def test_a_stitch_the_balance_cannot_cover_is_402(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    clip = _clip(client, alice, tmp_path)
    _spend_down_to(client, alice, 2 * STITCH_PRICE - 1)
    refused = _stitch(client, alice, [clip, clip])
    assert refused.status_code == 402, refused.text
    assert refused.json()["price"] == 2 * STITCH_PRICE
    assert client.get("/api/generations?mode=stitch", headers=alice).json()["items"] == []
    assert _balance(client, alice) == 2 * STITCH_PRICE - 1
    _assert_books_balance(client, alice)


def test_a_clip_named_too_often_is_422_naming_asset_ids(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    clip = _clip(client, alice, tmp_path)
    refused = _stitch(client, alice, [clip] * (MAX_STITCH_REPEATS + 1))
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("asset_ids:")
    assert _balance(client, alice) == SIGNUP_TOKENS


def test_clips_longer_in_all_than_the_cap_are_422_naming_asset_ids(
    client: TestClient, alice: dict[str, str], tmp_path: Path
) -> None:
    half = int(MAX_STITCH_S // 2) + 1
    clip = _long_clip(client, alice, tmp_path, half)  # alone it is within the cap, twice it is not
    refused = _stitch(client, alice, [clip, clip])
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("asset_ids:")
    assert _balance(client, alice) == SIGNUP_TOKENS


def test_a_canceled_stitch_is_refunded_once_even_after_a_retry(settings: Settings, tmp_path: Path) -> None:
    rt = build_runtime(settings)  # no consumer: the job waits in the queue until it is canceled
    try:
        with rt.db.write() as session:
            user_id = create_user(session, "joiner", "long password", tokens=10).id
        clip = store_upload(rt, user_id, make_mp4(tmp_path / "clip.mp4")).id
        job = create_stitch_job(rt, user_id, [clip, clip])
        lifecycle.cancel(rt, job)
        lifecycle.retry(rt, job)
        lifecycle.cancel(rt, job)
        with rt.db.read() as session:
            entries = ledger.history(session, user_id)
            balance = sum(e.delta for e in entries)
            refunds = [e.delta for e in entries if e.reason == "refund"]
            charges = [e.delta for e in entries if e.reason == "charge"]
        assert charges
        # Each run's charge comes back once, and nothing more than was charged.
        assert sum(refunds) == -sum(charges) == len(refunds) * 2 * STITCH_PRICE
        assert balance == 10
    finally:
        rt.close()


# ---- Storyboards ---------------------------------------------------------------------------------


def _storyboard(client: TestClient, headers: dict[str, str], **extra: Any) -> Any:
    body = {"prompt": "A neon city night drive", "scenes": 3, **extra}
    return client.post("/api/storyboards", json=body, headers=headers)


def test_a_storyboard_costs_its_price(client: TestClient, alice: dict[str, str]) -> None:
    drafted = _storyboard(client, alice)
    assert drafted.status_code == 200, drafted.text
    assert len(drafted.json()["scenes"]) == 3
    assert _balance(client, alice) == SIGNUP_TOKENS - STORYBOARD_PRICE
    _assert_books_balance(client, alice)


def test_a_storyboard_the_text_model_fails_is_refunded(
    client: TestClient, alice: dict[str, str], openai: OpenAIFake
) -> None:
    openai.fail_always("chat", REFUSED)
    failed = _storyboard(client, alice, text_provider="openai")
    assert failed.status_code == 502, failed.text
    assert "injected refusal" in failed.json()["detail"]
    assert openai.calls("chat")
    assert _balance(client, alice) == SIGNUP_TOKENS
    assert _movements(client, alice) == [
        ("grant", SIGNUP_TOKENS),
        ("charge", -STORYBOARD_PRICE),
        ("refund", STORYBOARD_PRICE),
    ]
    _assert_books_balance(client, alice)


def test_a_storyboard_the_balance_cannot_cover_is_402_before_any_provider_call(
    client: TestClient, alice: dict[str, str], openai: OpenAIFake
) -> None:
    _spend_down_to(client, alice, STORYBOARD_PRICE - 1)
    refused = _storyboard(client, alice, text_provider="openai")
    assert refused.status_code == 402, refused.text
    assert openai.calls("chat") == []
    _assert_books_balance(client, alice)


# ---- Rate limits ---------------------------------------------------------------------------------

LIMITED = [
    ("stitch_limiter", "/api/stitch", {"asset_ids": ["no-such-clip"]}),
    ("storyboard_limiter", "/api/storyboards", {"prompt": "A lighthouse", "scenes": 1}),
    ("reference_limiter", "/api/references", {"description": "A knight", "num_images": 1}),
]


@pytest.mark.parametrize(("limiter", "path", "body"), LIMITED, ids=[p for _, p, _ in LIMITED])
def test_a_user_past_the_limit_is_429_with_retry_after(
    client: TestClient,
    alice: dict[str, str],
    bob: dict[str, str],
    limiter: str,
    path: str,
    body: dict[str, Any],
) -> None:
    getattr(client.app.state, limiter).limit = 2  # type: ignore[attr-defined]
    answers = [client.post(path, json=body, headers=alice) for _ in range(3)]
    assert [a.status_code == 429 for a in answers] == [False, False, True], [a.text for a in answers]
    assert int(answers[2].headers["retry-after"]) >= 1
    assert client.post(path, json=body, headers=bob).status_code != 429  # the limit is per user
    _assert_books_balance(client, alice)
