"""Blobs in a local folder, written through a temp file and an atomic rename.

Blobs are the owner's alone whatever the umask: each file is written through `mkstemp` (mode 0600,
kept by the rename), and the root folder is made 0700, so no other account can list or read them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from reelsmith.errors import InvalidInput, NotFound
from reelsmith.storage.base import BlobInfo

# Names of the files a write goes through before its rename: never blobs themselves.
TEMP_PREFIX = ".tmp-"


class LocalBlobStore:
    """A BlobStore over a directory tree."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        # Keys come from our own layout, but never let one escape the root.
        pure = PurePosixPath(key)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise InvalidInput("key", f"not a valid storage key: {key!r}")
        return self.root.joinpath(*pure.parts)

    def _atomic_write(self, key: str, write: Callable[[BinaryIO], object]) -> int:
        target = self._path(key)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return target.stat().st_size

    def put_file(self, key: str, source: Path, content_type: str) -> int:
        """Copy `source` into the store under `key`."""
        with source.open("rb") as src:
            return self._atomic_write(key, lambda out: shutil.copyfileobj(src, out, 1 << 20))

    def put_bytes(self, key: str, data: bytes, content_type: str) -> int:
        """Store `data` under `key`."""
        return self._atomic_write(key, lambda out: out.write(data))

    def open(self, key: str) -> BinaryIO:
        """Open the blob for reading."""
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as e:
            raise NotFound(f"blob not found: {key}") from e

    def exists(self, key: str) -> bool:
        """Whether the blob exists."""
        return self._path(key).is_file()

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """The blob's own path: no copy is needed on local disk."""
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"blob not found: {key}")
        yield path

    def cached_path(self, key: str) -> Path:
        """The blob's own file (it is already local)."""
        path = self.own_file(key)
        if path is None:
            raise NotFound(f"blob not found: {key}")
        return path

    def own_file(self, key: str) -> Path | None:
        """The blob's file, or None when there is no such blob."""
        path = self._path(key)
        return path if path.is_file() else None

    def url(self, key: str, expires_s: int = 3600) -> str:
        """A file:// URL (the HTTP layer serves assets through its own route)."""
        return self._path(key).as_uri()

    def delete_prefix(self, prefix: str) -> int:
        """Delete all blobs under `prefix`, then prune emptied folders."""
        if not prefix.strip("/"):
            raise InvalidInput("prefix", "refusing to delete the whole store")
        base = self._path(prefix.rstrip("/"))
        removed = 0
        if base.is_file():
            base.unlink()
            return 1
        candidates = [base] if base.is_dir() else []
        if not prefix.endswith("/"):
            candidates += [p for p in base.parent.glob(base.name + "*") if p != base]
        for candidate in candidates:
            if candidate.is_dir():
                removed += sum(1 for p in candidate.rglob("*") if p.is_file())
                shutil.rmtree(candidate)
            elif candidate.is_file():
                candidate.unlink()
                removed += 1
        return removed

    def list_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every blob file whose key starts with `prefix`; temp files of unfinished writes are skipped."""
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(TEMP_PREFIX):
                    continue
                path = Path(folder, name)
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    stat = path.stat()
                except FileNotFoundError:  # deleted while we walked
                    continue
                yield BlobInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def temp_files(self) -> Iterator[Path]:
        """The temp files of writes in progress, or of writes a crash left behind."""
        yield from self.root.rglob(f"{TEMP_PREFIX}*")
