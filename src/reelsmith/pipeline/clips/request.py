"""What a provider is asked to render for one scene: prompt, frame, length, seed and references.

The request is then fitted to the chosen model's catalogue entry (its durations, frame shapes and
reference images), so a request the model cannot take is refused before it is sent or paid for.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import TYPE_CHECKING

from reelsmith.db.models import Scene
from reelsmith.pipeline.clips.references import reference_files, reference_keys
from reelsmith.providers.base import ClipRequest
from reelsmith.providers.fitting import Fit, fit_clip
from reelsmith.vocabulary import AspectRatio

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime


def scene_seed(generation_id: str, index: int) -> int:
    """A stable seed per scene so a retry renders the same picture."""
    return zlib.crc32(f"{generation_id}:{index}".encode()) & 0x7FFFFFFF


def clip_request(rt: Runtime, scene_id: str, key: str, webhook_url: str = "") -> ClipRequest | None:
    """The scene's request under idempotency key `key`; None if the scene is gone.

    Reference images are fetched after the read, so no database session waits on storage.
    """
    with rt.db.read() as session:
        scene = session.get(Scene, scene_id)
        if scene is None:
            return None
        gen = scene.variant.generation
        inputs = gen.inputs
        request = ClipRequest(
            prompt=f"{scene.description} {gen.state.style_anchor}".strip(),
            duration_s=scene.duration_s,
            aspect=inputs.aspect_ratio or AspectRatio.LANDSCAPE,
            seed=scene_seed(gen.id, scene.index),
            idempotency_key=key,
            negative_prompt=scene.negative_prompt,
            on_screen_text=scene.on_screen_text,
            camera=scene.camera,
            title=gen.title,
            scene_index=scene.index,
            scene_count=scene.variant.total_scenes,
            webhook_url=webhook_url,
        )
        references = reference_keys(session, inputs.reference_asset_ids)
    if not references:
        return request
    return dataclasses.replace(request, reference_images=reference_files(rt, references))


def fitted_request(rt: Runtime, provider: str, request: ClipRequest) -> Fit:
    """`request` fitted to the model chain item `provider` uses; a permanent ProviderError if it cannot be."""
    return fit_clip(request, rt.providers.entry(provider, "video"))
