"""Blobs in an S3-compatible bucket (AWS S3, MinIO, R2, ...), through boto3.

An S3 PUT is atomic -- readers see the old object or the whole new one -- so writes need no temp object.
Reads are ranged GETs, so the HTTP layer can serve a player's Range requests without fetching the whole
video; ffmpeg gets a temporary local copy. Credentials come from the standard AWS variables or files.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from reelsmith.errors import InvalidInput, NotFound, ReelsmithError
from reelsmith.storage.base import BlobInfo, StorageUnavailable

_DELETE_BATCH = 1000  # S3's limit per DeleteObjects request
_MISSING = ("404", "NoSuchKey", "NotFound")


def _missing(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) in _MISSING


@contextmanager
def _reachable(what: str) -> Iterator[None]:
    """Turn "the server cannot be reached" (after boto3's own retries) into StorageUnavailable, so that
    callers can tell an outage, worth waiting out, from a missing or refused object."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    try:
        yield
    except (BotoConnectionError, HTTPClientError) as e:
        raise StorageUnavailable(f"storage unreachable while {what}: {e}") from e
    except ClientError as e:
        status = int(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if status >= 500:
            raise StorageUnavailable(f"storage failing while {what}: HTTP {status}") from e
        raise


class _RangedReader(io.RawIOBase):
    """A seekable, read-only view of one object, fetching each read as a ranged GET."""

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        self._client, self._bucket, self._key, self._size = client, bucket, key, size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._pos >= self._size or len(view) == 0:
            return 0
        last = min(self._size, self._pos + len(view)) - 1
        with _reachable(f"reading {self._key}"):
            body = self._client.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-{last}"
            )
            data = body["Body"].read()
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


class S3BlobStore:
    """A BlobStore over ``s3://bucket/prefix``."""

    def __init__(
        self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, scratch: Path | None = None
    ) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as e:  # pragma: no cover - depends on the installed extras
            raise ReelsmithError(
                "s3:// storage needs boto3: pip install 'reelsmith[s3]'", code="config"
            ) from e
        if not bucket:
            raise ReelsmithError("s3:// storage URL needs a bucket name", code="config")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.scratch = scratch
        # Path-style addressing works with every S3-compatible server, not only AWS.
        config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"})
        self._client = boto3.client("s3", endpoint_url=endpoint_url, config=config)

    def _key(self, key: str) -> str:
        pure = PurePosixPath(key)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise InvalidInput("key", f"not a valid storage key: {key!r}")
        return f"{self.prefix}/{pure}" if self.prefix else str(pure)

    def put_file(self, key: str, source: Path, content_type: str) -> int:
        """Upload `source` (multipart when large) under `key`."""
        with _reachable(f"storing {key}"):
            self._client.upload_file(
                str(source), self.bucket, self._key(key), ExtraArgs={"ContentType": content_type}
            )
        return source.stat().st_size

    def put_bytes(self, key: str, data: bytes, content_type: str) -> int:
        """Store `data` under `key`."""
        with _reachable(f"storing {key}"):
            self._client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
            )
        return len(data)

    def _size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def _head(self, key: str) -> dict[str, Any]:
        """The object's metadata; NotFound when there is no such object."""
        try:
            with _reachable(f"looking at {key}"):
                head: dict[str, Any] = self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except StorageUnavailable:
            raise
        except Exception as e:
            if _missing(e):
                raise NotFound(f"blob not found: {key}") from e
            raise
        return head

    def open(self, key: str) -> BinaryIO:
        """A seekable reader of the blob (each read is a ranged GET)."""
        reader = _RangedReader(self._client, self.bucket, self._key(key), self._size(key))
        return io.BufferedReader(reader, buffer_size=1 << 20)

    def exists(self, key: str) -> bool:
        """Whether the object exists."""
        try:
            self._size(key)
        except NotFound:
            return False
        return True

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """A temporary local copy of the blob, removed when the context ends."""
        suffix = PurePosixPath(key).suffix
        with tempfile.TemporaryDirectory(dir=self.scratch, prefix="s3-") as tmp:
            path = Path(tmp) / f"blob{suffix}"
            try:
                with _reachable(f"fetching {key}"):
                    self._client.download_file(self.bucket, self._key(key), str(path))
            except StorageUnavailable:
                raise
            except Exception as e:
                if _missing(e):
                    raise NotFound(f"blob not found: {key}") from e
                raise
            yield path

    def own_file(self, key: str) -> Path | None:
        """None: a bucket keeps objects, not files (use `cached_path` for a local copy)."""
        return None

    def cached_path(self, key: str) -> Path:
        """A copy of the blob in the scratch folder, downloaded again only when the object changed.

        Copies are filed under the object's ETag, so a copy never changes once written and a
        rewritten object gets a fresh one; stale copies stay until the scratch folder is cleared.
        """
        head = self._head(key)
        tag = re.sub(r"[^A-Za-z0-9-]", "", str(head.get("ETag", ""))) or "untagged"
        root = self.scratch if self.scratch is not None else Path(tempfile.gettempdir())
        cached = root.joinpath("blob-cache", tag, *PurePosixPath(key).parts)
        if cached.is_file():
            return cached
        cached.parent.mkdir(parents=True, exist_ok=True)
        # Downloaded beside the target and renamed, so a concurrent reader never sees half a file.
        fd, partial = tempfile.mkstemp(dir=cached.parent, prefix=".part-")
        os.close(fd)
        try:
            with _reachable(f"fetching {key}"):
                self._client.download_file(self.bucket, self._key(key), partial)
            os.replace(partial, cached)
        finally:
            Path(partial).unlink(missing_ok=True)
        return cached

    def url(self, key: str, expires_s: int = 3600) -> str:
        """A presigned GET URL, valid for `expires_s` seconds."""
        return str(
            self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=expires_s
            )
        )

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix` (listed page by page, deleted 1000 at a time)."""
        if not prefix.strip("/"):
            raise InvalidInput("prefix", "refusing to delete the whole store")
        full = self._key(prefix.rstrip("/")) + ("/" if prefix.endswith("/") else "")
        removed = 0
        with _reachable(f"deleting {prefix}"):
            pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full)
            for page in pages:
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                for start in range(0, len(keys), _DELETE_BATCH):
                    batch = keys[start : start + _DELETE_BATCH]
                    self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
                    removed += len(batch)
        return removed

    def list_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every object under the store's prefix whose key starts with `prefix`, 1000 per listing page."""
        root = f"{self.prefix}/" if self.prefix else ""
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=root + prefix
        )
        with _reachable(f"listing {prefix or 'the bucket'}"):
            for page in pages:
                for item in page.get("Contents", []):
                    modified = item["LastModified"]  # boto3 parses it as an aware datetime
                    info = BlobInfo(
                        item["Key"].removeprefix(root), int(item["Size"]), modified.astimezone(UTC)
                    )
                    yield info
