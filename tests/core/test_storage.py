"""The local blob store: atomic writes, safe keys, deletion by prefix."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelsmith.errors import InvalidInput, NotFound
from reelsmith.storage import LocalBlobStore, keys, open_blob_store


def test_put_and_read_back(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    assert store.put_bytes("generations/g/default/scene_0.mp4", b"abc", "video/mp4") == 3
    with store.open("generations/g/default/scene_0.mp4") as f:
        assert f.read() == b"abc"
    assert store.exists("generations/g/default/scene_0.mp4")


def test_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put_bytes("a/b.bin", b"old", "application/octet-stream")

    class Boom(Exception):
        pass

    def explode(out: object) -> None:
        raise Boom

    with pytest.raises(Boom):
        store._atomic_write("a/b.bin", explode)
    assert (tmp_path / "a" / "b.bin").read_bytes() == b"old"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.bin"]


@pytest.mark.parametrize("key", ["../escape", "/abs/path", "a/../../b", ""])
def test_keys_cannot_escape_the_root(tmp_path: Path, key: str) -> None:
    with pytest.raises(InvalidInput):
        LocalBlobStore(tmp_path).put_bytes(key, b"x", "text/plain")


def test_delete_prefix_removes_only_that_generation(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    for gid in ("g1", "g2"):
        store.put_bytes(keys.scene_clip(gid, "default", 0), b"x", "video/mp4")
        store.put_bytes(keys.final_video(gid, "default"), b"y", "video/mp4")
    assert store.delete_prefix(keys.generation_prefix("g1")) == 2
    assert not store.exists(keys.final_video("g1", "default"))
    assert store.exists(keys.final_video("g2", "default"))
    with pytest.raises(NotFound):
        store.open(keys.final_video("g1", "default"))


def test_refuses_to_delete_everything(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        LocalBlobStore(tmp_path).delete_prefix("/")


def test_storage_url_selects_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_blob_store(f"file://{tmp_path}/blobs"), LocalBlobStore)


def test_cached_path_of_local_storage_is_the_blob_itself(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put_bytes("uploads/a.png", b"png", "image/png")
    assert store.cached_path("uploads/a.png") == tmp_path / "uploads" / "a.png"
    with pytest.raises(NotFound):
        store.cached_path("uploads/missing.png")


def test_own_file_of_local_storage_is_the_blob_or_none(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put_bytes("uploads/a.png", b"png", "image/png")
    assert store.own_file("uploads/a.png") == tmp_path / "uploads" / "a.png"
    assert store.own_file("uploads/missing.png") is None
