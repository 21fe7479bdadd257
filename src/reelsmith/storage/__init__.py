"""Blob storage: the `BlobStore` protocol, its implementations and the key layout."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from reelsmith.errors import ReelsmithError
from reelsmith.storage.base import BlobStore
from reelsmith.storage.local import LocalBlobStore


def open_blob_store(
    url: str, *, s3_endpoint_url: str | None = None, scratch: Path | None = None
) -> BlobStore:
    """Build the blob store named by a storage URL: `file:///path` or `s3://bucket/prefix`.

    `scratch` is where remote blobs are copied for ffmpeg while it works on them.
    """
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalBlobStore(parsed.path)
    if parsed.scheme == "s3":
        from reelsmith.storage.s3 import S3BlobStore  # boto3 is an optional extra

        if scratch is not None:
            scratch.mkdir(parents=True, exist_ok=True)
        return S3BlobStore(parsed.netloc, parsed.path, endpoint_url=s3_endpoint_url, scratch=scratch)
    raise ReelsmithError(f"storage URL scheme not supported: {parsed.scheme or url!r}", code="config")


__all__ = ["BlobStore", "LocalBlobStore", "open_blob_store"]
