"""Quick image mode: one picture from the image provider chain."""

from __future__ import annotations

import dataclasses
import tempfile
import zlib
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, Variant, utcnow
from reelsmith.errors import NotFound, ProviderError
from reelsmith.pipeline.assets import StoredBlob, add_asset, store_image
from reelsmith.pipeline.calls import recorded_call
from reelsmith.providers.base import ImageRequest
from reelsmith.providers.pricing import image_cost
from reelsmith.providers.registry import IMAGE_PROVIDERS, parse_chain
from reelsmith.storage import keys
from reelsmith.vocabulary import DEFAULT_VARIANT, AspectRatio, VariantStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


def compute_image(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Generate the image, trying each provider of the chain in turn."""
    with rt.db.read() as session:
        gen = session.get(Generation, generation_id)
        if gen is None:
            raise NotFound("generation vanished")
        prompt, aspect = gen.prompt, gen.inputs.aspect_ratio or AspectRatio.SQUARE
        chain_text = gen.inputs.image_provider or rt.settings.image_provider
    chain = parse_chain(chain_text, IMAGE_PROVIDERS, "image_provider")
    scratch = rt.settings.scratch_dir
    errors: list[str] = []
    for name in chain:
        request = ImageRequest(
            prompt=prompt,
            aspect=aspect,
            seed=zlib.crc32(generation_id.encode()),
            idempotency_key=f"image:{generation_id}",
        )
        with tempfile.TemporaryDirectory(dir=scratch) as tmp:
            out, thumb = Path(tmp) / "image.png", Path(tmp) / "thumb.jpg"
            model = rt.providers.image(name)
            usd = image_cost(name, model.model, 1, prices=rt.settings.prices)
            try:
                recorded_call(
                    rt, generation_id=generation_id, provider=name, model=model.model, operation="image",
                    call=partial(model.generate_image, request, out), cost=partial(_flat, usd),
                )  # fmt: skip
            except ProviderError as e:
                errors.append(e.message if e.message.startswith(name) else f"{name}: {e.message}")
                continue
            size, thumb_size = _make_poster(out, thumb)
            image = store_image(rt, keys.generation_image(generation_id), out, "image/png", size)
            poster = store_image(
                rt, keys.final_thumbnail(generation_id, DEFAULT_VARIANT), thumb, "image/jpeg", thumb_size
            )
        return {"provider": name, "image": dataclasses.asdict(image), "thumbnail": dataclasses.asdict(poster)}
    raise ProviderError("; ".join(errors) or "no image provider", permanent=True)


def _make_poster(image: Path, poster: Path) -> tuple[tuple[int, int], tuple[int, int]]:
    """Write a JPEG poster of at most 640 px; returns the image's size and the poster's."""
    from PIL import Image

    with Image.open(image) as img:
        size = img.size
        poster_img = img.convert("RGB")
        poster_img.thumbnail((640, 640))
        poster_img.save(poster, "JPEG", quality=82, optimize=True, progressive=True)
        return size, poster_img.size


def _flat(usd: float, _result: object) -> float:
    return usd


def apply_image(session: Session, gen: Generation, output: dict[str, Any]) -> None:
    """Record the image and its poster on a single variant."""
    image = add_asset(session, gen.user_id, gen.id, "image", StoredBlob(**output["image"]))
    poster = add_asset(session, gen.user_id, gen.id, "thumbnail", StoredBlob(**output["thumbnail"]))
    session.add(
        Variant(
            generation_id=gen.id,
            kind=DEFAULT_VARIANT,
            status=VariantStatus.COMPLETED,
            total_scenes=0,
            video_asset_id=None,
            thumbnail_asset_id=poster.id,
            updated_at=utcnow(),
        )
    )
    gen.update_state(image_asset_id=image.id, image_provider_used=output["provider"])
