"""fal: the queue API. POST /{model_id} answers with the status and result URLs to use from then on.

Those URLs are not always under the model id (fal drops sub-paths such as `/fast`), so the job id
is the returned `response_url` itself — plus the `status_url` when it is not `response_url/status`.
fal-client hard-codes its host, so this adapter drives the queue over httpx (PROVIDERS.md).

The queue API has no way to list one's requests, so a create whose answer was lost cannot be looked
up: it stays uncertain (the pipeline does not send it again).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from reelsmith.errors import ProviderError
from reelsmith.providers.base import ClipRequest, ImageRequest, JobHandle, JobStatus
from reelsmith.providers.body import clip_body
from reelsmith.providers.catalogue import ModelEntry, generic_entry
from reelsmith.providers.http import ProviderHttp, looks_like_policy, parse_json
from reelsmith.providers.inputs import save_png

POLL_S = 3.0
IMAGE_POLL_S = 0.5
MAX_ID = 255  # the width of scenes.provider_job_id
IMAGE_SIZES = {"16:9": "landscape_16_9", "9:16": "portrait_16_9", "1:1": "square_hd"}


def _urls(external_id: str) -> tuple[str, str]:
    response_url, _, status_url = external_id.partition(" ")
    return response_url, status_url or f"{response_url}/status"


class _FalQueue:
    """The submit / status / result calls both fal adapters share."""

    name = "fal"

    def __init__(self, http: ProviderHttp, model: str) -> None:
        self.http = http
        self.model = model

    def _enqueue(self, body: dict[str, Any], idempotency_key: str, webhook_url: str = "") -> str:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        path = self.model.strip("/")
        if webhook_url:
            path += "?" + urlencode({"fal_webhook": webhook_url})
        queued = self.http.json("POST", path, json_body=body, headers=headers, creates=True)
        response_url = str(queued.get("response_url") or "")
        if not response_url:
            raise self.http.uncertain("the queue reply has no response_url")
        status_url = str(queued.get("status_url") or "")
        external_id = (
            response_url if status_url in ("", f"{response_url}/status") else f"{response_url} {status_url}"
        )
        if len(external_id) > MAX_ID:
            raise self.http.fail(
                f"queue URLs too long to keep as a job id: {external_id[:80]}…", permanent=True
            )
        return external_id

    def _poll(self, external_id: str, poll_after_s: float) -> tuple[JobStatus, dict[str, Any] | None]:
        """The job's state, and its result once completed (fetched here to see a failure early)."""
        response_url, status_url = _urls(external_id)
        status = self.http.json("GET", status_url)
        state = str(status.get("status"))
        if state == "IN_QUEUE":
            return JobStatus("queued", poll_after_s=poll_after_s), None
        if state != "COMPLETED":
            return JobStatus("running", poll_after_s=poll_after_s), None
        if status.get("error"):
            return self._failure(str(status["error"]), status.get("error_type")), None
        try:
            result = parse_json(self.http, self.http.request("GET", response_url))
        except ProviderError as e:
            if not e.permanent:
                raise
            return JobStatus("failed", reason=e.message, permanent=True), None
        return JobStatus("succeeded", progress=1.0, poll_after_s=0.0), result

    @staticmethod
    def _failure(reason: str, error_type: object) -> JobStatus:
        return JobStatus("failed", reason=reason, permanent=looks_like_policy(reason, error_type))


class FalVideoModel(_FalQueue):
    """Clips from any fal video endpoint, the body built from its catalogue entry; result `video.url`."""

    def __init__(self, http: ProviderHttp, model: str, entry: ModelEntry | None = None) -> None:
        super().__init__(http, model)
        self.entry = entry or generic_entry(self.name, model, "video")

    def _input(self, request: ClipRequest) -> dict[str, Any]:
        return clip_body(request, self.entry, provider=self.name)

    def submit(self, request: ClipRequest) -> JobHandle:
        """Queue the request; the returned URLs become the job id."""
        external_id = self._enqueue(self._input(request), request.idempotency_key, request.webhook_url)
        return JobHandle(external_id, poll_after_s=POLL_S)

    def poll(self, external_id: str) -> JobStatus:
        """IN_QUEUE → queued, IN_PROGRESS → running, COMPLETED → the result (or its error)."""
        status, result = self._poll(external_id, POLL_S)
        if result is not None and not _video_url(result):
            return JobStatus("failed", reason="the result has no video.url")
        return status

    def cancel(self, external_id: str) -> None:
        """PUT …/requests/{id}/cancel."""
        self.http.request("PUT", f"{_urls(external_id)[0]}/cancel")

    def fetch(self, external_id: str, dest: Path) -> None:
        """Download the result's `video.url` (a CDN URL: sent without our key)."""
        result = self.http.json("GET", _urls(external_id)[0])
        url = _video_url(result)
        if not url:
            raise self.http.fail("the result has no video.url")
        self.http.download(url, dest)


class FalImageModel(_FalQueue):
    """One image from a fal image endpoint (`fal-ai/flux/schnell` by default); result `images[0].url`."""

    def __init__(self, http: ProviderHttp, model: str, *, max_polls: int = 240) -> None:
        super().__init__(http, model)
        self.max_polls = max_polls

    def generate_image(self, request: ImageRequest, dest: Path) -> None:
        """Queue the request, wait for it, and save the image as PNG."""
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "image_size": IMAGE_SIZES.get(request.aspect, "square_hd"),
            "num_images": 1,
            "seed": request.seed,
            "output_format": "png",
        }
        if request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt
        external_id = self._enqueue(body, request.idempotency_key)
        for _ in range(self.max_polls):
            status, result = self._poll(external_id, IMAGE_POLL_S)
            if status.state == "failed":
                raise self.http.fail(status.reason or "the request failed", permanent=status.permanent)
            if result is not None:
                break
            self.http.sleep(IMAGE_POLL_S)
        else:
            raise self.http.fail("the image request is still unfinished; gave up")
        images = result.get("images") or []
        url = images[0].get("url") if images and isinstance(images[0], dict) else None
        if not url:
            raise self.http.fail("the result has no images[0].url")
        tmp = dest.with_name(f".{dest.name}.download")
        try:
            self.http.download(str(url), tmp)
            save_png(tmp.read_bytes(), dest, provider=self.name)
        finally:
            tmp.unlink(missing_ok=True)


def _video_url(result: dict[str, Any]) -> str | None:
    video = result.get("video")
    url = video.get("url") if isinstance(video, dict) else None
    return str(url) if url else None
