"""A fake Runway API (base `{url}`): POST /v1/text_to_video, POST /v1/image_to_video, GET /v1/tasks/{id}.

Each create is checked against the published request schema of its model and endpoint (runwayml
sdk-python 5.24, `types/text_to_video_create_params.py` and `image_to_video_create_params.py`):
the model must exist on that endpoint, the ratio and duration must be among its values, and a
field its params do not list is refused, as a validating API would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.server import CdnServer, FakeServer, Recorded, Reply

GEN4_RATIOS = frozenset({"1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"})
VEO_RATIOS = frozenset({"1280:720", "720:1280", "1080:1920", "1920:1080"})
OMNI_RATIOS = frozenset({"1280:720", "720:1280"})
OMNI_11_RATIOS = frozenset(
    {"640:360", "360:640", "1280:720", "720:1280", "1920:1080", "1080:1920", "3840:2160", "2160:3840"}
)
MAX_PROMPT_UNITS = 1000  # promptText's limit, in UTF-16 code units
CREDITS_PER_SECOND = 12  # the fake's own figure for estimatedCost; real prices differ per model


@dataclass(frozen=True)
class Schema:
    """One model's request on one endpoint: its ratios, durations and the fields it may carry."""

    ratios: frozenset[str]
    durations: frozenset[int]
    fields: frozenset[str]


_GEN = frozenset({"model", "promptText", "ratio", "duration", "seed", "contentModeration", "outputFormat"})
_VEO = frozenset({"model", "promptText", "ratio", "duration", "seed", "audio", "negativePrompt"})
_OMNI = frozenset({"model", "promptText", "ratio", "duration"})
TEXT_MODELS: dict[str, Schema] = {
    "gen4.5": Schema(OMNI_RATIOS, frozenset(range(2, 11)), _GEN),  # no 960:960 from text
    "veo3.1": Schema(VEO_RATIOS, frozenset({4, 6, 8}), _VEO),
    "veo3.1_fast": Schema(VEO_RATIOS, frozenset({4, 6, 8}), _VEO),
    "gemini_omni_flash": Schema(OMNI_RATIOS, frozenset(range(3, 11)), _OMNI),
    "gemini_omni_flash_1.1": Schema(OMNI_11_RATIOS, frozenset(range(3, 11)), _OMNI | {"references"}),
}
IMAGE_MODELS: dict[str, Schema] = {
    "gen4.5": Schema(GEN4_RATIOS, frozenset(range(2, 11)), _GEN | {"promptImage"}),
    "gen4_turbo": Schema(GEN4_RATIOS, frozenset({5, 10}), (_GEN - {"outputFormat"}) | {"promptImage"}),
    "veo3.1": Schema(VEO_RATIOS, frozenset({4, 6, 8}), _VEO | {"promptImage"}),
    "veo3.1_fast": Schema(VEO_RATIOS, frozenset({4, 6, 8}), _VEO | {"promptImage"}),
    "gemini_omni_flash": Schema(OMNI_RATIOS, frozenset(range(3, 11)), _OMNI | {"promptImage"}),
    "gemini_omni_flash_1.1": Schema(OMNI_11_RATIOS, frozenset(range(3, 11)), _OMNI | {"promptImage"}),
}


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
        self.route("POST", "/v1/image_to_video", "create", self._create_from_image)
        self.route("POST", "/v1/text_to_video", "create_text", self._create_from_text)
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

    def _create_from_image(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            return Reply(400, {"error": "the body must be a JSON object"})
        image = str(body.get("promptImage", ""))
        if not (image.startswith("data:image/") or image.startswith("https://")):
            return Reply(400, {"error": "promptImage must be an HTTPS URL or a data URI"})
        return self._create(request, body, IMAGE_MODELS)

    def _create_from_text(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            return Reply(400, {"error": "the body must be a JSON object"})
        if not str(body.get("promptText", "")).strip():
            return Reply(400, {"error": "promptText is required"})
        return self._create(request, body, TEXT_MODELS)

    def _create(self, request: Recorded, body: dict[str, Any], models: dict[str, Schema]) -> Reply:
        schema = models.get(str(body.get("model")))
        if schema is None:
            return Reply(400, {"error": f"Invalid model {body.get('model')!r}"})
        unknown = sorted(set(body) - schema.fields)
        if unknown:
            return Reply(400, {"error": f"Unrecognized keys: {', '.join(unknown)}"})
        if body.get("ratio") not in schema.ratios:
            return Reply(400, {"error": f"Invalid ratio {body.get('ratio')!r}"})
        if body.get("duration") not in schema.durations:
            return Reply(400, {"error": f"Invalid duration {body.get('duration')!r}"})
        if len(str(body.get("promptText", "")).encode("utf-16-le")) > 2 * MAX_PROMPT_UNITS:
            return Reply(400, {"error": "promptText must be at most 1000 characters"})
        reason = (
            "Prompt text did not pass content moderation" if self.refuses(body.get("promptText")) else None
        )
        job = self.create_job(request, body, prefix="task-", fail_reason=reason)
        credits = CREDITS_PER_SECOND * int(body["duration"])
        return Reply(200, {"id": job.id, "estimatedCost": {"credits": credits}})

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
