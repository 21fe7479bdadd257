"""Each user's uploads fit a storage quota; an upload can be deleted unless a generation uses it."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from reelsmith.config import Settings
from reelsmith.db.models import Asset, Generation, User
from reelsmith.runtime import Runtime
from reelsmith.server.app import create_app
from reelsmith.vocabulary import Mode
from tests.api.conftest import signup

QUOTA_MB = 1
BOUNDARY = "quota-test-boundary"


@pytest.fixture
def app(api_settings: Settings) -> Iterator[FastAPI]:
    """The app (no worker) with a 1 MB upload limit and a 1 MB quota per user."""
    app = create_app(api_settings.model_copy(update={"upload_quota_mb": QUOTA_MB}))
    yield app
    app.state.runtime.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _wav(size_bytes: int) -> bytes:
    """A silent 8 kHz 16-bit mono WAV of about `size_bytes`."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * (size_bytes // 2))
    return buf.getvalue()


def _upload(client: TestClient, headers: dict[str, str], data: bytes) -> tuple[int, dict[str, object]]:
    response = client.post("/api/uploads", files={"file": ("song.wav", data, "audio/wav")}, headers=headers)
    return response.status_code, response.json()


def _upload_undeclared(client: TestClient, headers: dict[str, str], data: bytes) -> tuple[int, str]:
    """Upload without a Content-Length (chunked), so only the size actually received can be checked."""
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="song.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    response = client.post(
        "/api/uploads",
        content=iter([body]),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert "content-length" not in response.request.headers
    return response.status_code, str(response.json().get("detail", ""))


def _runtime(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


def test_me_reports_storage_used_and_quota(client: TestClient) -> None:
    alice = signup(client, "alice")
    status, asset = _upload(client, alice, _wav(300_000))
    assert status == 201
    me = client.get("/api/me", headers=alice).json()
    assert me["storage_used_bytes"] == asset["bytes"]
    assert me["storage_quota_bytes"] == QUOTA_MB * 1024 * 1024


def test_only_uploads_count_towards_the_quota(client: TestClient) -> None:
    alice = signup(client, "alice")
    _upload(client, alice, _wav(300_000))
    with _runtime(client).db.write() as session:
        owner = session.scalars(select(User).where(User.username == "alice")).one()
        session.add(
            Asset(
                user_id=owner.id,
                kind="clip",
                storage_key="clips/x.mp4",
                content_type="video/mp4",
                bytes=5 * 1024 * 1024,
                sha256="0" * 64,
            )
        )
    me = client.get("/api/me", headers=alice).json()
    assert me["storage_used_bytes"] < 400_000


def test_declared_upload_over_the_quota_is_413(client: TestClient) -> None:
    alice = signup(client, "alice")
    assert _upload(client, alice, _wav(600_000))[0] == 201
    status, answer = _upload(client, alice, _wav(600_000))
    assert status == 413
    assert f"quota of {QUOTA_MB} MB" in str(answer["detail"])


def test_undeclared_upload_over_the_quota_is_413_by_its_size(client: TestClient) -> None:
    alice = signup(client, "alice")
    assert _upload_undeclared(client, alice, _wav(600_000))[0] == 201
    status, detail = _upload_undeclared(client, alice, _wav(600_000))
    assert status == 413
    assert f"quota of {QUOTA_MB} MB" in detail
    assert client.get("/api/me", headers=alice).json()["storage_used_bytes"] < 700_000


def test_quota_is_per_user(client: TestClient) -> None:
    alice, bob = signup(client, "alice"), signup(client, "bob")
    assert _upload(client, alice, _wav(600_000))[0] == 201
    assert _upload(client, bob, _wav(600_000))[0] == 201


def test_deleting_an_upload_frees_its_quota_and_removes_the_blob(client: TestClient) -> None:
    alice = signup(client, "alice")
    _, asset = _upload(client, alice, _wav(600_000))
    rt = _runtime(client)
    with rt.db.read() as session:
        key = session.get_one(Asset, asset["id"]).storage_key
    assert rt.blobs.exists(key)
    assert client.delete(f"/api/uploads/{asset['id']}", headers=alice).status_code == 204
    assert client.get(f"/api/assets/{asset['id']}/info", headers=alice).status_code == 404
    assert not rt.blobs.exists(key)
    assert client.get("/api/me", headers=alice).json()["storage_used_bytes"] == 0
    assert _upload(client, alice, _wav(600_000))[0] == 201


def test_only_the_owner_can_delete_an_upload(client: TestClient) -> None:
    alice, bob = signup(client, "alice"), signup(client, "bob")
    _, asset = _upload(client, alice, _wav(100_000))
    assert client.delete(f"/api/uploads/{asset['id']}", headers=bob).status_code == 404
    assert client.delete("/api/uploads/no-such-asset", headers=alice).status_code == 404
    assert client.get(f"/api/assets/{asset['id']}/info", headers=alice).status_code == 200


def test_generated_assets_are_not_deleted_as_uploads(client: TestClient) -> None:
    alice = signup(client, "alice")
    with _runtime(client).db.write() as session:
        owner = session.scalars(select(User).where(User.username == "alice")).one()
        clip = Asset(
            user_id=owner.id,
            kind="clip",
            storage_key="clips/y.mp4",
            content_type="video/mp4",
            bytes=10,
            sha256="0" * 64,
        )
        session.add(clip)
        session.flush()
        clip_id = clip.id
    assert client.delete(f"/api/uploads/{clip_id}", headers=alice).status_code == 404


@pytest.mark.parametrize("field", ["reference_asset_ids", "song_asset_id", "source_asset_id", "asset_ids"])
def test_an_upload_a_generation_uses_is_409(client: TestClient, field: str) -> None:
    alice = signup(client, "alice")
    _, asset = _upload(client, alice, _wav(100_000))
    rt = _runtime(client)
    with rt.db.write() as session:
        owner = session.scalars(select(User).where(User.username == "alice")).one()
        session.add(
            Generation(
                user_id=owner.id,
                mode=Mode.STORY,
                prompt="uses the upload",
                params={field: ["another", asset["id"]] if field.endswith("_ids") else asset["id"]},
            )
        )
    response = client.delete(f"/api/uploads/{asset['id']}", headers=alice)
    assert response.status_code == 409
    assert "generation" in response.json()["detail"]
    assert client.get(f"/api/assets/{asset['id']}/info", headers=alice).status_code == 200


def test_two_uploads_that_each_fit_cannot_both_be_kept_past_the_quota(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    from reelsmith.errors import TooLarge
    from reelsmith.generations.uploads import check_quota, store_upload

    rt: Runtime = app.state.runtime
    signup(client, "racer")
    with rt.db.read() as session:
        user_id = session.scalars(select(User.id).where(User.username == "racer")).one()
    files = []
    for name in ("first.wav", "second.wav"):
        path = tmp_path / name
        path.write_bytes(_wav(600_000))
        files.append(path)
    for path in files:  # sent at once: each passes the early check before either is kept
        check_quota(rt, user_id, path.stat().st_size)

    kept = store_upload(rt, user_id, files[0], within_quota=True)
    with pytest.raises(TooLarge):
        store_upload(rt, user_id, files[1], within_quota=True)

    with rt.db.read() as session:
        uploads = session.scalars(select(Asset.id).where(Asset.user_id == user_id)).all()
    assert uploads == [kept.id]
    assert [b.key for b in rt.blobs.list_blobs("uploads/")] == [kept.storage_key]
