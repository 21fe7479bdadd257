"""A fake Replicate API (base `{url}/v1`): model predictions whose output files live on a CDN origin."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from typing import Any

from tests.fakes.media import image_bytes
from tests.fakes.server import CdnServer, FakeJob, FakeServer, Recorded, Reply

SENSITIVE = "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"


class ReplicateFake(FakeServer):
    """Predictions go starting → processing → succeeded; `Prefer: wait` finishes image models at once
    (or, with `hold_waits`, holds the reply for the wait asked for and answers unfinished).

    Like Replicate, it ignores Idempotency-Key: every create makes a new prediction. `GET /predictions`
    lists them newest first, 100 a page, with `next` / `previous` cursors.
    """

    honours_idempotency_key = False
    page_size = 100

    def __init__(self, video: bytes, cdn: CdnServer, *, key: str = "r8_test", polls_needed: int = 3) -> None:
        super().__init__(polls_needed=polls_needed)
        self.key = key
        self.video = video
        self.cdn = cdn
        self.image_format = "JPEG"  # what the image model returns (the adapter must convert to PNG)
        p = "/v1"
        self.route(
            "GET", f"{p}/account", "account", lambda r, m: Reply(200, {"type": "user", "username": "t"})
        )
        self.route(
            "POST", rf"{p}/models/(?P<owner>[^/]+)/(?P<name>[^/]+)/predictions", "create", self._create
        )
        self.route("GET", rf"{p}/predictions", "list", self._list)
        self.route("GET", rf"{p}/predictions/(?P<id>[^/]+)", "get", self._get)
        self.route("POST", rf"{p}/predictions/(?P<id>[^/]+)/cancel", "cancel", self._cancel)
        self.webhook_after_s: float | None = None  # finish jobs by time and call their webhook
        self.webhooks_sent: list[str] = []
        self.canceled: list[str] = []
        self.hold_waits = False

    @property
    def base_url(self) -> str:
        """What REELSMITH_REPLICATE_BASE_URL should be."""
        return f"{self.url}/v1"

    def check_auth(self, request: Recorded) -> Reply | None:
        """Replicate's 401 body."""
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return Reply(
                401,
                {
                    "title": "Unauthenticated",
                    "detail": "You did not pass a valid authentication token",
                    "status": 401,
                },
            )
        return None

    def _prediction(self, job: FakeJob, status: str) -> dict[str, Any]:
        output: Any = None
        error = None
        if status == "succeeded":
            if job.body["kind"] == "image":
                output = [self.cdn.publish(f"{job.id}.img", image_bytes(self.image_format), "image/jpeg")]
            else:
                output = self.cdn.publish(f"{job.id}.mp4", self.video, "video/mp4")
        if status == "failed":
            error = job.fail_reason
        get = f"{self.base_url}/predictions/{job.id}"
        return {
            "id": job.id, "model": job.body["model"], "version": "v1", "input": job.body["input"],
            "logs": "", "output": output, "error": error, "status": status,
            "created_at": "2026-11-01T00:00:00Z", "urls": {"get": get, "cancel": f"{get}/cancel"},
        }  # fmt: skip

    def _create(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        if not isinstance(body.get("input"), dict) or not body["input"].get("prompt"):
            return Reply(422, {"title": "Invalid input", "detail": "input.prompt is required", "status": 422})
        model = f"{match['owner']}/{match['name']}"
        kind = "image" if "imagen" in model or "flux" in model else "video"
        reason = SENSITIVE if self.refuses(body["input"]["prompt"]) else None
        job = self.create_job(
            request, {"model": model, "input": body["input"], "kind": kind}, prefix="p", fail_reason=reason
        )
        if body.get("webhook") and self.webhook_after_s is not None:
            self._call_back_later(job, str(body["webhook"]))
        prefer = request.headers.get("prefer", "")
        if prefer.startswith("wait") and kind == "image":
            if self.hold_waits:
                # Replicate holds the reply until the prediction ends or the wait (60 s bare) is up.
                wait = prefer.partition("=")[2]
                time.sleep(float(wait) if wait else 60.0)
                return Reply(201, self._prediction(job, "processing"))
            job.polls = job.polls_needed
            return Reply(201, self._prediction(job, "failed" if reason else "succeeded"))
        return Reply(201, self._prediction(job, "starting"))

    def _list(self, request: Recorded, match: re.Match[str]) -> Reply:
        newest_first = list(reversed(self.jobs.values()))
        start = int(request.query.get("cursor") or 0)
        page = newest_first[start : start + self.page_size]
        rest = start + self.page_size < len(newest_first)
        results = [self._prediction(job, "processing" if job.polls else "starting") for job in page]
        for item in results:  # the list shows no outputs
            item["output"] = None
        cursor = f"{self.base_url}/predictions?cursor="
        return Reply(200, {
            "previous": None if start == 0 else f"{cursor}{max(0, start - self.page_size)}",
            "next": f"{cursor}{start + self.page_size}" if rest else None,
            "results": results,
        })  # fmt: skip

    def _get(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None:
            return Reply(404, {"detail": "Not found."})
        phase = job.step()
        if phase != "done":
            return Reply(200, self._prediction(job, "starting" if phase == "queued" else "processing"))
        return Reply(200, self._prediction(job, "failed" if job.fail_reason else "succeeded"))

    def _cancel(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None:
            return Reply(404, {"detail": "Not found."})
        self.canceled.append(job.id)
        job.fail_reason = job.fail_reason or "canceled"
        return Reply(200, self._prediction(job, "canceled"))

    def _call_back_later(self, job: FakeJob, url: str) -> None:
        """Finish the job after `webhook_after_s`, then POST the prediction to its webhook like Replicate."""

        def fire() -> None:
            job.polls = job.polls_needed
            body = json.dumps(self._prediction(job, "succeeded")).encode()
            req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as response:
                response.read()
            self.webhooks_sent.append(job.id)

        timer = threading.Timer(self.webhook_after_s or 0.0, fire)
        timer.daemon = True
        timer.start()
