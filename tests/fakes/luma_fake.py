"""A fake Luma Dream Machine API (base `{url}/dream-machine/v1`)."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.server import CdnServer, FakeJob, FakeServer, Recorded, Reply


class LumaFake(FakeServer):
    """Generations go queued → dreaming → completed (`assets.video`) or failed (`failure_reason`)."""

    def __init__(
        self, video: bytes, cdn: CdnServer, *, key: str = "luma-test", polls_needed: int = 3
    ) -> None:
        super().__init__(polls_needed=polls_needed)
        self.key = key
        self.video = video
        self.cdn = cdn
        p = "/dream-machine/v1"
        self.route(
            "GET", f"{p}/generations", "list", lambda r, m: Reply(200, {"generations": [], "has_more": False})
        )
        self.route("POST", f"{p}/generations", "create", self._create)
        self.route("GET", rf"{p}/generations/(?P<id>[^/]+)", "get", self._get)

    @property
    def base_url(self) -> str:
        """What REELSMITH_LUMA_BASE_URL should be."""
        return f"{self.url}/dream-machine/v1"

    def check_auth(self, request: Recorded) -> Reply | None:
        """Luma's 401."""
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return Reply(401, {"detail": "Invalid API key"})
        return None

    def _generation(self, job: FakeJob, state: str) -> dict[str, Any]:
        assets = None
        if state == "completed":
            assets = {"video": self.cdn.publish(f"{job.id}.mp4", self.video, "video/mp4"), "image": None}
        return {
            "id": job.id, "state": state, "failure_reason": job.fail_reason if state == "failed" else None,
            "assets": assets, "model": job.body["model"], "request": job.body,
        }  # fmt: skip

    def _create(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        if body.get("duration") not in ("5s", "9s"):
            return Reply(400, {"detail": f"Invalid duration {body.get('duration')!r}"})
        reason = (
            "400: prompt not allowed because advanced moderation failed"
            if self.refuses(body["prompt"])
            else None
        )
        job = self.create_job(request, body, prefix="gen-", fail_reason=reason)
        return Reply(201, self._generation(job, "queued"))

    def _get(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None:
            return Reply(404, {"detail": "Generation not found"})
        phase = job.step()
        if phase != "done":
            return Reply(200, self._generation(job, "queued" if phase == "queued" else "dreaming"))
        return Reply(200, self._generation(job, "failed" if job.fail_reason else "completed"))
