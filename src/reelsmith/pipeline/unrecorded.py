"""Blobs stored by work that did not end recorded: deleted at once instead of left to the orphan collector.

A step stores its files before the transaction that names them in asset rows. When the step fails
half-way (the bucket or the database went away, the encoder crashed), or its result is not applied
(another runner finished the step first, the generation was canceled meanwhile), nothing will ever
name those files: a retry stores its own under a new render's keys. What cannot be deleted at once (the
bucket or the database is the thing that is down) is tried again for a while in the background.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
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


# How often blobs that could not be deleted are tried again, and for how long, in a process's lifetime.
RETRY_S = 5.0
GIVE_UP_S = 600.0


def discard_blobs(rt: Runtime, blob_keys: Iterable[str]) -> None:
    """Delete blobs that no row can name; what cannot be deleted now is tried again later."""
    failed = [key for key in blob_keys if not _deleted(rt, key)]
    if failed:
        rt.later_discards.add(failed)


def discard_unrecorded(rt: Runtime, blob_keys: Iterable[str]) -> list[str]:
    """Delete those of `blob_keys` that no asset row names; returns them.

    The rows are read first because a write whose answer was lost may have committed after all; when
    the database cannot be read, nothing is deleted now and the keys are looked at again later.
    """
    wanted = sorted(set(blob_keys))
    named = _named(rt, wanted)
    if named is None:
        rt.later_discards.add(wanted)
        return []
    doomed = [key for key in wanted if key not in named]
    discard_blobs(rt, doomed)
    return doomed


def _named(rt: Runtime, blob_keys: list[str]) -> set[str] | None:
    """Which of the keys an asset row names; None when the database cannot be read."""
    if not blob_keys:
        return set()
    try:
        with rt.db.read() as session:
            return set(session.scalars(select(Asset.storage_key).where(Asset.storage_key.in_(blob_keys))))
    except Exception as e:
        log.warning("could not tell which of %d blobs are recorded: %s", len(blob_keys), e)
        return None


def _deleted(rt: Runtime, key: str) -> bool:
    try:
        rt.blobs.delete_prefix(key)
    except Exception as e:
        log.warning("could not delete unrecorded blob %s: %s", key, e)
        return False
    return True


class LaterDiscards:
    """Blobs no row names that could not be deleted when their work failed, because the database (to
    check the rows) or the bucket (to delete) was away: tried again every RETRY_S seconds for up to
    GIVE_UP_S, by one background thread of the process. What outlasts that, or the process, is left to
    the orphan collector.

    Only keys that nothing else can come to name belong here: files named after a render of their own,
    which the work that stored them was the only one to record.
    """

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._lock = threading.Lock()
        self._deadlines: dict[str, float] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> list[str]:
        """The keys still to be deleted."""
        with self._lock:
            return sorted(self._deadlines)

    def add(self, blob_keys: Iterable[str]) -> None:
        """Try these keys again later."""
        give_up = time.monotonic() + GIVE_UP_S
        with self._lock:
            for key in blob_keys:
                self._deadlines.setdefault(key, give_up)
            if self._deadlines and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="later-discards", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop trying (what is left stays for the collector)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stopping.wait(RETRY_S):
            with self._lock:
                now = time.monotonic()
                for key in [k for k, at in self._deadlines.items() if at < now]:
                    log.warning("gave up deleting unrecorded blob %s; the orphan collector will", key)
                    del self._deadlines[key]
                wanted = sorted(self._deadlines)
                if not wanted:
                    self._thread = None
                    return
            named = _named(self._rt, wanted)
            if named is None:
                continue
            settled = [key for key in wanted if key in named or _deleted(self._rt, key)]
            with self._lock:
                for key in settled:
                    self._deadlines.pop(key, None)


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
