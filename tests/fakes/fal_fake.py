"""A fake fal queue (base `{url}`): POST /{model_id} → status_url / response_url, like queue.fal.run.

As on fal, the returned URLs drop the model id's sub-path (`fal-ai/veo3/fast` → `fal-ai/veo3/requests/…`),
so an adapter that rebuilds them from the model id instead of using them fails against this fake.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.media import image_bytes
from tests.fakes.server import CdnServer, FakeServer, Recorded, Reply

POLICY = "The content could not be processed because it contained material flagged by a content checker."


class FalFake(FakeServer):
    """IN_QUEUE → IN_PROGRESS (202) → COMPLETED (200); results `video.url` or `images[0].url`.

    Like fal, it ignores Idempotency-Key: every create queues a new (paid) request.
    """

    honours_idempotency_key = False

    def __init__(self, video: bytes, cdn: CdnServer, *, key: str = "fal-test", polls_needed: int = 3) -> None:
        super().__init__(polls_needed=polls_needed)
        self.key = key
        self.video = video
        self.cdn = cdn
        app = r"(?P<owner>[^/]+)/(?P<app>[^/]+)/requests/(?P<id>[^/]+)"
        self.route("GET", rf"/{app}/status", "status", self._status)
        self.route("GET", rf"/{app}", "result", self._result)
        self.route("POST", r"/(?P<model>[^?]+)", "submit", self._submit)

    @property
    def base_url(self) -> str:
        """What REELSMITH_FAL_BASE_URL should be."""
        return self.url

    def check_auth(self, request: Recorded) -> Reply | None:
        """fal's 401."""
        if request.headers.get("authorization") != f"Key {self.key}":
            return Reply(401, {"detail": "Invalid Key authorization header format"})
        return None

    def _submit(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        model = match["model"]
        reason = POLICY if self.refuses(body.get("prompt", "")) else None
        job = self.create_job(request, {"model": model, "input": body}, prefix="req-", fail_reason=reason)
        owner, app = model.split("/")[:2]
        base = f"{self.url}/{owner}/{app}/requests/{job.id}"
        return Reply(200, {
            "request_id": job.id, "response_url": base, "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel", "queue_position": 0,
        })  # fmt: skip

    def _status(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None:
            return Reply(404, {"detail": "Request not found"})
        phase = job.step()
        if phase == "queued":
            return Reply(202, {"status": "IN_QUEUE", "queue_position": 2, "response_url": "…"})
        if phase == "running":
            return Reply(202, {"status": "IN_PROGRESS", "logs": [{"message": "step 3/20"}]})
        return Reply(200, {"status": "COMPLETED", "logs": []})

    def _result(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None or job.polls < job.polls_needed:
            return Reply(400, {"detail": "Request is still in progress"})
        if job.fail_reason:
            detail = [{"loc": ["body", "prompt"], "msg": job.fail_reason, "type": "content_policy_violation"}]
            return Reply(422, {"detail": detail})
        result: dict[str, Any]
        if "flux" in job.body["model"]:
            url = self.cdn.publish(f"{job.id}.jpg", image_bytes("JPEG"), "image/jpeg")
            result = {
                "images": [{"url": url, "width": 64, "height": 48, "content_type": "image/jpeg"}],
                "seed": 1,
            }
        else:
            result = {"video": {"url": self.cdn.publish(f"{job.id}.mp4", self.video, "video/mp4")}}
        return Reply(200, result)
