"""Finding what the blob store and the scratch folder keep that nothing needs any more, and deleting it.

A blob is written before the row that names it commits, so a young blob that no row names may be a
write in flight: only blobs older than a grace period are orphans. The same grace protects the temp
files of writes and renders still running. Which keys rows name is asked of the caller (the store
knows nothing of the database), a batch of keys at a time.
"""

from __future__ import annotations

import itertools
import logging
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reelsmith.storage import keys
from reelsmith.storage.base import BlobInfo, BlobStore

log = logging.getLogger(__name__)

# The top folders of the key layout. Nothing outside them is collected: a bucket (or a folder) may hold
# other things than Reelsmith's blobs, which no asset row names either.
LAYOUT_FOLDERS = tuple(
    sorted({key.split("/", 1)[0] + "/" for key in (keys.generation_prefix("g"), keys.reference("r"),
                                                  keys.upload("u", "ext"))})
)  # fmt: skip
KEY_BATCH = 200  # keys per "which of these are named?" question: well inside every SQL parameter limit
# The folder of the scratch dir where a bucket store keeps local copies of its blobs (one folder per
# ETag; see S3BlobStore.cached_path): its entries age one by one, not as a whole.
BLOB_CACHE_FOLDER = "blob-cache"

# Given some keys, the ones a row still needs (named exactly, or as the start of a longer named key).
NamedKeys = Callable[[Sequence[str]], set[str]]


@dataclass(frozen=True)
class Tally:
    """How many things, of how many bytes in all."""

    count: int = 0
    bytes: int = 0

    def add(self, size: int) -> Tally:
        """This tally with one more thing of `size` bytes."""
        return Tally(self.count + 1, self.bytes + size)

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.count + other.count, self.bytes + other.bytes)


def collect_orphan_blobs(
    blobs: BlobStore, named: NamedKeys, *, older_than: datetime, dry_run: bool = False
) -> Tally:
    """Delete the blobs of the key layout older than `older_than` that no row names; returns what went
    (or, in a dry run, would go)."""
    listing = itertools.chain.from_iterable(blobs.list_blobs(folder) for folder in LAYOUT_FOLDERS)
    removed = Tally()
    for batch in _batched(_older(listing, older_than), KEY_BATCH):
        needed = named([blob.key for blob in batch])
        for blob in batch:
            if blob.key in needed:
                continue
            if not dry_run:
                # `named` kept every key that starts a named one, so this prefix holds this blob alone.
                blobs.delete_prefix(blob.key)
            log.info("orphan blob %s (%d bytes)%s", blob.key, blob.bytes, " [dry run]" if dry_run else "")
            removed = removed.add(blob.bytes)
    return removed


def _older(listing: Iterable[BlobInfo], older_than: datetime) -> Iterator[BlobInfo]:
    """The listed blobs last written before `older_than`."""
    return (blob for blob in listing if blob.modified_at < older_than)


def _batched(items: Iterable[BlobInfo], size: int) -> Iterator[list[BlobInfo]]:
    """`items` in lists of up to `size`, read lazily (a bucket's listing is never held whole)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def scratch_entries(scratch: Path) -> Iterator[Path]:
    """What the scratch folder holds, each entry a unit that ages as a whole (a task's temp folder)."""
    if not scratch.is_dir():
        return
    for entry in scratch.iterdir():
        if entry.name == BLOB_CACHE_FOLDER and entry.is_dir():
            yield from entry.iterdir()
        else:
            yield entry


def collect_temp_files(entries: Iterable[Path], *, older_than: datetime, dry_run: bool = False) -> Tally:
    """Delete the files and folders among `entries` in which nothing was written since `older_than`."""
    removed = Tally()
    cutoff = older_than.timestamp()
    for entry in entries:
        try:
            newest, size = _newest_write(entry)
            if newest >= cutoff:
                continue
            if not dry_run:
                _remove(entry)
        except FileNotFoundError:  # its task cleaned it up while we looked
            continue
        log.info("temp file %s (%d bytes)%s", entry, size, " [dry run]" if dry_run else "")
        removed = removed.add(size)
    return removed


def _newest_write(entry: Path) -> tuple[float, int]:
    """The latest modification time within `entry` (a file, or a folder and all it holds) and its size."""
    stat = entry.lstat()
    if not entry.is_dir() or entry.is_symlink():
        return stat.st_mtime, stat.st_size
    newest, size = stat.st_mtime, 0
    for path in entry.rglob("*"):
        try:
            inner = path.lstat()
        except FileNotFoundError:
            continue
        newest = max(newest, inner.st_mtime)
        size += inner.st_size if path.is_file() else 0
    return newest, size


def _remove(entry: Path) -> None:
    """Delete a file or a whole folder."""
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry)
    else:
        entry.unlink()
