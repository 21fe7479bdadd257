"""Replicate: predictions of any public `owner/name` model (Veo, Kling, Imagen, Flux, …).

A clip's input is built from the model's catalogue entry (its field names for the start image,
duration and aspect differ per model); a model the catalogue does not know gets the common shape:
one reference image as `image` (the first frame), two or more as `reference_images`.

Replicate ignores idempotency keys, so a create whose answer was lost is looked up, not resent:
`GET /predictions` lists the account's predictions (API and web), newest first, each with its model
and input. Ours is the newest one of our model whose input matches what we sent field by field (the
scene's seed, derived from the generation and scene, makes the input unique to the scene; the pipeline
tells an earlier attempt's job from this one's by its id). Image fields are left out of the comparison,
as Replicate may store an uploaded file's URL instead of the data URI we sent. The listing is the
account's own record of what it will bill, so a lookup that finds nothing means nothing was made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelsmith.errors import ProviderError
from reelsmith.providers.base import ClipRequest, ImageRequest, JobHandle, JobState, JobStatus
from reelsmith.providers.body import clip_body
from reelsmith.providers.catalogue import ModelEntry, generic_entry
from reelsmith.providers.http import ProviderHttp, UncertainSubmit, looks_like_policy
from reelsmith.providers.inputs import save_png

VIDEO_POLL_S = 5.0
IMAGE_POLL_S = 1.0
# `Prefer: wait` holds the reply up to 60 s; the wait asked for stays this far inside our timeout, so
# the reply never races the timeout (a timed-out create would look uncertain).
MAX_WAIT_S = 60
_WAIT_MARGIN_S = 2.0
# Pages of the prediction list (100 each, newest first) a lookup reads before it gives up.
LIST_PAGES = 3
_STATES: dict[str, JobState] = {
    "starting": "running",
    "processing": "running",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
    "aborted": "failed",
}


def _model_path(model: str) -> str:
    owner, _, name = model.partition("/")
    if not owner or not name or "/" in name:
        raise ProviderError(f"replicate: a model is 'owner/name', got {model!r}", permanent=True)
    return f"models/{owner}/{name}/predictions"


def output_url(prediction: dict[str, Any]) -> str | None:
    """The first file URL of a prediction's output (a string, or a list of them)."""
    output = prediction.get("output")
    if isinstance(output, list):
        output = output[0] if output else None
    if isinstance(output, dict):  # some models name their outputs
        output = next((v for v in output.values() if isinstance(v, str)), None)
    return output if isinstance(output, str) and output else None


def _comparable(value: Any) -> Any:
    """An input value as compared by a lookup: images (data URIs, file URLs) are left out."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if _comparable(v) is not _SKIP}
    if isinstance(value, list):
        items = [_comparable(v) for v in value]
        return _SKIP if any(v is _SKIP for v in items) else items
    if isinstance(value, str) and value.startswith(("data:", "https://", "http://")):
        return _SKIP
    return value


_SKIP = object()


def find_prediction(http: ProviderHttp, model: str, sent: dict[str, Any]) -> str | None:
    """The id of the newest prediction of `model` whose input matches `sent`, or None when none does."""
    wanted = _comparable(sent)
    url = "predictions"
    for _ in range(LIST_PAGES):
        page = http.json("GET", url)
        for prediction in page.get("results") or []:
            if not isinstance(prediction, dict) or prediction.get("model") != model:
                continue
            listed = prediction.get("input")
            if not isinstance(listed, dict):
                continue
            if all(_comparable(listed.get(k)) == v for k, v in wanted.items()):
                return str(prediction["id"]) if prediction.get("id") else None
        url = str(page.get("next") or "")
        if not url:
            break
    return None


def wait_header(http: ProviderHttp) -> dict[str, str]:
    """`Prefer: wait=N` with N safely inside the client's read timeout (no header when it is too short)."""
    timeout = http.client.timeout.read or float(MAX_WAIT_S + 10)
    seconds = min(MAX_WAIT_S, int(timeout - max(_WAIT_MARGIN_S, timeout * 0.1)))
    return {"Prefer": f"wait={seconds}"} if seconds >= 1 else {}


def _status(prediction: dict[str, Any], poll_after_s: float) -> JobStatus:
    state = _STATES.get(str(prediction.get("status")), "queued")
    if state == "failed":
        reason = str(prediction.get("error") or f"prediction {prediction.get('status')}")
        # A canceled/aborted prediction was stopped, not refused: another attempt may work.
        return JobStatus("failed", reason=reason, permanent=looks_like_policy(reason))
    if state == "succeeded":
        if output_url(prediction) is None:
            return JobStatus("failed", reason="the prediction succeeded without an output file")
        return JobStatus("succeeded", progress=1.0, poll_after_s=0.0)
    return JobStatus(state, poll_after_s=poll_after_s)


class ReplicateVideoModel:
    """Clips through POST /models/{owner}/{name}/predictions → GET /predictions/{id} → the output URL."""

    name = "replicate"

    def __init__(self, http: ProviderHttp, model: str, entry: ModelEntry | None = None) -> None:
        self.http = http
        self.model = model
        self.entry = entry or generic_entry(self.name, model, "video")

    def _input(self, request: ClipRequest) -> dict[str, Any]:
        return clip_body(request, self.entry, provider=self.name)

    def submit(self, request: ClipRequest) -> JobHandle:
        """Create the prediction (no `Prefer: wait`: a clip takes minutes)."""
        headers = {"Idempotency-Key": request.idempotency_key} if request.idempotency_key else {}
        body: dict[str, Any] = {"input": self._input(request)}
        if request.webhook_url:
            body["webhook"] = request.webhook_url
            body["webhook_events_filter"] = ["completed"]
        prediction = self.http.json(
            "POST", _model_path(self.model), json_body=body, headers=headers, creates=True
        )
        if not prediction.get("id"):
            raise self.http.uncertain("the created prediction has no id")
        return JobHandle(external_id=str(prediction["id"]), poll_after_s=VIDEO_POLL_S)

    def reconcile(self, request: ClipRequest) -> JobHandle | None:
        """The prediction this request's create made, found in the account's prediction list."""
        found = find_prediction(self.http, self.model, self._input(request))
        return JobHandle(found, poll_after_s=0.0) if found else None

    def poll(self, external_id: str) -> JobStatus:
        """Map the prediction's status; `error` is the failure reason."""
        return _status(self.http.json("GET", f"predictions/{external_id}"), VIDEO_POLL_S)

    def cancel(self, external_id: str) -> None:
        """POST /predictions/{id}/cancel."""
        self.http.json("POST", f"predictions/{external_id}/cancel")

    def fetch(self, external_id: str, dest: Path) -> None:
        """Download the prediction's output file (a CDN URL: sent without our token)."""
        url = output_url(self.http.json("GET", f"predictions/{external_id}"))
        if url is None:
            raise self.http.fail(f"prediction {external_id} has no output yet")
        self.http.download(url, dest)


class ReplicateImageModel:
    """One image per prediction, waited on synchronously (image steps are short and synchronous)."""

    name = "replicate"

    def __init__(self, http: ProviderHttp, model: str, *, max_polls: int = 120) -> None:
        self.http = http
        self.model = model
        self.max_polls = max_polls

    def generate_image(self, request: ImageRequest, dest: Path) -> None:
        """Run the prediction to completion and save its output as PNG."""
        prompt = request.prompt + (f" Avoid: {request.negative_prompt}." if request.negative_prompt else "")
        body = {"input": {"prompt": prompt, "aspect_ratio": request.aspect, "output_format": "png"}}
        headers = wait_header(self.http)
        if request.idempotency_key:
            headers["Idempotency-Key"] = request.idempotency_key
        try:
            prediction = self.http.json(
                "POST", _model_path(self.model), json_body=body, headers=headers, creates=True
            )
        except UncertainSubmit:
            # The prediction may exist: go on with it if the list shows it, never create a second.
            found = find_prediction(self.http, self.model, body["input"])
            if found is None:
                raise
            prediction = {"id": found, "status": "starting"}
        for _ in range(self.max_polls):
            status = _status(prediction, IMAGE_POLL_S)
            if status.state == "failed":
                raise self.http.fail(status.reason or "the prediction failed", permanent=status.permanent)
            if status.state == "succeeded":
                break
            self.http.sleep(IMAGE_POLL_S)
            prediction = self.http.json("GET", f"predictions/{prediction['id']}")
        else:
            raise self.http.fail(f"image prediction {prediction.get('id')} still unfinished; gave up")
        url = output_url(prediction)
        assert url is not None  # guaranteed by _status
        tmp = dest.with_name(f".{dest.name}.download")
        try:
            self.http.download(url, tmp)
            save_png(tmp.read_bytes(), dest, provider=self.name)
        finally:
            tmp.unlink(missing_ok=True)
