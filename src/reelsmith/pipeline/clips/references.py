"""The generation's reference images as local files, for providers that read them from disk."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset
from reelsmith.errors import NotFound

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)


def reference_keys(session: Session, asset_ids: Sequence[str]) -> list[str]:
    """Storage keys of the reference assets that still exist, in the order the user gave them."""
    if not asset_ids:
        return []
    rows = session.execute(select(Asset.id, Asset.storage_key).where(Asset.id.in_(asset_ids)))
    keys = {asset_id: key for asset_id, key in rows}
    return [keys[a] for a in asset_ids if a in keys]


def reference_files(rt: Runtime, keys: Sequence[str]) -> tuple[Path, ...]:
    """Local paths of these blobs (copied once when storage is remote); a vanished blob is left out."""
    paths: list[Path] = []
    for key in keys:
        try:
            paths.append(rt.blobs.cached_path(key))
        except NotFound:
            # Like a deleted reference asset: the clip is rendered without it rather than not at all.
            log.warning("reference image %s is missing from storage; rendering without it", key)
    return tuple(paths)
