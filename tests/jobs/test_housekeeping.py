"""Housekeeping: orphan blobs and stale temp files are collected after a grace period, and the retention
settings delete old failed generations and unused uploads with their blobs; what is still needed stays."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from reelsmith.config import Settings
from reelsmith.db.models import Asset, Generation, User, utcnow
from reelsmith.generations.lifecycle import delete_generation
from reelsmith.jobs.housekeeping import ORPHAN_GRACE_S, HousekeepingThread, housekeep, named_keys
from reelsmith.jobs.worker import embedded_worker
from reelsmith.pipeline.assets import StoredBlob, add_asset
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.storage import BlobStore, LocalBlobStore, keys, open_blob_store
from reelsmith.storage.collect import collect_orphan_blobs
from reelsmith.vocabulary import GenerationStatus
from tests.core.test_s3_storage import BUCKET, s3_endpoint  # noqa: F401  (the fixture is reused)
from tests.support import wait_until

LONG_AGO = timedelta(seconds=2 * ORPHAN_GRACE_S)  # well past the grace period
OLD = timedelta(days=40)  # past the 30 days of retention the tests set
RECENT = timedelta(days=1)


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings, inline=True)
    yield runtime
    runtime.close()


def _runtime(settings: Settings, **changes: object) -> Runtime:
    """A runtime on the same data dir and database with some settings changed."""
    fields = {
        "data_dir": settings.data_dir,
        "database_url": settings.database_url,
        "_env_file": None,
        **changes,
    }
    return build_runtime(Settings(**fields), inline=True)  # type: ignore[arg-type]


def _user(rt: Runtime) -> str:
    with rt.db.write() as session:
        user = User(username="ada")
        session.add(user)
        session.flush()
        return user.id


def _stored(
    rt: Runtime, user_id: str, key: str, *, kind: str = "reference", generation_id: str | None = None
) -> str:
    """Put a blob under `key` and an asset row naming it; returns the asset id."""
    size = rt.blobs.put_bytes(key, b"blob:" + key.encode(), "application/octet-stream")
    with rt.db.write() as session:
        blob = StoredBlob(key, "application/octet-stream", size, "0" * 64)
        return add_asset(session, user_id, generation_id, kind, blob).id


def _age(path: Path, by: timedelta) -> None:
    """Set a file's modification time `by` into the past."""
    at = time.time() - by.total_seconds()
    os.utime(path, (at, at))


def _own_file(store: BlobStore, key: str) -> Path:
    path = store.own_file(key)
    assert path is not None
    return path


# --- orphan blobs ----------------------------------------------------------------------------------


def test_old_orphans_go_while_young_and_named_blobs_stay(rt: Runtime) -> None:
    user_id = _user(rt)
    _stored(rt, user_id, keys.reference("named"))
    for key in ("uploads/orphan.png", "uploads/in-flight.png"):
        rt.blobs.put_bytes(key, b"x" * 100, "image/png")
    for key in (keys.reference("named"), "uploads/orphan.png"):
        _age(_own_file(rt.blobs, key), LONG_AGO)

    report = housekeep(rt)

    assert not rt.blobs.exists("uploads/orphan.png")
    assert rt.blobs.exists("uploads/in-flight.png")  # written within the grace: maybe a row is coming
    assert rt.blobs.exists(keys.reference("named"))
    assert (report.orphan_blobs.count, report.orphan_blobs.bytes) == (1, 100)


def test_files_outside_the_key_layout_are_never_collected(rt: Runtime) -> None:
    # A store may share its folder or bucket with other files; no asset row names those either.
    for key in ("backups/reelsmith.sql", "notes.txt"):
        rt.blobs.put_bytes(key, b"theirs", "text/plain")
        _age(_own_file(rt.blobs, key), LONG_AGO)

    assert housekeep(rt).orphan_blobs.count == 0
    assert rt.blobs.exists("backups/reelsmith.sql")
    assert rt.blobs.exists("notes.txt")


def test_a_dry_run_reports_and_deletes_nothing(rt: Runtime) -> None:
    rt.blobs.put_bytes("uploads/orphan.png", b"x" * 10, "image/png")
    _age(_own_file(rt.blobs, "uploads/orphan.png"), LONG_AGO)

    report = housekeep(rt, dry_run=True)

    assert (report.orphan_blobs.count, report.orphan_blobs.bytes) == (1, 10)
    assert rt.blobs.exists("uploads/orphan.png")


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    endpoint = request.getfixturevalue("s3_endpoint")
    prefix = f"collect-{time.monotonic_ns()}"  # every test gets its own corner of the bucket
    return open_blob_store(f"s3://{BUCKET}/{prefix}", s3_endpoint_url=endpoint, scratch=tmp_path / "tmp")


def test_listing_names_every_blob_but_no_unfinished_write(store: BlobStore) -> None:
    for key in ("uploads/a.png", "generations/g1/default/final.mp4"):
        store.put_bytes(key, b"12345", "application/octet-stream")
    if isinstance(store, LocalBlobStore):
        (store.root / "uploads" / ".tmp-abc.png").write_bytes(b"half")

    listed = {blob.key: blob.bytes for blob in store.list_blobs()}

    assert listed == {"uploads/a.png": 5, "generations/g1/default/final.mp4": 5}
    assert [b.key for b in store.list_blobs("generations/")] == ["generations/g1/default/final.mp4"]
    assert all(abs((b.modified_at - utcnow()).total_seconds()) < 120 for b in store.list_blobs())


def test_the_collector_keeps_named_blobs_and_what_would_reach_them(store: BlobStore) -> None:
    named = {"references/r1.png", "uploads/u1.png.v2"}
    for key in ("references/r1.png", "uploads/u1.png.v2", "uploads/orphan.png", "uploads/u1.png"):
        store.put_bytes(key, b"x", "application/octet-stream")

    # Every blob was just written: within the grace, nothing is an orphan yet.
    young = collect_orphan_blobs(store, lambda ks: set(ks) & named, older_than=utcnow() - LONG_AGO)
    assert young.count == 0
    assert store.exists("uploads/orphan.png")

    def needed(batch: Sequence[str]) -> set[str]:
        return {k for k in batch if any(n.startswith(k) for n in named)}

    old = collect_orphan_blobs(store, needed, older_than=utcnow() + timedelta(minutes=1))
    assert old.count == 1
    assert not store.exists("uploads/orphan.png")
    assert store.exists("references/r1.png")
    # `uploads/u1.png` is named by no row, but deleting it by prefix would take the named `.v2` too.
    assert store.exists("uploads/u1.png.v2")
    assert store.exists("uploads/u1.png")


def test_the_database_names_keys_exactly_and_by_their_start(rt: Runtime) -> None:
    user_id = _user(rt)
    _stored(rt, user_id, "uploads/u1.png.v2")
    _stored(rt, user_id, "references/r_%.png")  # LIKE wildcards in a key match only themselves

    assert named_keys(rt)(["uploads/u1.png.v2", "uploads/u1.png", "uploads/u", "references/r_", "other"]) == {
        "uploads/u1.png.v2",
        "uploads/u1.png",
        "uploads/u",
        "references/r_",
    }
    assert named_keys(rt)(["references/rx"]) == set()


def test_orphans_in_a_bucket_are_collected(settings: Settings, s3_endpoint: str) -> None:  # noqa: F811
    rt = _runtime(
        settings, storage_url=f"s3://{BUCKET}/orphans-{time.monotonic_ns()}", s3_endpoint_url=s3_endpoint
    )
    try:
        user_id = _user(rt)
        _stored(rt, user_id, keys.reference("named"))
        rt.blobs.put_bytes("uploads/orphan.png", b"x" * 7, "image/png")

        assert housekeep(rt).orphan_blobs.count == 0  # all within the grace
        report = housekeep(rt, older_than_s=-60)  # everything counts as old

        assert (report.orphan_blobs.count, report.orphan_blobs.bytes) == (1, 7)
        assert not rt.blobs.exists("uploads/orphan.png")
        assert rt.blobs.exists(keys.reference("named"))
    finally:
        rt.close()


# --- temp files --------------------------------------------------------------------------------------


def test_stale_temp_files_go_and_fresh_ones_stay(rt: Runtime) -> None:
    scratch = rt.settings.scratch_dir
    old_file, new_file = scratch / "upload-1.part", scratch / "upload-2.part"
    old_dir, busy_dir = scratch / "tmpold", scratch / "tmpbusy"
    cached_old, cached_new = scratch / "blob-cache" / "etag1", scratch / "blob-cache" / "etag2"
    for folder in (old_dir, busy_dir, cached_old, cached_new):
        folder.mkdir(parents=True)
    for path in (old_file, new_file, old_dir / "in.mp4", busy_dir / "in.mp4", busy_dir / "out.mp4"):
        path.write_bytes(b"1234")
    (cached_old / "clip.mp4").write_bytes(b"1234")
    (cached_new / "clip.mp4").write_bytes(b"1234")
    assert isinstance(rt.blobs, LocalBlobStore)
    (rt.blobs.root / "uploads").mkdir(parents=True)
    old_write, new_write = rt.blobs.root / "uploads" / ".tmp-a.png", rt.blobs.root / "uploads" / ".tmp-b.png"
    old_write.write_bytes(b"half")
    new_write.write_bytes(b"half")
    for path in (
        old_file,
        old_dir / "in.mp4",
        old_dir,
        busy_dir / "in.mp4",
        cached_old / "clip.mp4",
        cached_old,
    ):
        _age(path, LONG_AGO)
    _age(old_write, LONG_AGO)

    report = housekeep(rt)

    gone = [old_file, old_dir, cached_old, old_write]
    kept = [new_file, busy_dir / "in.mp4", busy_dir / "out.mp4", cached_new / "clip.mp4", new_write]
    assert [p for p in gone if p.exists()] == []
    assert [p for p in kept if not p.exists()] == []
    assert report.temp_files.count == 4
    assert report.temp_files.bytes == 4 + 4 + 4 + 4
    assert report.orphan_blobs.count == 0  # an unfinished write is never taken for a blob


# --- retention ---------------------------------------------------------------------------------------


def _generation(rt: Runtime, user_id: str, status: GenerationStatus, *, idle: timedelta) -> str:
    """A story generation last touched `idle` ago, with a final video in the store."""
    at = utcnow() - idle
    with rt.db.write() as session:
        gen = Generation(
            user_id=user_id, mode="story", prompt="p", status=status, created_at=at, updated_at=at
        )
        session.add(gen)
        session.flush()
        generation_id = gen.id
    _stored(
        rt,
        user_id,
        keys.final_video(generation_id, "default", "r1"),
        kind="video",
        generation_id=generation_id,
    )
    return generation_id


def _generation_ids(rt: Runtime) -> set[str]:
    with rt.db.read() as session:
        return set(session.scalars(select(Generation.id)))


def test_retention_deletes_old_failed_and_canceled_generations_with_their_blobs(settings: Settings) -> None:
    rt = _runtime(settings, retention_failed_days=30)
    try:
        user_id = _user(rt)
        old_failed = _generation(rt, user_id, GenerationStatus.FAILED, idle=OLD)
        old_canceled = _generation(rt, user_id, GenerationStatus.CANCELED, idle=OLD)
        young_failed = _generation(rt, user_id, GenerationStatus.FAILED, idle=RECENT)
        old_completed = _generation(rt, user_id, GenerationStatus.COMPLETED, idle=OLD)

        report = housekeep(rt)

        assert _generation_ids(rt) == {young_failed, old_completed}
        for gone in (old_failed, old_canceled):
            assert not rt.blobs.exists(keys.final_video(gone, "default", "r1"))
        for kept in (young_failed, old_completed):
            assert rt.blobs.exists(keys.final_video(kept, "default", "r1"))
        assert report.generations.count == 2
        assert report.generations.bytes > 0
    finally:
        rt.close()


def test_retention_keeps_a_generation_retried_after_it_was_chosen(rt: Runtime) -> None:
    user_id = _user(rt)
    chosen = _generation(rt, user_id, GenerationStatus.FAILED, idle=OLD)
    cutoff = utcnow() - timedelta(days=30)
    with rt.db.write() as session:  # its owner retries it between the retention's query and its delete
        gen = session.get(Generation, chosen)
        assert gen is not None
        gen.status, gen.updated_at = GenerationStatus.QUEUED, utcnow()

    assert not delete_generation(rt, chosen, untouched_since=cutoff)
    assert _generation_ids(rt) == {chosen}
    assert rt.blobs.exists(keys.final_video(chosen, "default", "r1"))


def test_retention_is_off_by_default(rt: Runtime) -> None:
    user_id = _user(rt)
    old_failed = _generation(rt, user_id, GenerationStatus.FAILED, idle=timedelta(days=3650))

    assert housekeep(rt).generations.count == 0
    assert _generation_ids(rt) == {old_failed}


def test_retention_of_uploads_spares_those_a_generation_uses(settings: Settings) -> None:
    rt = _runtime(settings, retention_uploads_days=30)
    try:
        user_id = _user(rt)
        unused_old = _stored(rt, user_id, "uploads/old.png", kind="upload_image")
        used_old = _stored(rt, user_id, "uploads/used.png", kind="upload_image")
        unused_young = _stored(rt, user_id, "uploads/young.png", kind="upload_image")
        with rt.db.write() as session:
            for asset_id in (unused_old, used_old):
                asset = session.get(Asset, asset_id)
                assert asset is not None
                asset.created_at = utcnow() - OLD
            gen = Generation(
                user_id=user_id, mode="story", prompt="p", params={"reference_asset_ids": [used_old]}
            )
            session.add(gen)

        report = housekeep(rt)

        with rt.db.read() as session:
            left = set(session.scalars(select(Asset.id).where(Asset.kind == "upload_image")))
        assert left == {used_old, unused_young}
        assert not rt.blobs.exists("uploads/old.png")
        assert rt.blobs.exists("uploads/used.png")
        assert (report.uploads.count, report.uploads.bytes) == (1, len(b"blob:uploads/old.png"))
    finally:
        rt.close()


# --- scheduling and the command ----------------------------------------------------------------------


def test_the_housekeeping_thread_collects_periodically(rt: Runtime) -> None:
    rt.blobs.put_bytes("uploads/orphan.png", b"x", "image/png")
    _age(_own_file(rt.blobs, "uploads/orphan.png"), LONG_AGO)
    thread = HousekeepingThread(rt, interval_s=0.05)
    thread.start()
    try:
        wait_until(lambda: not rt.blobs.exists("uploads/orphan.png"), message="orphan collected")
    finally:
        thread.stop()


def test_every_worker_runs_housekeeping(settings: Settings) -> None:
    rt = build_runtime(settings)
    try:
        with embedded_worker(rt, workers=1):
            names = {t.name for t in threading.enumerate()}
        assert "reelsmith-housekeeping" in names
    finally:
        rt.close()


def test_the_collect_command_prints_what_it_removed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    orphan = data / "blobs" / "uploads" / "orphan.png"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x" * 1234)
    _age(orphan, LONG_AGO)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_")}
    env["REELSMITH_DATA_DIR"] = str(data)

    def collect(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "reelsmith", "collect", *args],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "would remove 1 orphan blobs (1234 bytes)" in collect("--dry-run")
    assert orphan.exists()
    assert "removed 1 orphan blobs (1234 bytes)" in collect("--older-than-s", "600")
    assert not orphan.exists()
