"""The music-video helpers: a synchronous storyboard, character references, stitching own clips.

Each is paid for in tokens and rate-limited per user: they run paid models or heavy media work.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from reelsmith.creative.references import MAX_IMAGES, ReferenceOrder, make_references
from reelsmith.creative.storyboard import draft_storyboard
from reelsmith.generations.service import create_stitch_job
from reelsmith.generations.voices import list_voices, voice_sample
from reelsmith.server.deps import RuntimeDep, UserDep
from reelsmith.vocabulary import MAX_SCENES, AspectRatio, GenerationStatus, Mode, Transition

router = APIRouter(prefix="/api", tags=["creative"])


class StoryboardRequest(BaseModel):
    """What to draft."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=4000)
    scenes: int = Field(default=4, ge=1, le=MAX_SCENES)
    mode: Literal[Mode.STORY, Mode.MUSIC_VIDEO] = Mode.STORY
    text_provider: str | None = Field(default=None, max_length=200)


@router.post("/storyboards")
def storyboard(body: StoryboardRequest, user: UserDep, rt: RuntimeDep, request: Request) -> dict[str, Any]:
    """Draft a story and its scenes now (no video is made; one draft's tokens, refunded if it fails)."""
    request.app.state.storyboard_limiter.hit(user.id)
    return asdict(draft_storyboard(rt, user.id, body.prompt, body.scenes, body.mode, body.text_provider))


class ReferenceRequest(BaseModel):
    """Character reference images to generate."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=2000)
    num_images: int = Field(default=4, ge=1, le=MAX_IMAGES)
    aspect_ratio: AspectRatio = AspectRatio.SQUARE
    include_base64: bool = False
    image_provider: str | None = Field(default=None, max_length=200)


@router.post("/references")
def references(body: ReferenceRequest, user: UserDep, rt: RuntimeDep, request: Request) -> dict[str, Any]:
    """Generate 1 to 4 candidate reference images in parallel (charged per image, failures refunded)."""
    request.app.state.reference_limiter.hit(user.id)
    order = ReferenceOrder(
        body.description, body.num_images, body.aspect_ratio, body.image_provider, body.include_base64
    )
    batch = make_references(rt, user.id, order)
    images = [
        {"id": i.id, "url": i.url, "provider": i.provider, **({"base64": i.base64} if i.base64 else {})}
        for i in batch.images
    ]
    return {"images": images, "failed": batch.failed}


class StitchRequest(BaseModel):
    """Clips (uploaded or generated video assets) to join in order."""

    model_config = ConfigDict(extra="forbid")

    asset_ids: list[str] = Field(min_length=1, max_length=50)
    transition: Transition = Transition.NONE
    transition_s: float = Field(default=0.5, gt=0, le=3)


@router.post("/stitch", status_code=202)
def stitch(body: StitchRequest, user: UserDep, rt: RuntimeDep, request: Request) -> JSONResponse:
    """Start stitching (charged per clip joined, refunded if it fails); follow the job like any generation."""
    request.app.state.stitch_limiter.hit(user.id)
    job_id = create_stitch_job(rt, user.id, body.asset_ids, body.transition, body.transition_s)
    return JSONResponse(
        status_code=202,
        content={"id": job_id, "status": GenerationStatus.QUEUED, "url": f"/api/generations/{job_id}"},
        headers={"Location": f"/api/generations/{job_id}"},
    )


class VoiceRead(BaseModel):
    """One voice a speech provider offers."""

    name: str
    language: str
    description: str = ""


class ProviderVoicesRead(BaseModel):
    """The voices of one provider of the configured speech chain."""

    provider: str
    voices: list[VoiceRead]
    error: str | None = None


@router.get("/voices", response_model=list[ProviderVoicesRead])
def voices(user: UserDep, rt: RuntimeDep) -> list[ProviderVoicesRead]:
    """The narration voices of each configured speech provider."""
    return [
        ProviderVoicesRead(
            provider=p.provider, voices=[VoiceRead(**asdict(v)) for v in p.voices], error=p.error
        )
        for p in list_voices(rt)
    ]


@router.get(
    "/voices/sample",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}, "audio/mpeg": {}}, "description": "A spoken sentence."}},
)
def sample(
    user: UserDep,
    rt: RuntimeDep,
    request: Request,
    voice: str = Query(default="", max_length=100),
    provider: str | None = Query(default=None, max_length=200),
) -> Response:
    """A fixed sentence spoken by the voice (made once per voice, then served from storage)."""
    limiter = request.app.state.reference_limiter
    key, content_type = voice_sample(rt, provider, voice, lambda: limiter.hit(user.id))
    with rt.blobs.open(key) as f:
        data = f.read()
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=86400"})
