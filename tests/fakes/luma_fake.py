"""A fake Luma: the Dream Machine API (base `{url}/dream-machine/v1`) and the Agents API (`{url}/v1`).

Dream Machine as lumaai-python 1.21 speaks it: `POST /generations/video` (not `/generations`),
`GET /generations/{id}` (queued → dreaming → completed | failed, `assets.video`), `GET /generations`
listing recent generations with the request each was made from, `DELETE /generations/{id}`.
The Agents API as luma-agents-python 0.5 speaks it: `POST /generations` {prompt, model, type,
aspect_ratio, video{duration, resolution, start_frame, end_frame}}, `GET /generations/{id}` (queued →
processing → completed | failed, `output[].url`); nothing else.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.server import CdnServer, FakeJob, FakeServer, Recorded, Reply

DREAM_MODELS = frozenset({"ray-2", "ray-flash-2"})
DREAM_FIELDS = frozenset(
    {"model", "aspect_ratio", "callback_url", "concepts", "duration", "generation_type", "keyframes", "loop",
     "prompt", "resolution"}
)  # fmt: skip
AGENT_FIELDS = frozenset(
    {"prompt", "aspect_ratio", "image_ref", "layering", "model", "output_format", "source", "style", "type",
     "user_id", "video", "web_search"}
)  # fmt: skip
AGENT_VIDEO_FIELDS = frozenset(
    {"duration", "edit", "end_frame", "exr_export", "hdr", "keyframe_indexes", "keyframes", "loop",
     "resolution", "source_position", "start_frame"}
)  # fmt: skip
AGENT_RESOLUTIONS = frozenset({"360p", "540p", "720p", "1080p"})
MODERATED = "400: prompt not allowed because advanced moderation failed"


class LumaFake(FakeServer):
    """Both Luma APIs on one loopback server; generations advance one state per poll.

    Like Luma (whose SDKs send no Idempotency-Key), it ignores the header: every create is a new job.
    """

    honours_idempotency_key = False

    def __init__(
        self, video: bytes, cdn: CdnServer, *, key: str = "luma-test", polls_needed: int = 3
    ) -> None:
        super().__init__(polls_needed=polls_needed)
        self.key = key
        self.video = video
        self.cdn = cdn
        # Creates that make the generation and then answer 502, as a gateway losing the reply would.
        self.lose_create_replies = 0
        d, a = "/dream-machine/v1", "/v1"
        self.route("GET", f"{d}/generations", "list", self._list)
        self.route("POST", f"{d}/generations/video", "create", self._create)
        self.route("GET", rf"{d}/generations/(?P<id>[^/]+)", "get", self._get)
        self.route("DELETE", rf"{d}/generations/(?P<id>[^/]+)", "delete", self._delete)
        self.route("POST", f"{a}/generations", "agents_create", self._agents_create)
        self.route("GET", rf"{a}/generations/(?P<id>[^/]+)", "agents_get", self._agents_get)

    @property
    def base_url(self) -> str:
        """What REELSMITH_LUMA_BASE_URL should be (Dream Machine)."""
        return f"{self.url}/dream-machine/v1"

    @property
    def agents_base_url(self) -> str:
        """What REELSMITH_LUMA_AGENTS_BASE_URL should be."""
        return f"{self.url}/v1"

    def check_auth(self, request: Recorded) -> Reply | None:
        """Luma's 401."""
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return Reply(401, {"detail": "Invalid API key"})
        return None

    def _created(self, reply: dict[str, Any]) -> Reply:
        """The create's reply, or a 502 after the generation was made when replies are being lost."""
        if self.lose_create_replies > 0:
            self.lose_create_replies -= 1
            return Reply(502, {"detail": "Bad Gateway"})
        return Reply(201, reply)

    # -- Dream Machine ------------------------------------------------------------------------------

    def _generation(self, job: FakeJob, state: str) -> dict[str, Any]:
        assets = None
        if state == "completed":
            assets = {"video": self.cdn.publish(f"{job.id}.mp4", self.video, "video/mp4"), "image": None}
        return {
            "id": job.id, "generation_type": "video", "state": state,
            "failure_reason": job.fail_reason if state == "failed" else None,
            "created_at": "2026-11-27T10:00:00Z", "assets": assets, "model": job.body["model"],
            "request": job.body,
        }  # fmt: skip

    def _create(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        unknown = set(body) - DREAM_FIELDS
        if unknown:
            return Reply(400, {"detail": f"Unknown fields {sorted(unknown)}"})
        if body.get("model") not in DREAM_MODELS:
            return Reply(400, {"detail": f"Invalid model {body.get('model')!r}"})
        if body.get("duration") not in ("5s", "9s"):
            return Reply(400, {"detail": f"Invalid duration {body.get('duration')!r}"})
        reason = MODERATED if self.refuses(body["prompt"]) else None
        job = self.create_job(request, body, prefix="gen-", fail_reason=reason)
        return self._created(self._generation(job, "queued"))

    def _list(self, request: Recorded, match: re.Match[str]) -> Reply:
        limit = int(request.query.get("limit", "10"))
        offset = int(request.query.get("offset", "0"))
        dream = [j for j in reversed(self.jobs.values()) if j.id.startswith("gen-")]  # newest first
        page = dream[offset : offset + limit]
        generations = [self._generation(j, "queued" if j.polls == 0 else "dreaming") for j in page]
        return Reply(200, {
            "generations": generations, "count": len(generations), "has_more": offset + limit < len(dream),
            "limit": limit, "offset": offset,
        })  # fmt: skip

    def _get(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None:
            return Reply(404, {"detail": "Generation not found"})
        phase = job.step()
        if phase != "done":
            return Reply(200, self._generation(job, "queued" if phase == "queued" else "dreaming"))
        return Reply(200, self._generation(job, "failed" if job.fail_reason else "completed"))

    def _delete(self, request: Recorded, match: re.Match[str]) -> Reply:
        if self.jobs.pop(match["id"], None) is None:
            return Reply(404, {"detail": "Generation not found"})
        return Reply(204, b"")

    # -- Agents -------------------------------------------------------------------------------------

    def _agents_generation(self, job: FakeJob, state: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": job.id, "created_at": "2026-11-27T10:00:00Z", "model": job.body["model"], "state": state,
            "type": job.body.get("type", "image"), "failure_code": None, "failure_reason": None,
            "output": None,
        }  # fmt: skip
        if state == "completed":
            out["output"] = [
                {"type": "video", "url": self.cdn.publish(f"{job.id}.mp4", self.video, "video/mp4")}
            ]
        elif state == "failed":
            out["failure_code"], out["failure_reason"] = "content_moderated", job.fail_reason
        return out

    def _agents_create(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        problem = _agents_invalid(body)
        if problem:
            return Reply(400, {"error": {"type": "invalid_request", "message": problem}})
        reason = "The prompt was flagged by content moderation." if self.refuses(body["prompt"]) else None
        job = self.create_job(request, body, prefix="agt-", fail_reason=reason)
        return self._created(self._agents_generation(job, "queued"))

    def _agents_get(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None or not job.id.startswith("agt-"):
            return Reply(404, {"error": {"type": "not_found", "message": "Generation not found"}})
        phase = job.step()
        if phase != "done":
            return Reply(200, self._agents_generation(job, "queued" if phase == "queued" else "processing"))
        return Reply(200, self._agents_generation(job, "failed" if job.fail_reason else "completed"))


def _agents_invalid(body: dict[str, Any]) -> str | None:
    """Why the Agents API would reject this video create, or None."""
    unknown = set(body) - AGENT_FIELDS
    if unknown:
        return f"unknown fields {sorted(unknown)}"
    if not body.get("prompt") or body.get("type") != "video" or body.get("model") != "ray-3.2":
        return "a video generation needs prompt, type 'video' and model 'ray-3.2'"
    video = body.get("video") or {}
    if set(video) - AGENT_VIDEO_FIELDS:
        return f"unknown video fields {sorted(set(video) - AGENT_VIDEO_FIELDS)}"
    if video.get("duration", "5s") not in ("5s", "10s"):
        return f"video.duration {video.get('duration')!r} must be 5s or 10s"
    if video.get("resolution", "720p") not in AGENT_RESOLUTIONS:
        return f"video.resolution {video.get('resolution')!r} is not supported"
    for name in ("start_frame", "end_frame"):
        ref = video.get(name)
        if ref is not None and not (ref.get("url") or (ref.get("data") and ref.get("media_type"))):
            return f"video.{name} needs a url, or data with media_type"
    return None
