"""A fake Runway API (base `{url}`): POST /v1/image_to_video and GET /v1/tasks/{id}."""

from __future__ import annotations

import re

from tests.fakes.server import CdnServer, FakeServer, Recorded, Reply

RATIOS = {"1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"}
# runwayml sdk-python v5.13: each model's ratios and durations.
MODELS: dict[str, tuple[set[str], set[int]]] = {
    "gen4.5": (RATIOS, set(range(2, 11))),
    "gen4_turbo": (RATIOS, {5, 10}),
    "veo3.1": ({"1280:720", "720:1280", "1080:1920", "1920:1080"}, {4, 6, 8}),
    "veo3.1_fast": ({"1280:720", "720:1280", "1080:1920", "1920:1080"}, {4, 6, 8}),
    "gemini_omni_flash": ({"1280:720", "720:1280"}, set(range(3, 11))),
}
MAX_PROMPT_UNITS = 1000  # promptText's limit, in UTF-16 code units


class RunwayFake(FakeServer):
    """Tasks go PENDING → RUNNING (progress) → SUCCEEDED; moderation fails with SAFETY.INPUT.TEXT.

    Like Runway, it ignores Idempotency-Key (every create starts a new task) and cannot list tasks.
    """

    honours_idempotency_key = False

    def __init__(self, video: bytes, cdn: CdnServer, *, key: str = "key_test", polls_needed: int = 3) -> None:
        super().__init__(polls_needed=polls_needed)
        self.key = key
        self.video = video
        self.cdn = cdn
        self.route("GET", "/v1/organization", "organization", lambda r, m: Reply(200, {"creditBalance": 100}))
        self.route("POST", "/v1/image_to_video", "create", self._create)
        self.route("GET", r"/v1/tasks/(?P<id>[^/]+)", "task", self._task)

    @property
    def base_url(self) -> str:
        """What REELSMITH_RUNWAY_BASE_URL should be."""
        return self.url

    def check_auth(self, request: Recorded) -> Reply | None:
        """Runway's 401, and its 400 for a missing API version header."""
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return Reply(401, {"error": "Invalid API key"})
        if request.headers.get("x-runway-version") != "2024-11-06":
            return Reply(400, {"error": "X-Runway-Version header is required"})
        return None

    def _create(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        image = str(body.get("promptImage", ""))
        if not (image.startswith("data:image/") or image.startswith("https://")):
            return Reply(400, {"error": "promptImage must be an HTTPS URL or a data URI"})
        model = MODELS.get(str(body.get("model")))
        if model is None:
            return Reply(400, {"error": f"Invalid model {body.get('model')!r}"})
        if body.get("ratio") not in model[0]:
            return Reply(400, {"error": f"Invalid ratio {body.get('ratio')!r}"})
        if body.get("duration") not in model[1]:
            return Reply(400, {"error": f"Invalid duration {body.get('duration')!r}"})
        if len(str(body.get("promptText", "")).encode("utf-16-le")) > 2 * MAX_PROMPT_UNITS:
            return Reply(400, {"error": "promptText must be at most 1000 characters"})
        reason = (
            "Prompt text did not pass content moderation" if self.refuses(body.get("promptText")) else None
        )
        job = self.create_job(request, body, prefix="task-", fail_reason=reason)
        return Reply(200, {"id": job.id})

    def _task(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None:
            return Reply(404, {"error": "Task not found"})
        phase = job.step()
        task = {"id": job.id, "createdAt": "2026-11-01T00:00:00Z"}
        if phase == "queued":
            return Reply(200, {**task, "status": "PENDING"})
        if phase == "running":
            return Reply(200, {**task, "status": "RUNNING", "progress": job.progress})
        if job.fail_reason:
            return Reply(
                200,
                {**task, "status": "FAILED", "failure": job.fail_reason, "failureCode": "SAFETY.INPUT.TEXT"},
            )
        url = self.cdn.publish(f"{job.id}.mp4", self.video, "video/mp4")
        return Reply(200, {**task, "status": "SUCCEEDED", "output": [url]})
