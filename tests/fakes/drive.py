"""Drive a VideoModel through submit → poll → fetch the way the pipeline does, without sleeping."""

from __future__ import annotations

from pathlib import Path

from reelsmith.providers.base import ClipRequest, JobStatus, VideoModel


def run_clip(model: VideoModel, request: ClipRequest, dest: Path, *, max_polls: int = 30) -> list[JobStatus]:
    """Submit, poll until the job leaves queued/running, fetch on success; return every status seen."""
    handle = model.submit(request)
    seen: list[JobStatus] = []
    for _ in range(max_polls):
        status = model.poll(handle.external_id)
        seen.append(status)
        if status.state == "succeeded":
            model.fetch(handle.external_id, dest)
            return seen
        if status.state == "failed":
            return seen
    raise AssertionError(f"job {handle.external_id} still unfinished after {max_polls} polls")


def clip_request(**overrides: object) -> ClipRequest:
    """A typical scene request; keyword arguments override fields."""
    fields: dict[str, object] = {
        "prompt": "A lighthouse at dawn, waves crashing",
        "duration_s": 6.0,
        "aspect": "16:9",
        "seed": 1234,
        "idempotency_key": "clip:scene-1:1",
        "negative_prompt": "blurry, watermark",
        "camera": "slow push-in",
    }
    fields.update(overrides)
    return ClipRequest(**fields)  # type: ignore[arg-type]
