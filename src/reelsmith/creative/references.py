"""Character reference images: charged up front, made in parallel, refunded for what fails.

The whole batch is charged in one ledger entry before any provider is called, so a user cannot
start more images than they can pay for; the images that do not arrive are refunded in one entry
afterwards. Both entries are keyed by the batch, so each lands exactly once.
"""

from __future__ import annotations

import base64
import logging
import tempfile
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reelsmith.accounts import ledger
from reelsmith.errors import ProviderError
from reelsmith.pipeline.assets import add_asset, store_image
from reelsmith.providers.base import ImageRequest
from reelsmith.providers.registry import IMAGE_PROVIDERS, parse_chain
from reelsmith.storage import keys
from reelsmith.vocabulary import IMAGE_PRICE, AspectRatio

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

log = logging.getLogger(__name__)

MAX_IMAGES = 4


@dataclass(frozen=True)
class ReferenceOrder:
    """What to draw, how many candidates, and with which image providers (None: the configured chain)."""

    description: str
    num_images: int = 4
    aspect_ratio: AspectRatio = AspectRatio.SQUARE
    image_provider: str | None = None
    include_base64: bool = False


@dataclass(frozen=True)
class ReferenceImage:
    """One stored candidate: its asset, who drew it, and its PNG bytes as base64 when asked for."""

    id: str
    url: str
    provider: str
    base64: str | None = None


@dataclass(frozen=True)
class ReferenceBatch:
    """The candidates that arrived, and how many did not (those were refunded)."""

    images: tuple[ReferenceImage, ...]
    failed: int


def make_references(rt: Runtime, user_id: str, order: ReferenceOrder) -> ReferenceBatch:
    """Charge the batch, draw its images in parallel, store them, refund the failures.

    Raises InsufficientTokens before any provider is called, and ProviderError (after refunding
    everything) when no image could be made.
    """
    chain = parse_chain(order.image_provider or rt.settings.image_provider, IMAGE_PROVIDERS, "image_provider")
    batch = uuid.uuid4().hex
    with rt.db.write() as session:
        ledger.charge(
            session,
            user_id,
            order.num_images * IMAGE_PRICE,
            f"charge:references:{batch}",
            note="reference images",
        )
    scratch = rt.settings.scratch_dir
    results: list[ReferenceImage | str] = []
    try:
        with ThreadPoolExecutor(max_workers=min(MAX_IMAGES, order.num_images)) as pool:
            results = list(
                pool.map(
                    lambda n: _draw(rt, user_id, order, chain, batch, n, scratch), range(order.num_images)
                )
            )
    finally:
        # Also when a worker crashed: whatever was not delivered is given back.
        images = tuple(r for r in results if isinstance(r, ReferenceImage))
        failed = order.num_images - len(images)
        if failed:
            with rt.db.write() as session:
                ledger.refund(
                    session,
                    user_id,
                    failed * IMAGE_PRICE,
                    f"refund:references:{batch}",
                    note="failed reference images",
                )
    if not images:
        raise ProviderError("; ".join(r for r in results if isinstance(r, str)), permanent=True)
    return ReferenceBatch(images, failed)


def _draw(
    rt: Runtime, user_id: str, order: ReferenceOrder, chain: list[str], batch: str, n: int, scratch: Path
) -> ReferenceImage | str:
    """Image `n` of the batch from the first provider of the chain that delivers, else the errors."""
    from PIL import Image  # Pillow is only needed here, not to import the module

    asset_id = str(uuid.uuid4())
    request = ImageRequest(
        prompt=order.description,
        aspect=order.aspect_ratio,
        # Stable per image of the batch, so candidates differ but a provider retry draws the same one.
        seed=zlib.crc32(f"{batch}:{n}".encode()),
        idempotency_key=f"reference:{batch}:{n}",
    )
    errors = []
    for name in chain:
        with tempfile.TemporaryDirectory(dir=scratch) as tmp:
            out = Path(tmp) / "ref.png"
            try:
                rt.providers.image(name).generate_image(request, out)
            except ProviderError as e:
                log.info("reference image %s of %s failed on %s: %s", n, batch, name, e.message)
                errors.append(f"{name}: {e.message}")
                continue
            with Image.open(out) as img:
                size = img.size
            blob = store_image(rt, keys.reference(asset_id), out, "image/png", size)
            data = base64.b64encode(out.read_bytes()).decode() if order.include_base64 else None
        with rt.db.write() as session:
            add_asset(session, user_id, None, "reference", blob, asset_id)
        return ReferenceImage(asset_id, f"/api/assets/{asset_id}", name, data)
    return "; ".join(errors)
