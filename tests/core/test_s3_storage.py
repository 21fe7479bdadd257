"""s3:// storage against a local server speaking the S3 REST protocol: the blob contract, then a whole
generation stored in a bucket and served to a player with Range requests."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from reelsmith.config import Settings
from reelsmith.errors import InvalidInput, NotFound
from reelsmith.generations.reading import get_generation, read_generation
from reelsmith.server.app import create_app
from reelsmith.storage import BlobStore, LocalBlobStore, keys, open_blob_store
from tests.support import wait_until
from tests.support.buckets import s3_server

boto3 = pytest.importorskip("boto3")

BUCKET = "reelsmith-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3 server on loopback with an empty bucket, and credentials for it in the environment."""
    with s3_server(BUCKET) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    endpoint = request.getfixturevalue("s3_endpoint")
    prefix = f"run-{time.monotonic_ns()}"  # every test gets its own corner of the bucket
    return open_blob_store(f"s3://{BUCKET}/{prefix}", s3_endpoint_url=endpoint, scratch=tmp_path / "tmp")


def test_put_read_seek_and_copy_locally(store: BlobStore, tmp_path: Path) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB with a position-dependent pattern
    source = tmp_path / "clip.mp4"
    source.write_bytes(data)
    key = keys.final_video("g1", "default")
    assert store.put_file(key, source, "video/mp4") == len(data)
    assert store.exists(key)
    assert not store.exists(keys.final_video("g2", "default"))
    with store.open(key) as f:
        f.seek(300_000)
        assert f.read(10) == data[300_000:300_010]
        f.seek(-5, os.SEEK_END)
        assert f.read() == data[-5:]
    with store.local_path(key) as path:
        assert path.read_bytes() == data
        assert path.suffix == ".mp4"
    assert store.put_bytes("uploads/a.txt", b"hello", "text/plain") == 5
    with store.open("uploads/a.txt") as f:
        assert f.read() == b"hello"


def test_missing_blobs_and_bad_keys(store: BlobStore) -> None:
    with pytest.raises(NotFound):
        store.open("nope/missing.mp4")
    with pytest.raises(NotFound), store.local_path("nope/missing.mp4"):
        pass
    for bad in ("../escape", "/abs", ""):
        with pytest.raises(InvalidInput):
            store.put_bytes(bad, b"x", "text/plain")


def test_only_a_folder_store_names_its_own_files(store: BlobStore) -> None:
    store.put_bytes(keys.reference("r2"), b"png", "image/png")
    own = store.own_file(keys.reference("r2"))
    if isinstance(store, LocalBlobStore):
        assert own is not None
        assert own.read_bytes() == b"png"
    else:
        assert own is None  # a bucket keeps objects; nothing is fetched to name a file


def test_cached_path_is_a_local_file_that_follows_the_blob(store: BlobStore) -> None:
    key = keys.reference("r1")
    store.put_bytes(key, b"first", "image/png")
    path = store.cached_path(key)
    assert path.read_bytes() == b"first"
    assert path.suffix == ".png"
    assert store.cached_path(key) == path  # asked again: the same file, nothing fetched anew
    store.put_bytes(key, b"second", "image/png")
    assert store.cached_path(key).read_bytes() == b"second"
    with pytest.raises(NotFound):
        store.cached_path("references/missing.png")


def test_s3_cached_copies_live_in_the_scratch_folder(s3_endpoint: str, tmp_path: Path) -> None:
    store = open_blob_store(f"s3://{BUCKET}/cache-{time.monotonic_ns()}", s3_endpoint_url=s3_endpoint,
                            scratch=tmp_path / "scratch")  # fmt: skip
    store.put_bytes("uploads/a.png", b"png", "image/png")
    assert store.cached_path("uploads/a.png").is_relative_to(tmp_path / "scratch")


def test_delete_prefix_removes_only_that_generation(store: BlobStore) -> None:
    for gid in ("g1", "g10", "g2"):
        store.put_bytes(keys.scene_clip(gid, "default", 0), b"x", "video/mp4")
        store.put_bytes(keys.final_video(gid, "default"), b"y", "video/mp4")
    assert store.delete_prefix(keys.generation_prefix("g1")) == 2
    assert not store.exists(keys.final_video("g1", "default"))
    assert store.exists(keys.final_video("g10", "default"))
    assert store.exists(keys.final_video("g2", "default"))
    with pytest.raises(InvalidInput):
        store.delete_prefix("/")


def test_s3_urls_are_presigned_and_fetchable(s3_endpoint: str, tmp_path: Path) -> None:
    store = open_blob_store(f"s3://{BUCKET}/urls", s3_endpoint_url=s3_endpoint)
    store.put_bytes("a/b.txt", b"signed", "text/plain")
    url = store.url("a/b.txt", expires_s=60)
    assert "Signature=" in url or "X-Amz-Signature=" in url
    assert httpx.get(url).content == b"signed"


def _wait(client: TestClient, headers: dict[str, str], gid: str) -> Any:
    def ended() -> Any:
        data = client.get(f"/api/generations/{gid}", headers=headers).json()
        return data if data["status"] in ("completed", "failed", "canceled") else None

    return wait_until(ended, timeout_s=120, interval_s=0.3, message=f"generation {gid} to finish")


def test_a_generation_lives_in_the_bucket(s3_endpoint: str, settings: Settings) -> None:
    prefix = f"studio-{time.monotonic_ns()}"
    s3 = settings.model_copy(
        update={"storage_url": f"s3://{BUCKET}/{prefix}", "s3_endpoint_url": s3_endpoint}
    )
    bucket = boto3.client("s3", endpoint_url=s3_endpoint)
    with TestClient(create_app(s3, embedded_worker=True)) as client:
        token = client.post("/api/auth/signup", json={"username": "ada", "password": "correct horse"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        created = client.post(
            "/api/generations",
            json={"mode": "story", "prompt": "A lighthouse at dawn", "scenes": 2},
            headers=headers,
        )
        data = _wait(client, headers, created.json()["id"])
        assert data["status"] == "completed", data["error_message"]
        stored = {o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]}
        gid = data["id"]
        # Each render has its own key (final_<render>.mp4, scene_1_<render>.mp4).
        final = keys.final_video(gid, "default", "R").replace("R", "")
        clip = keys.scene_clip(gid, "default", 1, "R").replace("R", "")
        assert any(k.startswith(f"{prefix}/{final[:-4]}") and k.endswith(".mp4") for k in stored), stored
        assert any(k.startswith(f"{prefix}/{clip[:-4]}") and k.endswith(".mp4") for k in stored), stored
        assert not (settings.data_dir / "blobs").exists()  # nothing went to local disk
        # Reading the generation with local paths names no files and downloads nothing.
        rt = client.app.state.runtime  # type: ignore[attr-defined]
        copies = sorted(rt.settings.scratch_dir.rglob("*"))
        with rt.db.read() as session:
            read = read_generation(rt, session, get_generation(session, data["id"]), with_paths=True)
        assert read.video_path is None
        assert read.variants[0].scenes[0].video_path is None
        assert sorted(rt.settings.scratch_dir.rglob("*")) == copies
        whole = client.get(data["video_url"], headers=headers)
        assert whole.status_code == 200
        assert whole.content[4:8] == b"ftyp"
        part = client.get(data["video_url"], headers={**headers, "Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.content == whole.content[100:200]
        assert client.delete(f"/api/generations/{gid}", headers=headers).status_code == 204
        left = bucket.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/{keys.generation_prefix(gid)}")
        assert left.get("KeyCount", 0) == 0


def test_cli_generate_out_copies_from_the_bucket(s3_endpoint: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_")}
    env |= {
        "REELSMITH_DATA_DIR": str(tmp_path / "data"),
        "REELSMITH_STORAGE_URL": f"s3://{BUCKET}/cli-{time.monotonic_ns()}",
        "REELSMITH_S3_ENDPOINT_URL": s3_endpoint,
    }
    dest = tmp_path / "out" / "fox.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reelsmith",
            "generate",
            "A red fox in snow",
            "--mode",
            "image",
            "--out",
            str(dest),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("fox.png")
    assert dest.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
