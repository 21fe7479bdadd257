"""A fake ComfyUI server: POST /prompt, GET /queue, GET /history/{id}, GET /view.

Like ComfyUI, it does not deduplicate: posting the same prompt_id twice queues it twice, so the
adapter must look before it posts.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from tests.fakes.server import FakeServer, Recorded, Reply


class ComfyUIFake(FakeServer):
    """Each GET /history of an unfinished prompt advances it; finished prompts list one video output."""

    def __init__(self, video: bytes, *, polls_needed: int = 3) -> None:
        super().__init__(polls_needed=polls_needed)
        self.video = video
        self.output_name = "reelsmith_00001.mp4"
        self.output_bytes = video
        self.route("GET", "/queue", "queue", self._queue)
        self.route("POST", "/prompt", "prompt", self._prompt)
        self.route("GET", r"/history/(?P<id>[^/]+)", "history", self._history)
        self.route("GET", "/view", "view", self._view)

    def _prompt(self, request: Recorded, match: re.Match[str]) -> Reply:
        body = request.json()
        graph = body.get("prompt")
        if not isinstance(graph, dict) or not graph:
            return Reply(
                400,
                {
                    "error": {"type": "invalid_prompt", "message": "no prompt", "details": ""},
                    "node_errors": {},
                },
            )
        if "{{" in json.dumps(graph):
            error = {
                "type": "prompt_outputs_failed_validation",
                "message": "unfilled placeholder",
                "details": "",
            }
            return Reply(400, {"error": error, "node_errors": {"3": {"errors": ["unfilled placeholder"]}}})
        prompt_id = str(body.get("prompt_id") or uuid.uuid4())
        reason = "CUDA out of memory. Tried to allocate 2.00 GiB" if self.refuses(graph) else None
        job = self.create_job(request, body, prefix="", fail_reason=reason)
        # ComfyUI keys jobs by the client's prompt_id; a repeat overwrites (and re-runs) it.
        self.jobs[prompt_id] = self.jobs.pop(job.id)
        self.jobs[prompt_id].id = prompt_id
        return Reply(200, {"prompt_id": prompt_id, "number": self.creates, "node_errors": {}})

    def _queue(self, request: Recorded, match: re.Match[str]) -> Reply:
        running, pending = [], []
        for number, job in enumerate(self.jobs.values()):
            item = [number, job.id, job.body["prompt"], {"client_id": job.body.get("client_id")}, ["9"]]
            if job.polls == 0:
                pending.append(item)
            elif job.polls < job.polls_needed:
                running.append(item)
        return Reply(200, {"queue_running": running, "queue_pending": pending})

    def _history(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is None or job.step() != "done":
            return Reply(200, {})
        entry: dict[str, Any] = {"prompt": [0, job.id, job.body["prompt"], {}, ["9"]], "meta": {}}
        if job.fail_reason:
            error = {
                "prompt_id": job.id,
                "node_id": "3",
                "node_type": "KSampler",
                "exception_message": job.fail_reason,
            }
            entry["outputs"] = {}
            entry["status"] = {
                "status_str": "error",
                "completed": False,
                "messages": [["execution_error", error]],
            }
        else:
            file = {
                "filename": self.output_name,
                "subfolder": "video",
                "type": "output",
                "format": "video/h264-mp4",
            }
            entry["outputs"] = {"9": {"gifs": [file]}}
            entry["status"] = {"status_str": "success", "completed": True, "messages": []}
        return Reply(200, {job.id: entry})

    def _view(self, request: Recorded, match: re.Match[str]) -> Reply:
        q = request.query
        if (q.get("filename"), q.get("subfolder"), q.get("type")) != (self.output_name, "video", "output"):
            return Reply(404, b"")
        return Reply(200, self.output_bytes, {"Content-Type": "application/octet-stream"})
