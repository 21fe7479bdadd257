"""Many clips in flight on a handful of threads: 500 video generations against a slow provider.

The provider is the OpenAI fake (in its own process, so its threads are not counted) whose jobs stay
running for `--polls` polls and ask for the next look after ~1 s (`openai-poll-after-ms`). Sora 2 is
shut down, so a catalogue file made for the run lists it again: what is measured is Reelsmith's
polling, whichever protocol it polls. The consumer runs with the default `Settings().workers`.
Printed: peak thread count of this process (Python's view and the kernel's), wall time, polls, and the
per-poll overhead (wall time inside our poll task minus the time the adapter spent talking to the
fake) next to a bare httpx GET of the same status route measured in the same run, with the ratio.

    python bench/inflight.py [--clips 500] [--polls 12] [--poll-after-ms 1000] [--baseline-gets 300]

``--clips 3 --polls 1 --poll-after-ms 50 --baseline-gets 20`` is a smoke run of some seconds.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests.fakes` lives in the repo

from reelsmith.config import Settings
from reelsmith.db.models import Generation, Scene
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.jobs.worker import embedded_worker
from reelsmith.pipeline import clips
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import SCENES_AT_PROVIDER, TERMINAL_STATUSES, Mode

KEY = "sk-bench"


def serve_fake(polls: int, poll_after_ms: int, ready: Any, stop: Any) -> None:
    """Run the OpenAI fake in this (child) process until `stop` is set; send its base URL on `ready`."""
    from tests.fakes.media import make_mp4
    from tests.fakes.openai_fake import OpenAIFake

    video = make_mp4(Path(tempfile.mkdtemp(prefix="reelsmith-fake-")) / "clip.mp4").read_bytes()
    with OpenAIFake(video, key=KEY, polls_needed=polls) as fake:
        fake.poll_after_ms = str(poll_after_ms)
        ready.send(fake.base_url)
        stop.wait()


def kernel_threads() -> int:
    """The Threads: line of /proc/self/status (every OS thread, not only Python's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return -1


@dataclass
class Meter:
    """Per poll task: its wall time and the adapter (HTTP) time inside it; thread-count peaks."""

    task_s: list[float] = field(default_factory=list)
    adapter_s: list[float] = field(default_factory=list)  # same order as task_s
    peak_py: int = 0
    peak_os: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    local: threading.local = field(default_factory=threading.local)

    def sample_threads(self) -> None:
        """Sample thread counts every 20 ms until stopped."""
        while not self.stop.wait(0.02):
            self.peak_py = max(self.peak_py, threading.active_count())
            self.peak_os = max(self.peak_os, kernel_threads())

    def wrap_task(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn` (the poll task), timed, with the adapter time spent inside it attributed to it."""

        def task(*args: Any, **kwargs: Any) -> Any:
            self.local.adapter = 0.0
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                with self.lock:
                    self.task_s.append(elapsed)
                    self.adapter_s.append(self.local.adapter)

        return task

    def wrap_adapter(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn` (the adapter's poll), timed into the running task's share."""

        def poll(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.local.adapter = getattr(self.local, "adapter", 0.0) + time.perf_counter() - started

        return poll


def bare_gets(base_url: str, n: int) -> list[float]:
    """Time `n` plain GETs of a video's status route (one job made for the purpose)."""
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=base_url + "/", headers=headers, timeout=10) as client:
        job = client.post(
            "videos", json={"model": "sora-2", "prompt": "p", "seconds": "4", "size": "1280x720"}
        )
        job_id = job.json()["id"]
        out: list[float] = []
        for _ in range(n):
            started = time.perf_counter()
            client.get(f"videos/{job_id}").json()
            out.append(time.perf_counter() - started)
    return out


def wait_all(rt: Runtime, ids: list[str], timeout_s: float) -> tuple[dict[str, int], int]:
    """Wait until every generation ended; return the count per status and the peak of clips in flight."""
    deadline = time.monotonic() + timeout_s
    peak = 0
    while True:
        with rt.db.read() as session:
            in_flight = session.scalar(
                select(func.count()).select_from(Scene).where(Scene.status.in_(SCENES_AT_PROVIDER))
            )
            peak = max(peak, in_flight or 0)
            rows = session.execute(
                select(Generation.status, func.count())
                .where(Generation.id.in_(ids))
                .group_by(Generation.status)
            ).all()
        counts = {status: n for status, n in rows}
        if sum(counts.get(s, 0) for s in TERMINAL_STATUSES) == len(ids):
            return counts, peak
        if time.monotonic() > deadline:
            raise SystemExit(f"not finished after {timeout_s:.0f} s: {counts}")
        time.sleep(0.5)


def ms(values: list[float], q: float | None = None) -> float:
    """Mean (or the q-quantile) of durations in seconds, as milliseconds."""
    if not values:
        return float("nan")
    if q is None:
        return statistics.fmean(values) * 1000
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def main() -> None:
    """Start the fake, run the generations, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clips", type=int, default=500)
    parser.add_argument("--polls", type=int, default=12, help="polls each job stays unfinished for")
    parser.add_argument("--poll-after-ms", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--baseline-gets", type=int, default=300, help="bare GETs timed before and after")
    args = parser.parse_args()
    if args.clips < 1 or args.polls < 0 or args.baseline_gets < 1:
        parser.error("needs --clips >= 1, --polls >= 0 and --baseline-gets >= 1")

    ctx = mp.get_context("spawn")
    ready_recv, ready_send = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    server = ctx.Process(
        target=serve_fake, args=(args.polls, args.poll_after_ms, ready_send, stop), daemon=True
    )
    server.start()
    base_url = ready_recv.recv()

    data = Path(tempfile.mkdtemp(prefix="reelsmith-inflight-"))
    catalogue = data / "catalogue.toml"
    catalogue.write_text('[[model]]\nprovider = "openai"\nid = "sora-2"\nkind = "video"\ndefault = true\n')
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=data, OPENAI_API_KEY=KEY, OPENAI_BASE_URL=base_url, video_provider="openai",
        catalogue_path=catalogue,
    )  # fmt: skip
    rt = build_runtime(settings)
    meter = Meter()
    adapter = rt.providers.video("openai")
    adapter.poll = meter.wrap_adapter(adapter.poll)  # type: ignore[method-assign]
    clips.poll_scene = meter.wrap_task(clips.poll_scene)  # the task looks it up on every call

    baseline_before = bare_gets(base_url, args.baseline_gets)
    sampler = threading.Thread(target=meter.sample_threads, name="bench-sampler", daemon=True)
    threads_before = threading.active_count(), kernel_threads()
    sampler.start()
    started = time.perf_counter()
    with embedded_worker(rt):
        user = ensure_local_user(rt)
        ids = [
            create_generation(
                rt,
                user,
                GenerationCreate(
                    mode=Mode.VIDEO,
                    prompt=f"Clip {n}: a paper lantern rising over a harbour at dusk",
                    duration_s=4,
                    providers=ProviderChoice(video="openai"),
                ),
                bill=False,
            )
            for n in range(args.clips)
        ]
        created = time.perf_counter() - started
        counts, peak_in_flight = wait_all(rt, ids, args.timeout)
        wall = time.perf_counter() - started
    meter.stop.set()
    sampler.join()
    baseline_after = bare_gets(base_url, args.baseline_gets)
    stop.set()
    server.join(10)
    rt.close()
    shutil.rmtree(data, ignore_errors=True)

    baseline = baseline_before + baseline_after
    overhead = [t - a for t, a in zip(meter.task_s, meter.adapter_s, strict=True)]
    polls = len(meter.task_s)
    rows = [
        ("clips (video generations)", f"{args.clips}"),
        ("outcome", ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))),
        ("peak clips in flight (sampled every 0.5 s)", f"{peak_in_flight}"),
        ("worker threads (Settings().workers)", f"{settings.workers}"),
        ("threads before start (python / os)", f"{threads_before[0]} / {threads_before[1]}"),
        ("peak threads (python / os)", f"{meter.peak_py} / {meter.peak_os}"),
        ("job length (polls x poll-after)", f"{args.polls} x {args.poll_after_ms} ms"),
        ("time to create all generations", f"{created:.1f} s"),
        ("total wall time", f"{wall:.1f} s"),
        ("poll tasks run", f"{polls} ({polls / args.clips:.1f} per clip, {polls / wall:.0f}/s)"),
        ("poll task wall, mean / p50 / p95", f"{ms(meter.task_s):.2f} / {ms(meter.task_s, .5):.2f} / "
         f"{ms(meter.task_s, .95):.2f} ms"),
        ("  of which adapter.poll (HTTP + parse)", f"{ms(meter.adapter_s):.2f} ms mean"),
        ("per-poll overhead (task - adapter), mean / p95",
         f"{ms(overhead):.2f} / {ms(overhead, .95):.2f} ms"),
        ("baseline: bare httpx GET, mean / p50", f"{ms(baseline):.2f} / {ms(baseline, .5):.2f} ms"),
        ("ratio poll task / bare GET (means)", f"{ms(meter.task_s) / ms(baseline):.1f}x"),
        ("ratio overhead / bare GET (means)", f"{ms(overhead) / ms(baseline):.1f}x"),
    ]  # fmt: skip
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
