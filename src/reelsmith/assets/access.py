"""Who may see an asset: its owner, an admin, or anyone once its generation is published."""

from __future__ import annotations

from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation, User
from reelsmith.errors import NotFound
from reelsmith.vocabulary import Visibility


def visible_asset(session: Session, asset_id: str, viewer: User | None) -> Asset:
    """The asset if `viewer` (None: anonymous) may see it; 404 otherwise, so existence is not leaked."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"asset not found: {asset_id}")
    if viewer is not None and (asset.user_id == viewer.id or viewer.is_admin):
        return asset
    if asset.generation_id:
        gen = session.get(Generation, asset.generation_id)
        if gen is not None and gen.visibility == Visibility.PUBLISHED:
            return asset
    raise NotFound(f"asset not found: {asset_id}")
