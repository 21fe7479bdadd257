"""Blob storage: the `BlobStore` protocol, its implementations and the key layout."""

from __future__ import annotations

from urllib.parse import urlparse

from reelsmith.errors import ReelsmithError
from reelsmith.storage.base import BlobStore
from reelsmith.storage.local import LocalBlobStore


def open_blob_store(url: str) -> BlobStore:
    """Build the blob store named by a storage URL (`file:///path`)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalBlobStore(parsed.path)
    raise ReelsmithError(f"storage URL scheme not supported: {parsed.scheme or url!r}", code="config")


__all__ = ["BlobStore", "LocalBlobStore", "open_blob_store"]
