"""Transition windows made while other clips still render, so the stitch after the last one has less to do.

When a scene's clip arrives and a neighbouring scene already has its clip, the window that joins the two
(the end of one through the transition into the start of the next) is encoded right away and stored as
a `join_window` asset. The stitch uses it if the two clips are still the ones it was made from; a clip
re-rendered since has another asset id, so its old windows are simply not found.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Scene
from reelsmith.errors import ReelsmithError
from reelsmith.pipeline.assets import add_asset, release_asset, store_video
from reelsmith.pipeline.unrecorded import discard_unrecorded
from reelsmith.storage import keys
from reelsmith.vocabulary import SceneStatus, Transition

if TYPE_CHECKING:
    from reelsmith.media.stitch.windowed import JoinWindow
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)
KIND = "join_window"

# (asset ids, storage keys) of two neighbouring scenes' clips, in order.
_Pair = tuple[tuple[str, str], tuple[str, str]]


def transition_tag(transition: str, transition_s: float) -> str:
    """How a window key names its transition: the kind and its length in milliseconds (`fade-500`)."""
    return f"{transition}-{round(transition_s * 1000)}"


def _clip(session: Session, scene: Scene | None) -> tuple[str, str] | None:
    """(asset id, storage key) of a finished scene's clip, or None."""
    if scene is None or scene.status != SceneStatus.COMPLETED or scene.clip_asset_id is None:
        return None
    asset = session.get(Asset, scene.clip_asset_id)
    return (asset.id, asset.storage_key) if asset is not None else None


def _neighbour_pairs(session: Session, scene: Scene) -> list[_Pair]:
    """The joins between this scene's clip and its neighbours' that both have clips."""
    by_index = {s.index: s for s in scene.variant.scenes}
    pairs: list[_Pair] = []
    for a, b in ((by_index.get(scene.index - 1), scene), (scene, by_index.get(scene.index + 1))):
        first, second = _clip(session, a), _clip(session, b)
        if first is not None and second is not None:
            pairs.append(((first[0], second[0]), (first[1], second[1])))
    return pairs


def prepare_windows(rt: Runtime, scene_id: str) -> int:
    """Encode and store the windows between this scene's clip and its finished neighbours; how many."""
    from reelsmith.media.stitch.windowed import encode_join_window

    with rt.db.read() as session:
        scene = session.get(Scene, scene_id)
        if scene is None:
            return 0
        gen = scene.variant.generation
        transition, transition_s = Transition(gen.inputs.transition), gen.inputs.transition_s
        if transition == Transition.NONE:
            return 0
        pairs = _neighbour_pairs(session, scene)
        gen_id, kind, user_id = gen.id, scene.variant.kind, gen.user_id
    tag = transition_tag(transition, transition_s)
    made = 0
    for clips, stored in pairs:
        try:
            with (
                tempfile.TemporaryDirectory(dir=rt.settings.scratch_dir) as tmp,
                rt.blobs.local_path(stored[0]) as first,
                rt.blobs.local_path(stored[1]) as second,
            ):
                window = encode_join_window(first, second, transition, transition_s, Path(tmp) / "w.mp4")
                if window is None:
                    continue
                cut = f"{window.tail}-{window.head}-{window.frames}"
                key = keys.join_window(gen_id, kind, clips, tag, cut, keys.render_id())
                blob = store_video(rt, key, window.path)
            try:
                with rt.db.write() as session:
                    add_asset(session, user_id, gen_id, KIND, blob)
            except Exception:
                discard_unrecorded(rt, [blob.key])  # unless the commit went through after all
                raise
            made += 1
        except ReelsmithError as e:  # the stitch makes this window itself
            log.warning("the window between clips %s was not made ahead: %s", clips, e.message)
    return made


def window_assets(session: Session, generation_id: str) -> list[Asset]:
    """The generation's windows made ahead."""
    return list(
        session.scalars(select(Asset).where(Asset.generation_id == generation_id, Asset.kind == KIND))
    )


def ready_windows(
    rt: Runtime, made: list[Asset], clip_ids: list[str], tag: str, stack: ExitStack
) -> list[JoinWindow | None]:
    """For each join of a variant's clips (asset ids in order), the window made ahead for it, if any;
    their files stay available until ``stack`` closes."""
    from reelsmith.media.stitch.windowed import JoinWindow

    found: dict[tuple[str, str], tuple[str, str]] = {}
    for asset in made:
        parsed = keys.join_window_parts(asset.storage_key)
        if parsed is not None and parsed[1] == tag:
            found[parsed[0]] = (asset.storage_key, parsed[2])
    ready: list[JoinWindow | None] = []
    for pair in itertools.pairwise(clip_ids):
        hit = found.get(pair)
        if hit is None:
            ready.append(None)
            continue
        tail, head, frames = (int(v) for v in hit[1].split("-"))
        ready.append(JoinWindow(stack.enter_context(rt.blobs.local_path(hit[0])), tail, head, frames))
    return ready


def release_windows_of(session: Session, generation_id: str, clip_asset_id: str | None) -> None:
    """Release the windows made ahead with a clip that has been replaced (no stitch can use them again)."""
    if clip_asset_id is None:
        return
    for asset in window_assets(session, generation_id):
        parsed = keys.join_window_parts(asset.storage_key)
        if parsed is not None and clip_asset_id in parsed[0]:
            release_asset(session, generation_id, asset.id)
