"""The BlobStore protocol that every storage backend implements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from reelsmith.errors import ServiceUnavailable


class StorageUnavailable(ServiceUnavailable):
    """The blob store cannot be reached (a network or server outage): worth trying again later, unlike
    a missing blob."""

    code = "storage_unavailable"


@dataclass(frozen=True)
class BlobInfo:
    """One stored blob as a listing sees it."""

    key: str
    bytes: int
    modified_at: datetime  # timezone-aware UTC: when the blob was last written


class BlobStore(Protocol):
    """Keyed file storage. Writes are atomic: a reader sees the old blob or the whole new one."""

    def put_file(self, key: str, source: Path, content_type: str) -> int:
        """Store a file under `key`; returns its size in bytes."""
        ...

    def put_bytes(self, key: str, data: bytes, content_type: str) -> int:
        """Store bytes under `key`; returns the size."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open a blob for reading."""
        ...

    def exists(self, key: str) -> bool:
        """Whether `key` holds a blob."""
        ...

    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """A filesystem path holding the blob for the duration of the context (for ffmpeg)."""
        ...

    def cached_path(self, key: str) -> Path:
        """A filesystem path holding the blob that stays valid after the call.

        Local storage hands out the blob's own file; remote storage a copy kept in the scratch
        folder, fetched again when the blob has changed. Callers must not modify the file.
        """
        ...

    def own_file(self, key: str) -> Path | None:
        """The file the store keeps the blob in, if it keeps blobs as files; never fetches anything."""
        ...

    def url(self, key: str, expires_s: int = 3600) -> str:
        """A URL to fetch the blob."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every blob whose key starts with `prefix`; returns how many."""
        ...

    def list_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every blob whose key starts with `prefix`, in the store's own order (no unfinished writes)."""
        ...
