"""The local video model: renders clips with ffmpeg, behind the same submit → poll → fetch life cycle
as a remote job service, with its job state kept as files in `work_dir`.

Layout of one job, `work_dir/<id>/`:

- `spec.json` — the render parameters, written atomically by `submit` (its presence = the job exists);
- `lock`      — `{"pid", "host", "token", "started_at"}` of the process rendering it right now;
- `clip.mp4`  — the finished clip (its presence = the job succeeded);
- `renders.log` — one JSON line `{"pid", "token", "started_at"}` per render attempt, appended by
  whichever process attempts it (see `render_count`): a record of retries and takeovers.

The queue is at-least-once and workers may be SIGKILLed at any moment, so every step is safe to
repeat: the job id is a digest of the idempotency key (a second submit finds the same job), the
clip is rendered to a private temp file and published with one `os.replace`, and a lock whose
holder died (or that outlived `stale_after_s`) is broken and the render redone. The lock only
saves duplicate work; correctness rests on the atomic publish, so even two renders racing after
a lock takeover leave one whole, valid `clip.mp4`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reelsmith.errors import InvalidInput, ProviderError
from reelsmith.providers.base import ClipRequest, JobHandle, JobStatus
from reelsmith.vocabulary import AspectRatio

log = logging.getLogger(__name__)

_ASPECTS = tuple(AspectRatio)
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_SPEC = "spec.json"
_LOCK = "lock"
_CLIP = "clip.mp4"
_RENDERS = "renders.log"
SPEC_VERSION = 1
# A lock that cannot be parsed was caught between O_EXCL-create and its first write; a live
# claimer finishes that write within microseconds, so a short grace period is plenty.
_UNREADABLE_LOCK_GRACE_S = 10.0


@dataclass(frozen=True)
class _Holder:
    pid: int
    host: str
    token: str
    started_at: float


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _append_line(path: Path, line: str) -> None:
    """Append one line with a single O_APPEND write, so lines from concurrent writers never mix."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


class LocalVideoModel:
    """Renders clips locally with ffmpeg; needs no key and no network."""

    name: str
    model: str = "local-render-v1"

    def __init__(self, work_dir: Path, *, name: str = "local", stale_after_s: float = 1800.0) -> None:
        self.work_dir = Path(work_dir)
        self.name = name
        # Generous: a clip renders in seconds, so a lock this old belongs to a hung or dead worker.
        self.stale_after_s = stale_after_s
        self._host = socket.gethostname()

    # -- the VideoModel protocol -------------------------------------------------------------

    def submit(self, request: ClipRequest) -> JobHandle:
        """Record the job (no rendering); the same idempotency key always returns the same job."""
        if request.aspect not in _ASPECTS:
            raise ProviderError(f"local video: unsupported aspect {request.aspect!r}", permanent=True)
        if not request.duration_s > 0:
            raise ProviderError(
                f"local video: duration_s must be positive, got {request.duration_s}", permanent=True
            )
        spec = self._spec_for(request)
        job_id = self._job_id(request, spec)
        job_dir = self.work_dir / job_id
        spec_path = job_dir / _SPEC
        if not spec_path.exists():
            job_dir.mkdir(parents=True, exist_ok=True)
            # Two racing submits write equivalent specs; os.replace keeps exactly one whole file.
            _write_atomic(spec_path, json.dumps(spec, indent=2).encode("utf-8"))
            log.info("local video: job %s submitted (scene %d)", job_id, request.scene_index)
        return JobHandle(external_id=job_id, poll_after_s=0.0)

    def poll(self, external_id: str) -> JobStatus:
        """Report the job; if no live process is rendering it, render it now (bounded work)."""
        job_dir = self._job_dir(external_id)
        if job_dir is None:
            return JobStatus("failed", reason=f"unknown local job {external_id!r}", permanent=True)
        clip = job_dir / _CLIP
        if clip.exists():
            return JobStatus("succeeded", progress=1.0, poll_after_s=0.0)
        token = self._claim(job_dir)
        if token is None:
            return JobStatus("running", progress=0.0, poll_after_s=1.0)
        try:
            if clip.exists():  # finished by the holder we waited on, just before we claimed
                return JobStatus("succeeded", progress=1.0, poll_after_s=0.0)
            return self._render(job_dir, token)
        finally:
            self._release(job_dir, token)

    def fetch(self, external_id: str, dest: Path) -> None:
        """Copy the finished clip to `dest` atomically."""
        job_dir = self._job_dir(external_id)
        if job_dir is None:
            raise ProviderError(f"unknown local job {external_id!r}", permanent=True)
        clip = job_dir / _CLIP
        if not clip.exists():
            raise ProviderError(f"local job {external_id} has not finished", permanent=False)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
        try:
            shutil.copyfile(clip, tmp)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def render_count(self, external_id: str) -> int:
        """How many times any process has started rendering the job (0 for an unknown job).

        More than one means a render failed or its worker died and the job was taken over.
        """
        job_dir = self._job_dir(external_id)
        if job_dir is None:
            return 0
        try:
            with open(job_dir / _RENDERS, encoding="utf-8") as f:
                return sum(1 for line in f if line.strip())
        except FileNotFoundError:
            return 0

    # -- jobs -------------------------------------------------------------------------------

    @staticmethod
    def _spec_for(request: ClipRequest) -> dict[str, Any]:
        return {
            "version": SPEC_VERSION,
            "idempotency_key": request.idempotency_key,
            "prompt": request.prompt,  # kept for inspection; the template renderer draws no prompt
            "negative_prompt": request.negative_prompt,
            "render": {
                "duration_s": float(request.duration_s),
                "aspect": request.aspect,
                "seed": int(request.seed),
                "headline": request.on_screen_text,
                "caption": request.title,
                # Absolute, because the worker that renders may run from another directory.
                "images": [str(Path(p).resolve()) for p in request.reference_images],
                "camera": request.camera,
                "scene_index": request.scene_index,
                "scene_count": request.scene_count,
            },
        }

    @staticmethod
    def _job_id(request: ClipRequest, spec: dict[str, Any]) -> str:
        # Without a key, identical requests share a job: the local render is deterministic.
        key = request.idempotency_key or "spec:" + json.dumps(spec["render"], sort_keys=True)
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    def _job_dir(self, external_id: str) -> Path | None:
        """Return the job's folder, or None for an id that is malformed or was never submitted."""
        if not _JOB_ID.match(external_id):
            return None
        job_dir = self.work_dir / external_id
        if (job_dir / _SPEC).exists() or (job_dir / _CLIP).exists():
            return job_dir
        return None

    def _render(self, job_dir: Path, token: str) -> JobStatus:
        try:
            from reelsmith.media.render import RenderSpec, render_clip
        except ImportError as e:  # a broken install, not a bad job: another worker may succeed
            return JobStatus("failed", reason=f"local renderer unavailable: {e}", permanent=False)
        try:
            spec = json.loads((job_dir / _SPEC).read_text(encoding="utf-8"))["render"]
            render_spec = RenderSpec(
                duration_s=float(spec["duration_s"]),
                aspect=str(spec["aspect"]),
                seed=int(spec["seed"]),
                headline=str(spec["headline"]),
                caption=str(spec["caption"]),
                images=tuple(Path(p) for p in spec["images"]),
                camera=str(spec["camera"]),
                scene_index=int(spec["scene_index"]),
                scene_count=int(spec["scene_count"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as e:
            return JobStatus("failed", reason=f"local job spec is unreadable: {e}", permanent=True)
        part = job_dir / f"clip.{token}.part.mp4"
        started = time.monotonic()
        attempt = {"pid": os.getpid(), "token": token, "started_at": time.time()}
        try:
            _append_line(job_dir / _RENDERS, json.dumps(attempt))
            render_clip(render_spec, part)
            os.replace(part, job_dir / _CLIP)
        except InvalidInput as e:  # the request itself is unrenderable; retrying cannot help
            return JobStatus("failed", reason=f"local render rejected the scene: {e}", permanent=True)
        except Exception as e:  # any render failure becomes a retryable job failure, not a crash
            log.warning("local video: render of %s failed: %s", job_dir.name, e)
            return JobStatus("failed", reason=f"local render failed: {e}", permanent=False)
        finally:
            part.unlink(missing_ok=True)
        log.info("local video: job %s rendered in %.2f s", job_dir.name, time.monotonic() - started)
        return JobStatus("succeeded", progress=1.0, poll_after_s=0.0)

    # -- the lock -----------------------------------------------------------------------------

    def _claim(self, job_dir: Path) -> str | None:
        """Take the job's lock and return our token, or None while a live process holds it."""
        lock = job_dir / _LOCK
        for _ in range(3):  # retry when a dead holder's lock was just broken (by us or another)
            token = uuid.uuid4().hex
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not self._break_if_stale(lock):
                    return None
                continue
            holder = _Holder(os.getpid(), self._host, token, time.time())
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(asdict(holder), f)
            return token
        return None

    def _read_holder(self, lock: Path) -> _Holder | None:
        try:
            raw = json.loads(lock.read_text(encoding="utf-8"))
            return _Holder(int(raw["pid"]), str(raw["host"]), str(raw["token"]), float(raw["started_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _holder_alive(self, holder: _Holder) -> bool:
        if time.time() - holder.started_at > self.stale_after_s:
            return False
        if holder.host != self._host:  # another machine's pid means nothing here; trust the age
            return True
        return holder.pid == os.getpid() or _pid_alive(holder.pid)

    def _break_if_stale(self, lock: Path) -> bool:
        """Remove the lock if its holder is gone; return True when it is worth claiming again."""
        holder = self._read_holder(lock)
        if holder is None:
            try:
                age = time.time() - lock.stat().st_mtime
            except FileNotFoundError:
                return True  # released between our create attempt and now
            if age < _UNREADABLE_LOCK_GRACE_S:
                return False
        elif self._holder_alive(holder):
            return False
        # Move the lock aside atomically, then check it is the one we judged: a racing poller may
        # have broken the stale lock and taken a fresh one in between.
        aside = lock.with_name(f"{_LOCK}.{uuid.uuid4().hex}.broken")
        try:
            os.rename(lock, aside)
        except FileNotFoundError:
            return True
        taken = self._read_holder(aside)
        if holder is not None and (taken is None or taken.token != holder.token):
            with contextlib.suppress(OSError):
                os.link(aside, lock)  # put the live lock back; if a new one exists, it stands
            aside.unlink(missing_ok=True)
            return False
        aside.unlink(missing_ok=True)
        if holder is not None:
            log.warning("local video: took over %s from dead pid %d", lock.parent.name, holder.pid)
            for leftover in lock.parent.glob(f"*{holder.token}*"):
                leftover.unlink(missing_ok=True)
        return True

    def _release(self, job_dir: Path, token: str) -> None:
        lock = job_dir / _LOCK
        holder = self._read_holder(lock)
        if holder is not None and holder.token == token:
            lock.unlink(missing_ok=True)
