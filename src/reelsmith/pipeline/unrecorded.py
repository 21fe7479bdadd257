"""Blobs stored by work that did not end recorded: deleted at once instead of left to the orphan collector.

A step stores its files before the transaction that names them in asset rows. When the step fails
half-way (the bucket or the database went away, the encoder crashed), or its result is not applied
(another runner finished the step first, the generation was canceled meanwhile), nothing will ever
name those files: a retry stores its own under a new render's keys. Deleting is best effort: what
cannot be deleted now (the bucket is the thing that is down) stays for the collector.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from reelsmith.db.models import Asset
from reelsmith.pipeline.assets import StoredBlob

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

# A step output names a stored file by the fields of a StoredBlob (`dataclasses.asdict`).
_BLOB_FIELDS = frozenset(f.name for f in dataclasses.fields(StoredBlob))


def discard_blobs(rt: Runtime, blob_keys: Iterable[str]) -> None:
    """Delete blobs that no row names (best effort: what stays is left to the orphan collector)."""
    for key in blob_keys:
        try:
            rt.blobs.delete_prefix(key)
        except Exception:
            log.warning("could not delete unrecorded blob %s; the orphan collector will", key, exc_info=True)


def discard_unrecorded(rt: Runtime, blob_keys: Iterable[str]) -> list[str]:
    """Delete those of `blob_keys` that no asset row names; returns them.

    The rows are read first because a write whose answer was lost may have committed after all; when
    the database cannot be read, nothing is deleted.
    """
    wanted = sorted(set(blob_keys))
    if not wanted:
        return []
    try:
        with rt.db.read() as session:
            named = set(session.scalars(select(Asset.storage_key).where(Asset.storage_key.in_(wanted))))
    except Exception:
        log.warning(
            "could not tell which of %d blobs are recorded; left to the orphan collector", len(wanted)
        )
        return []
    doomed = [key for key in wanted if key not in named]
    discard_blobs(rt, doomed)
    return doomed


@contextmanager
def discarded_on_failure(rt: Runtime) -> Iterator[list[str]]:
    """Collect the keys that a piece of work stores (add each before storing it); if the work raises,
    delete them, since no row can name them yet."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        discard_blobs(rt, stored)
        raise


def blobs_in(output: Any) -> list[str]:
    """The keys of every stored blob a step's output records (anywhere in its JSON)."""
    found: list[str] = []
    if isinstance(output, dict):
        if _BLOB_FIELDS.issuperset(output) and "key" in output and "sha256" in output:
            found.append(str(output["key"]))
        else:
            for value in output.values():
                found.extend(blobs_in(value))
    elif isinstance(output, list):
        for value in output:
            found.extend(blobs_in(value))
    return found
