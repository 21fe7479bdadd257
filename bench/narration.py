"""What narration costs: seconds the offline voice adds to an offline story, run beside the clips.

    python bench/narration.py [--scenes 4] [--captions file|burn|off]

The same story (same prompt, local writer, local renderer) runs through the real pipeline (queue with
its worker threads, database, blob store) twice in this run: without narration (the baseline) and
with the offline Piper voice speaking each scene's line beside the clips, mixed in and captioned.
A narrated scene lasts at least as long as its line, so the narrated story can be longer; both the
wall-clock difference and the difference per second of video are printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reelsmith.config import Settings
from reelsmith.db.models import Generation
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.jobs.worker import embedded_worker
from reelsmith.runtime import build_runtime
from reelsmith.vocabulary import TERMINAL_STATUSES, CaptionMode, GenerationStatus

PROMPT = "A luxurious perfume advertisement"


def run(data_dir: Path, scenes: int, narration: bool, captions: CaptionMode) -> tuple[float, float]:
    """(seconds to complete, seconds of video) of one story on a fresh data dir."""
    rt = build_runtime(Settings(data_dir=data_dir, _env_file=None))  # type: ignore[call-arg]
    user = ensure_local_user(rt)
    local = ProviderChoice(text="local", image="local", video="local", speech="local")
    request = GenerationCreate(
        prompt=PROMPT, scenes=scenes, providers=local, narration=narration, captions=captions
    )
    with embedded_worker(rt):
        started = time.monotonic()
        gid = create_generation(rt, user, request, bill=False)
        while True:
            with rt.db.read() as session:
                gen = session.get(Generation, gid)
                assert gen is not None
                if gen.status in TERMINAL_STATUSES:
                    assert gen.status == GenerationStatus.COMPLETED, gen.error_message
                    length = sum(s.duration_s for s in gen.variants[0].scenes)
                    break
            time.sleep(0.05)
        took = time.monotonic() - started
    rt.close()
    return took, length


def main() -> None:
    """Run the story without and with narration and print the difference."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=4)
    parser.add_argument("--captions", type=CaptionMode, default=CaptionMode.FILE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain, plain_len = run(Path(tmp) / "plain", args.scenes, False, CaptionMode.OFF)
        spoken, spoken_len = run(Path(tmp) / "spoken", args.scenes, True, args.captions)
    print(f"without narration: {plain:.1f} s for {plain_len:.1f} s of video")
    print(f"with narration ({args.captions} captions): {spoken:.1f} s for {spoken_len:.1f} s of video")
    print(f"speech adds {spoken - plain:.1f} s ({spoken / plain:.2f}x the baseline)")
    print(f"per second of video: {plain / plain_len:.2f} s -> {spoken / spoken_len:.2f} s")


if __name__ == "__main__":
    main()
