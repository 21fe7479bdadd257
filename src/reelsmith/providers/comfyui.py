"""ComfyUI: self-hosted models (Wan, LTX-Video, Hunyuan…) run from a user-supplied workflow.

The workflow is an API-format graph (ComfyUI's "Export (API)") in which strings are placeholders:
`{{prompt}}`, `{{negative_prompt}}`, `{{seed}}`, `{{width}}`, `{{height}}`, `{{frames}}`, `{{fps}}`,
`{{seconds}}`. A string that is exactly one numeric placeholder becomes a number. The job id is a
`prompt_id` derived from the idempotency key, chosen by us and sent with the prompt, so a repeated
submit finds the job already queued (or finished) instead of queueing it twice. Servers too old to
honour a client's `prompt_id` still keep the prompt's `extra_data`, where the key goes too: a lookup
after a lost reply searches the queue and the recent history for it (`reconcile`).

A 200 reply to `POST /prompt` may list `node_errors` for some outputs while the others were queued
anyway: with a `prompt_id` in the reply the job exists and is followed like any other (polling
reports whether it made a video); only a reply without one means nothing was queued.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

from reelsmith.errors import ProviderError
from reelsmith.providers.base import ClipRequest, JobHandle, JobStatus
from reelsmith.providers.http import ProviderHttp
from reelsmith.providers.inputs import clip_prompt

log = logging.getLogger(__name__)

POLL_S = 2.0
# The extra_data field that carries the submission's idempotency key.
KEY_FIELD = "reelsmith_key"
# Recent history entries a lookup reads (newest first).
HISTORY_ITEMS = 200
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
# Sizes that suit today's open video models (multiples of 16, ~480p): CPU- and VRAM-friendly.
SIZES = {"16:9": (832, 480), "9:16": (480, 832), "1:1": (640, 640)}
VIDEO_EXTENSIONS = (".mp4", ".webm", ".mov", ".mkv", ".gif", ".webp")
_NAMESPACE = uuid.UUID("6f7d3f0e-5b0a-4c57-9a3f-7d1c2b9a0e51")


def prompt_id_for(idempotency_key: str) -> str:
    """The ComfyUI prompt_id for an idempotency key: the same key always names the same job."""
    return str(uuid.uuid5(_NAMESPACE, idempotency_key)) if idempotency_key else str(uuid.uuid4())


def fill_placeholders(node: Any, values: dict[str, str | int | float]) -> Any:
    """The workflow with every `{{name}}` replaced; a lone placeholder keeps its value's type."""
    if isinstance(node, dict):
        return {k: fill_placeholders(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [fill_placeholders(v, values) for v in node]
    if not isinstance(node, str):
        return node
    for name in PLACEHOLDER.findall(node):
        if name not in values:
            raise ProviderError(
                f"comfyui: the workflow uses an unknown placeholder {{{{{name}}}}}", permanent=True
            )
    whole = PLACEHOLDER.fullmatch(node.strip())
    if whole:
        return values[whole.group(1)]
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), node)


class ComfyUIVideoModel:
    """Clips from a ComfyUI server: POST /prompt → GET /history/{id} → GET /view."""

    name = "comfyui"

    def __init__(self, http: ProviderHttp, workflow: Path | None, *, fps: int = 16) -> None:
        self.http = http
        self.workflow = workflow
        self.fps = fps
        self.model = f"comfyui:{workflow.stem}" if workflow else "comfyui"
        self.client_id = str(uuid.uuid4())

    def _graph(self, request: ClipRequest) -> dict[str, Any]:
        assert self.workflow is not None  # the registry marks the provider unconfigured without one
        try:
            graph = json.loads(Path(self.workflow).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise self.http.fail(f"cannot read the workflow {self.workflow}: {e}", permanent=True) from e
        if not isinstance(graph, dict):
            raise self.http.fail(f"the workflow {self.workflow} is not an API-format graph", permanent=True)
        width, height = SIZES.get(request.aspect, SIZES["16:9"])
        values: dict[str, str | int | float] = {
            "prompt": clip_prompt(request, with_negative=False),
            "negative_prompt": request.negative_prompt,
            "seed": request.seed,
            "width": width,
            "height": height,
            # Wan/LTX want 4k+1 frames; the +1 frame is the shared first frame of their latents.
            "frames": 4 * max(1, round(request.duration_s * self.fps / 4)) + 1,
            "fps": self.fps,
            "seconds": request.duration_s,
        }
        filled: dict[str, Any] = fill_placeholders(graph, values)
        return filled

    def submit(self, request: ClipRequest) -> JobHandle:
        """Queue the workflow under a prompt_id derived from the idempotency key (unless already known)."""
        self.http.check_configured()
        prompt_id = prompt_id_for(request.idempotency_key)
        if self._known(prompt_id):
            return JobHandle(prompt_id, poll_after_s=POLL_S)
        body = {
            "prompt": self._graph(request),
            "client_id": self.client_id,
            "prompt_id": prompt_id,
            "extra_data": {KEY_FIELD: request.idempotency_key},
        }
        reply = self.http.json("POST", "prompt", json_body=body, creates=True)
        queued = str(reply.get("prompt_id") or "")
        if reply.get("node_errors"):
            if not queued:
                raise self.http.fail(f"the workflow was rejected: {reply['node_errors']}", permanent=True)
            log.warning("comfyui: job %s queued with node errors: %s", queued, reply["node_errors"])
        if not queued:
            raise self.http.uncertain("the reply names no prompt_id")
        return JobHandle(queued, poll_after_s=POLL_S)

    def reconcile(self, request: ClipRequest) -> JobHandle | None:
        """The job this request queued: by our prompt_id, else by the key in the prompt's extra_data."""
        self.http.check_configured()
        prompt_id = prompt_id_for(request.idempotency_key)
        if self._known(prompt_id):
            return JobHandle(prompt_id, poll_after_s=0.0)
        queue = self.http.json("GET", "queue")
        history = self.http.json("GET", "history", params={"max_items": str(HISTORY_ITEMS)})
        items = [*(queue.get("queue_running") or []), *(queue.get("queue_pending") or [])]
        items += [entry.get("prompt") for entry in history.values() if isinstance(entry, dict)]
        for item in items:
            if _carries_key(item, request.idempotency_key):
                return JobHandle(str(item[1]), poll_after_s=0.0)
        return None

    def cancel(self, external_id: str) -> None:
        """`POST /api/jobs/{id}/cancel` (ComfyUI 0.25+); older servers: drop it from the queue and
        interrupt it if it is the one running."""
        self.http.check_configured()
        try:
            self.http.request("POST", f"api/jobs/{external_id}/cancel")
            return
        except ProviderError as e:
            if not e.permanent:
                raise
        running = self.http.json("GET", "queue").get("queue_running")
        self.http.request("POST", "queue", json_body={"delete": [external_id]})
        if _in(running, external_id):  # an older server interrupts whatever runs: only if it is ours
            self.http.request("POST", "interrupt", json_body={"prompt_id": external_id})

    def poll(self, external_id: str) -> JobStatus:
        """Finished jobs are in /history; unfinished ones in /queue; a job in neither was lost."""
        entry = self._history(external_id)
        if entry is None:
            queue = self.http.json("GET", "queue")
            if _in(queue.get("queue_running"), external_id):
                return JobStatus("running", poll_after_s=POLL_S)
            if _in(queue.get("queue_pending"), external_id):
                return JobStatus("queued", poll_after_s=POLL_S)
            entry = self._history(external_id)  # it may have finished between the two looks
            if entry is None:
                return JobStatus("failed", reason="ComfyUI no longer knows the job (was it restarted?)")
        status = entry.get("status") or {}
        if status.get("status_str") == "error":
            return JobStatus("failed", reason=_execution_error(status))
        if not status.get("completed", True):
            return JobStatus("running", poll_after_s=POLL_S)
        if _video_output(entry) is None:
            return JobStatus("failed", reason="the workflow finished without a video output", permanent=True)
        return JobStatus("succeeded", 1.0, poll_after_s=0.0)

    def fetch(self, external_id: str, dest: Path) -> None:
        """Download the first video output via /view, transcoding to MP4 when it is not one already."""
        entry = self._history(external_id)
        output = _video_output(entry) if entry else None
        if output is None:
            raise self.http.fail(f"job {external_id} has no video output")
        params = {
            "filename": str(output["filename"]),
            "subfolder": str(output.get("subfolder", "")),
            "type": str(output.get("type", "output")),
        }
        if params["filename"].lower().endswith(".mp4"):
            self.http.download("view", dest, params=params)
            return
        raw = dest.with_name(f".{dest.name}.src{Path(params['filename']).suffix}")
        try:
            self.http.download("view", raw, params=params)
            _to_mp4(raw, dest)
        finally:
            raw.unlink(missing_ok=True)

    def _known(self, prompt_id: str) -> bool:
        if self._history(prompt_id) is not None:
            return True
        queue = self.http.json("GET", "queue")
        return _in(queue.get("queue_running"), prompt_id) or _in(queue.get("queue_pending"), prompt_id)

    def _history(self, prompt_id: str) -> dict[str, Any] | None:
        entry = self.http.json("GET", f"history/{prompt_id}").get(prompt_id)
        return entry if isinstance(entry, dict) else None


def _carries_key(item: Any, key: str) -> bool:
    """Whether a queue or history item ([number, prompt_id, prompt, extra_data, outputs]) has our key."""
    if not key or not isinstance(item, list) or len(item) < 4 or not isinstance(item[3], dict):
        return False
    return bool(item[3].get(KEY_FIELD) == key and item[1])


def _in(items: Any, prompt_id: str) -> bool:
    # Queue items are [number, prompt_id, prompt, extra_data, outputs_to_execute].
    return isinstance(items, list) and any(
        isinstance(item, list) and len(item) > 1 and item[1] == prompt_id for item in items
    )


def _execution_error(status: dict[str, Any]) -> str:
    for message in status.get("messages") or []:
        if isinstance(message, list) and len(message) == 2 and message[0] == "execution_error":
            data = message[1] if isinstance(message[1], dict) else {}
            node, text = data.get("node_type", "a node"), data.get("exception_message", "no message")
            return f"{node} failed: {str(text).strip()}"
    return "the workflow failed"


def _video_output(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The first output file that is a video (VHS puts them under `gifs`, core nodes under others)."""
    for node_output in (entry.get("outputs") or {}).values():
        if not isinstance(node_output, dict):
            continue
        for key in ("videos", "gifs", "animated", "images"):
            for item in node_output.get(key) or []:
                if isinstance(item, dict) and str(item.get("filename", "")).lower().endswith(
                    VIDEO_EXTENSIONS
                ):
                    return item
    return None


def _to_mp4(src: Path, dest: Path) -> None:
    from reelsmith.errors import MediaError
    from reelsmith.media.encode import mp4_args, video_args
    from reelsmith.media.ffmpeg import run_ffmpeg

    try:
        run_ffmpeg(["-i", str(src), "-map", "0:v:0", *video_args(crf=18), *mp4_args(), str(dest)])
    except MediaError as e:
        raise ProviderError(f"comfyui: cannot convert {src.suffix} output to MP4: {e.message}") from e
