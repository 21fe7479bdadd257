"""Reading generations back as their typed read models (API, CLI `--json` and pages alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Event, Generation, Scene, Step, Variant
from reelsmith.errors import NotFound
from reelsmith.generations.read_models import (
    CaptionsRead,
    ConversationTurn,
    GenerationListItem,
    GenerationRead,
    GenerationSummary,
    SceneRead,
    SourceRead,
    StepRead,
    VariantEvaluation,
    VariantRead,
    WordRead,
)
from reelsmith.pipeline.eta import estimate
from reelsmith.pipeline.failure import STEP_ERROR
from reelsmith.pipeline.main_variant import kind_rank, main_of
from reelsmith.pipeline.modes import steps_for
from reelsmith.pipeline.narration import narrated
from reelsmith.vocabulary import CaptionMode, GenerationStatus, SceneStatus, StepStatus, VariantStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


def get_generation(session: Session, generation_id: str, user_id: str | None = None) -> Generation:
    """The generation, if it exists and (when `user_id` is given) belongs to that user."""
    gen = session.get(Generation, generation_id)
    if gen is None or (user_id is not None and gen.user_id != user_id):
        raise NotFound(f"generation not found: {generation_id}")
    return gen


def asset_url(asset_id: str | None) -> str | None:
    """The API URL of an asset."""
    return f"/api/assets/{asset_id}" if asset_id else None


def summary_fields(gen: Generation) -> dict[str, Any]:
    """The row's own fields, named as the read models name them."""
    return {name: getattr(gen, name) for name in GenerationSummary.model_fields}


def list_item(gen: Generation) -> GenerationListItem:
    """A light row for lists (no joins): what a gallery card needs."""
    completed = gen.status == GenerationStatus.COMPLETED
    return GenerationListItem(
        **summary_fields(gen),
        url=f"/api/generations/{gen.id}",
        thumbnail_url=f"/api/generations/{gen.id}/thumbnail" if completed else None,
    )


class _Files:
    """Local paths of a generation's assets, when the caller wants them and the store keeps files.

    Only the store's own files are named: reading a generation must not download its videos.
    """

    def __init__(self, rt: Runtime, session: Session, gen: Generation, wanted: bool) -> None:
        self._keys: dict[str, str] = {}
        self._blobs = rt.blobs if wanted else None
        if self._blobs is not None:
            rows = session.execute(select(Asset.id, Asset.storage_key).where(Asset.generation_id == gen.id))
            self._keys = {asset_id: key for asset_id, key in rows}

    def path(self, asset_id: str | None) -> str | None:
        """The local path of an asset of this generation, or None."""
        if self._blobs is None or asset_id is None or asset_id not in self._keys:
            return None
        path = self._blobs.own_file(self._keys[asset_id])
        return str(path) if path is not None else None


def _scene(scene: Scene, files: _Files) -> SceneRead:
    return SceneRead(
        id=scene.id,
        index=scene.index,
        description=scene.description,
        negative_prompt=scene.negative_prompt,
        duration_s=scene.duration_s,
        camera=scene.camera,
        on_screen_text=scene.on_screen_text,
        status=SceneStatus(scene.status),
        attempts=scene.attempts,
        provider=scene.provider,
        error_message=scene.error_message,
        video_url=asset_url(scene.clip_asset_id),
        thumbnail_url=asset_url(scene.thumbnail_asset_id),
        delivered_url=asset_url(scene.delivered_asset_id),
        video_path=files.path(scene.clip_asset_id),
        thumbnail_path=files.path(scene.thumbnail_asset_id),
        narration=scene.narration,
        voice=scene.voice,
        words=[WordRead.model_validate(w) for w in scene.words or ()],
        speech_url=asset_url(scene.speech_asset_id),
        speech_path=files.path(scene.speech_asset_id),
    )


def _captions(variant: Variant, files: _Files) -> CaptionsRead | None:
    """The variant's captions files, if it has any."""
    srt, vtt = variant.captions_srt_asset_id, variant.captions_vtt_asset_id
    if srt is None and vtt is None:
        return None
    return CaptionsRead(
        srt_url=asset_url(srt), vtt_url=asset_url(vtt), srt_path=files.path(srt), vtt_path=files.path(vtt)
    )


def _variant(variant: Variant, evaluation: dict[str, Any] | None, files: _Files) -> VariantRead:
    return VariantRead(
        id=variant.id,
        kind=variant.kind,
        status=VariantStatus(variant.status),
        total_scenes=variant.total_scenes,
        scenes_completed=variant.scenes_completed,
        error_message=variant.error_message,
        video_url=asset_url(variant.video_asset_id),
        thumbnail_url=asset_url(variant.thumbnail_asset_id),
        preview_url=asset_url(variant.preview_asset_id),
        evaluation=VariantEvaluation.model_validate(evaluation) if evaluation else None,
        scenes=[_scene(s, files) for s in variant.scenes],
        captions=_captions(variant, files),
        video_path=files.path(variant.video_asset_id),
        thumbnail_path=files.path(variant.thumbnail_asset_id),
    )


def _steps(session: Session, gen: Generation) -> list[StepRead]:
    order = [d.name for d in steps_for(gen.mode)]
    # Only the columns shown: a step's output (a whole story, say) is not needed here.
    rows = session.execute(
        select(Step.name, Step.status, Step.attempts, Step.started_at, Step.finished_at).where(
            Step.generation_id == gen.id
        )
    )
    errors = _step_errors(session, gen)
    return [
        StepRead(
            name=name,
            status=StepStatus(status),
            attempts=attempts,
            started_at=start,
            finished_at=end,
            error=errors.get(name),
        )
        for name, status, attempts, start, end in sorted(rows, key=lambda r: order.index(r.name))
    ]


def _step_errors(session: Session, gen: Generation) -> dict[str, str]:
    """The full failure text of each failed step (outputs of failed steps only, which are small)."""
    rows = session.execute(
        select(Step.name, Step.output).where(Step.generation_id == gen.id, Step.status == StepStatus.FAILED)
    )
    return {name: str(output[STEP_ERROR]) for name, output in rows if output and output.get(STEP_ERROR)}


def _conversation(session: Session, gen: Generation) -> list[ConversationTurn]:
    rows = session.scalars(
        select(Event).where(Event.generation_id == gen.id, Event.kind == "llm").order_by(Event.id)
    )
    return [ConversationTurn.model_validate({**e.payload, "at": e.at}) for e in rows]


def _source(gen: Generation, analysis: dict[str, Any] | None) -> SourceRead | None:
    """The source ad of an ad clone and what was measured on it (None for other modes)."""
    asset_id = gen.inputs.source_asset_id
    if not asset_id:
        return None
    measured = {k: v for k, v in (analysis or {}).items() if k in SourceRead.model_fields}
    return SourceRead(**{**measured, "asset_id": asset_id, "video_url": asset_url(asset_id)})


def read_generation(
    rt: Runtime, session: Session, gen: Generation, *, with_paths: bool = False
) -> GenerationRead:
    """The generation in full; `with_paths` adds local file paths (the CLI's `--json`)."""
    files = _Files(rt, session, gen, with_paths)
    outputs = {
        s.name: s.output or {}
        for s in session.scalars(
            select(Step).where(Step.generation_id == gen.id, Step.name.in_(("source", "evaluate")))
        )
    }
    scores: dict[str, Any] = outputs.get("evaluate", {}).get("variants", {})
    rows = session.scalars(select(Variant).where(Variant.generation_id == gen.id))
    variants = [_variant(v, scores.get(v.kind), files) for v in sorted(rows, key=lambda v: kind_rank(v.kind))]
    main = main_of(gen.state.best_variant, variants, lambda v: v.kind)
    image_id = gen.state.image_asset_id
    steps = _steps(session, gen)
    return GenerationRead(
        **summary_fields(gen),
        aspect_ratio=gen.inputs.aspect_ratio,
        video_url=main.video_url if main else None,
        thumbnail_url=main.thumbnail_url if main else None,
        preview_url=main.preview_url if main else None,
        image_url=asset_url(image_id),
        cost_usd=gen.cost_usd,
        tokens_charged=gen.tokens_charged,
        eta_s=estimate(session, gen, steps),
        narration=narrated(gen.mode, gen.inputs),
        voice=gen.inputs.voice,
        caption_mode=gen.inputs.captions if narrated(gen.mode, gen.inputs) else CaptionMode.OFF,
        captions=main.captions if main else None,
        variants=variants,
        source=_source(gen, outputs.get("source")),
        steps=steps,
        conversation=_conversation(session, gen),
        video_path=main.video_path if main else None,
        thumbnail_path=main.thumbnail_path if main else None,
        image_path=files.path(image_id),
    )


def read_fresh(rt: Runtime, generation_id: str) -> GenerationRead:
    """The generation as it is now, in a new read (after a change made in another transaction)."""
    with rt.db.read() as session:
        return read_generation(rt, session, get_generation(session, generation_id))


def main_output_key(session: Session, gen: Generation) -> str | None:
    """Storage key of what the generation made: its main variant's video, or its picture."""
    variants = list(session.scalars(select(Variant).where(Variant.generation_id == gen.id)))
    main = main_of(gen.state.best_variant, variants, lambda v: v.kind)
    asset_id = (main.video_asset_id if main else None) or gen.state.image_asset_id
    asset = session.get(Asset, asset_id) if asset_id else None
    return asset.storage_key if asset else None
