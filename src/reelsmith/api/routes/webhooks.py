"""Provider webhooks: a finished job is polled at once instead of at the next scheduled look.

The body is never read: the job's state is fetched from the provider, so nothing a caller sends here
is parsed or held in memory (the body cap lets these requests through unread).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from reelsmith.errors import NotFound
from reelsmith.pipeline.clips import webhook_received
from reelsmith.server.deps import RuntimeDep

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


@router.post("/{provider}/{token}", status_code=202)
async def webhook(
    provider: Literal["replicate", "fal", "luma", "gemini"], token: str, rt: RuntimeDep
) -> dict[str, bool]:
    """Accept a provider's completion call; the unguessable token identifies the job."""
    if not await run_in_threadpool(webhook_received, rt, provider, token):
        raise NotFound("unknown webhook")
    return {"accepted": True}
