"""The music-video helpers: a synchronous storyboard, character references, stitching own clips."""

from __future__ import annotations

import base64
import tempfile
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from reelsmith.accounts import ledger
from reelsmith.api.deps import RuntimeDep, UserDep
from reelsmith.errors import ProviderError
from reelsmith.generations.schemas import MAX_SCENES, AspectRatio, Transition
from reelsmith.generations.service import create_stitch_job
from reelsmith.pipeline.assets import add_asset, store_image
from reelsmith.pipeline.writing import MAX_SCENE_S, MIN_SCENE_S, ask_text
from reelsmith.providers.base import ImageRequest
from reelsmith.providers.registry import IMAGE_PROVIDERS, parse_chain
from reelsmith.storage import keys
from reelsmith.vocabulary import IMAGE_PRICE

router = APIRouter(prefix="/api", tags=["creative"])


class StoryboardRequest(BaseModel):
    """What to draft."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=4000)
    scenes: int = Field(default=4, ge=1, le=MAX_SCENES)
    mode: Literal["story", "music_video"] = "story"
    text_provider: str | None = Field(default=None, max_length=200)


@router.post("/storyboards")
def storyboard(body: StoryboardRequest, user: UserDep, rt: RuntimeDep) -> dict[str, Any]:
    """Draft a story and its scenes now (no video is made, no tokens are charged)."""
    providers = body.text_provider or rt.settings.text_provider
    story = ask_text(
        rt,
        "story",
        {"prompt": body.prompt, "title": "", "mode": body.mode, "scene_count": body.scenes},
        providers,
        None,
    )
    scenes = ask_text(
        rt,
        "scenes",
        {
            "prompt": body.prompt,
            "story": story,
            "scene_count": body.scenes,
            "min_duration_s": MIN_SCENE_S,
            "max_duration_s": MAX_SCENE_S,
            "target_total_s": None,
        },
        providers,
        None,
    )
    return {
        "title": story["title"],
        "logline": story["logline"],
        "story": story["story"],
        "style": story["style"],
        "scenes": scenes["scenes"],
    }


class ReferenceRequest(BaseModel):
    """Character reference images to generate."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=2000)
    num_images: int = Field(default=4, ge=1, le=4)
    aspect_ratio: AspectRatio = "1:1"
    include_base64: bool = False
    image_provider: str | None = Field(default=None, max_length=200)


@router.post("/references")
def references(body: ReferenceRequest, user: UserDep, rt: RuntimeDep) -> dict[str, Any]:
    """Generate 1 to 4 candidate reference images in parallel (1 token each, refunded if they fail)."""
    chain = parse_chain(body.image_provider or rt.settings.image_provider, IMAGE_PROVIDERS, "image_provider")
    batch = uuid.uuid4().hex
    with rt.db.write() as session:
        ledger.charge(
            session,
            user.id,
            body.num_images * IMAGE_PRICE,
            f"charge:references:{batch}",
            note="reference images",
        )
    scratch = rt.settings.data_dir / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)

    def make(n: int) -> dict[str, Any]:
        asset_id = str(uuid.uuid4())
        seed = zlib.crc32(f"{batch}:{n}".encode())
        errors = []
        for name in chain:
            with tempfile.TemporaryDirectory(dir=scratch) as tmp:
                out = Path(tmp) / "ref.png"
                request = ImageRequest(
                    prompt=body.description,
                    aspect=body.aspect_ratio,
                    seed=seed,
                    idempotency_key=f"reference:{batch}:{n}",
                )
                try:
                    rt.providers.image(name).generate_image(request, out)
                except ProviderError as e:
                    errors.append(f"{name}: {e.message}")
                    continue
                from PIL import Image

                with Image.open(out) as img:
                    size = img.size
                blob = store_image(rt, keys.reference(asset_id), out, "image/png", size)
                data = base64.b64encode(out.read_bytes()).decode() if body.include_base64 else None
            with rt.db.write() as session:
                add_asset(session, user.id, None, "reference", blob, asset_id)
            return {"id": asset_id, "url": f"/api/assets/{asset_id}", "provider": name, "base64": data}
        return {"error": "; ".join(errors)}

    with ThreadPoolExecutor(max_workers=min(4, body.num_images)) as pool:
        results = list(pool.map(make, range(body.num_images)))
    images = [r for r in results if "id" in r]
    failed = len(results) - len(images)
    if failed:
        with rt.db.write() as session:
            ledger.refund(
                session,
                user.id,
                failed * IMAGE_PRICE,
                f"refund:references:{batch}",
                note="failed reference images",
            )
    if not images:
        raise ProviderError("; ".join(r["error"] for r in results), permanent=True)
    for image in images:
        if image["base64"] is None:
            del image["base64"]
    return {"images": images, "failed": failed}


class StitchRequest(BaseModel):
    """Clips (uploaded or generated video assets) to join in order."""

    model_config = ConfigDict(extra="forbid")

    asset_ids: list[str] = Field(min_length=1, max_length=50)
    transition: Transition = "none"
    transition_s: float = Field(default=0.5, gt=0, le=3)


@router.post("/stitch", status_code=202)
def stitch(body: StitchRequest, user: UserDep, rt: RuntimeDep, request: Request) -> JSONResponse:
    """Start stitching; follow the returned job like any generation (its video is the result)."""
    job_id = create_stitch_job(rt, user.id, body.asset_ids, body.transition, body.transition_s)
    return JSONResponse(
        status_code=202,
        content={"id": job_id, "status": "queued", "url": f"/api/generations/{job_id}"},
        headers={"Location": f"/api/generations/{job_id}"},
    )
