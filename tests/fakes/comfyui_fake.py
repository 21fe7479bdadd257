"""A fake ComfyUI server: POST /prompt, GET /queue, GET /history/{id}, GET /view.

Like ComfyUI, it does not deduplicate: posting the same prompt_id twice queues it twice, so the
adapter must look before it posts. `honours_prompt_id = False` plays a server older than the client
`prompt_id` (it picks its own); `partial_node_errors` answers 200 with `node_errors` for one output
while queueing the job anyway, as ComfyUI does when other outputs validate. Cancel is
`POST /api/jobs/{id}/cancel` (0.25+), or, with `jobs_api = False`, `POST /queue {delete}` + `/interrupt`.
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
        self.route("GET", "/history", "history_all", self._history_all)
        self.route("GET", "/view", "view", self._view)
        self.route("POST", r"/api/jobs/(?P<id>[^/]+)/cancel", "cancel", self._cancel)
        self.route("POST", "/queue", "queue_delete", self._queue_delete)
        self.route("POST", "/interrupt", "interrupt", lambda r, m: Reply(200, b""))
        self.honours_prompt_id = True
        self.partial_node_errors = False
        self.jobs_api = True
        self.canceled: list[str] = []

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
        prompt_id = str((self.honours_prompt_id and body.get("prompt_id")) or uuid.uuid4())
        reason = "CUDA out of memory. Tried to allocate 2.00 GiB" if self.refuses(graph) else None
        job = self.create_job(request, body, prefix="", fail_reason=reason)
        # ComfyUI keys jobs by the client's prompt_id; a repeat overwrites (and re-runs) it.
        self.jobs[prompt_id] = self.jobs.pop(job.id)
        self.jobs[prompt_id].id = prompt_id
        node_errors: dict[str, Any] = {}
        if self.partial_node_errors:
            node_errors = {"12": {"errors": [{"type": "required_input_missing"}], "class_type": "SaveImage"}}
        return Reply(200, {"prompt_id": prompt_id, "number": self.creates, "node_errors": node_errors})

    def _item(self, number: int, job: Any) -> list[Any]:
        """A queue / history item: [number, prompt_id, prompt, extra_data, outputs_to_execute]."""
        extra = {"client_id": job.body.get("client_id"), **(job.body.get("extra_data") or {})}
        return [number, job.id, job.body["prompt"], extra, ["9"]]

    def _history_all(self, request: Recorded, match: re.Match[str]) -> Reply:
        done = {j.id: j for j in self.jobs.values() if j.polls >= j.polls_needed}
        return Reply(
            200,
            {
                i: {"prompt": self._item(n, j), "outputs": {}, "status": {}}
                for n, (i, j) in enumerate(done.items())
            },
        )

    def _cancel(self, request: Recorded, match: re.Match[str]) -> Reply:
        if not self.jobs_api:
            return Reply(404, b"404: Not Found", {"Content-Type": "text/plain"})
        return self._drop(match["id"])

    def _queue_delete(self, request: Recorded, match: re.Match[str]) -> Reply:
        for prompt_id in request.json().get("delete") or []:
            self._drop(str(prompt_id))
        return Reply(200, b"")

    def _drop(self, prompt_id: str) -> Reply:
        job = self.jobs.get(prompt_id)
        if job is None:
            return Reply(404, {"error": "job not found"})
        self.canceled.append(prompt_id)
        job.fail_reason = job.fail_reason or "Interrupted"
        return Reply(200, {"cancelled": True})

    def _queue(self, request: Recorded, match: re.Match[str]) -> Reply:
        running, pending = [], []
        for number, job in enumerate(self.jobs.values()):
            item = self._item(number, job)
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
