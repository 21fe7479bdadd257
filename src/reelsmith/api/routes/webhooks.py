"""Provider webhooks: a finished job is polled at once instead of at the next scheduled look."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from reelsmith.errors import NotFound
from reelsmith.pipeline.clips import webhook_received
from reelsmith.server.deps import RuntimeDep

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


@router.post("/{provider}/{token}", status_code=202)
async def webhook(
    provider: Literal["replicate", "fal", "luma"], token: str, request: Request, rt: RuntimeDep
) -> dict[str, bool]:
    """Accept a provider's completion call; the unguessable token identifies the job."""
    await request.body()  # drained; the job's state is read from the provider, not from this body
    if not await run_in_threadpool(webhook_received, rt, provider, token):
        raise NotFound("unknown webhook")
    return {"accepted": True}
