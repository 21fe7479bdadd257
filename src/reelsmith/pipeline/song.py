"""Music video mode: the song decides the length, the number of scenes and where they cut."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Generation
from reelsmith.errors import InvalidInput, NotFound
from reelsmith.pipeline.assets import owned_upload
from reelsmith.vocabulary import MAX_SCENES

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

MIN_CUT_S = 2.0
MAX_CUT_S = 12.0
TARGET_CUT_S = 5.0
MAX_SONG_S = MAX_SCENES * MAX_CUT_S


def scenes_for_song(duration_s: float) -> int:
    """How many scenes a song of this length gets (about one per five seconds, within limits)."""
    if not MIN_CUT_S <= duration_s <= MAX_SONG_S:
        raise InvalidInput(
            "song_asset_id",
            f"the song is {duration_s:.1f} s; music videos need {MIN_CUT_S:g}-{MAX_SONG_S:g} s",
        )
    count = round(duration_s / TARGET_CUT_S)
    low, high = -(-duration_s // MAX_CUT_S), duration_s // MIN_CUT_S
    return int(max(1, low, min(count, high, MAX_SCENES)))


def check_song(session: Session, user_id: str, asset_id: str | None) -> Asset:
    """The user's uploaded audio asset named by `song_asset_id`, or a 4xx naming the field."""
    asset = owned_upload(
        session,
        user_id,
        asset_id,
        field="song_asset_id",
        kind="audio",
        missing="music videos need a song: upload one and pass its id",
        noun="a song",
    )
    scenes_for_song(asset.duration_s or 0.0)
    return asset


def compute_song_plan(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Tempo, beats and the scene lengths that cut on them and fill the song exactly."""
    from reelsmith.media.analysis import analyze_audio, plan_cuts

    with rt.db.read() as session:
        gen = session.get(Generation, generation_id)
        song_id = gen.inputs.song_asset_id if gen else None
        song = session.get(Asset, song_id) if song_id else None
        if gen is None or song is None:
            raise NotFound("the song of this generation is gone")
        count = gen.inputs.scene_count
        key = song.storage_key
    with rt.blobs.local_path(key) as path:
        analysis = analyze_audio(path)
    lengths = plan_cuts(analysis.beat_times, analysis.duration_s, count, MIN_CUT_S, MAX_CUT_S)
    return {
        "duration_s": analysis.duration_s,
        "tempo_bpm": analysis.tempo_bpm,
        "beats": len(analysis.beat_times),
        "loudness_lufs": analysis.loudness_lufs,
        "lengths": [round(x, 3) for x in lengths],
    }


def song_key(session: Session, gen: Generation) -> str | None:
    """Storage key of the generation's song, if it has one."""
    asset_id = gen.inputs.song_asset_id
    asset = session.get(Asset, asset_id) if asset_id else None
    return asset.storage_key if asset else None
