"""The fleet drill: two API servers and three workers on PostgreSQL, Redis and S3, broken while users watch.

On loopback it starts a fresh PostgreSQL database (reached through a proxy that can be cut), a
redis-server of its own with nothing on disk, a moto S3 server behind a proxy, a slow Replicate fake
with transient faults (bench/drill_fakes.py), two `reelsmith serve --no-worker` and three
`reelsmith worker`. Users sign up and submit story generations to either server while SSE watchers
follow them, and during the run one worker is SIGKILLed (a new one started), one API server is
SIGKILLed and restarted, Redis is restarted (its queue is lost and must be rebuilt from the
database), S3 is unreachable for a while and so is PostgreSQL. Then it checks, and prints, that every
generation ended (failed ones with a reason), that the provider made one job per scene, that the
ledger adds up, that every watcher saw its generation's final event, that no orphan blobs or temp files
stay behind, that two servers together do not allow twice the sign-in failures, that /metrics agrees
with the database, and the throughput and p50/p95 end-to-end times against the same load without
faults (measured first, in the same invocation).

    python bench/drill.py                    # full size: 60 generations, 30 watchers, 10 s clips
    python bench/drill.py --size ci --faults-only

PostgreSQL is restarted for real only with --restart-postgres (it restarts the whole cluster, which
other users of the machine's server would notice); otherwise its proxy is cut, which the fleet sees the
same way: every connection dropped, new ones refused. Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench.*` and `tests.fakes` live in the repo

import httpx
from bench.drill_checks import Outcome
from bench.drill_fleet import METRICS_TOKEN, Fleet, FleetConfig
from bench.drill_load import (
    Servers,
    Submission,
    User,
    Watch,
    Watchers,
    probe_shared_login_limit,
    sign_up,
    spread,
    submit,
)
from bench.drill_services import (
    PostgresDatabase,
    ProviderFake,
    RedisServer,
    S3Server,
    restart_postgres_cluster,
    wait_for,
)
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from bench import drill_checks as checks
from reelsmith.config import Settings
from reelsmith.db.models import Generation
from reelsmith.jobs.housekeeping import named_keys
from reelsmith.runtime import build_runtime
from reelsmith.storage.collect import collect_orphan_blobs
from reelsmith.vocabulary import TERMINAL_STATUSES

LOGIN_FAILURES_PER_USERNAME = 5  # the setting's default, which the fleet keeps
PROMPTS = (
    "A paper boat drifting down a rainy street",
    "A lighthouse keeper climbing the stairs at dawn",
    "A fox crossing a frozen lake under the northern lights",
    "A street market opening at sunrise",
)


@dataclass(frozen=True)
class Size:
    """How big a drill is, and when its faults strike (seconds after the first submission)."""

    users: int
    generations: int
    watchers: int
    scenes: int
    clip_s: float
    submit_over_s: float
    s3_outage_s: float
    pg_outage_s: float
    stale_after_s: float
    drain_s: float
    at: tuple[float, float, float, float, float]  # worker kill, API kill, Redis, S3, PostgreSQL


SIZES = {
    "full": Size(6, 60, 30, 2, 10.0, 30.0, 10.0, 5.0, 20.0, 420.0, (10.0, 18.0, 26.0, 34.0, 50.0)),
    "ci": Size(3, 12, 6, 2, 2.0, 6.0, 6.0, 3.0, 10.0, 360.0, (3.0, 6.0, 9.0, 12.0, 21.0)),
}


@dataclass
class Fault:
    """One fault as it was injected."""

    name: str
    at_s: float = 0.0
    took_s: float = 0.0
    detail: str = ""


@dataclass
class Run:
    """What one run measured and checked."""

    label: str
    checks: list[checks.Check] = field(default_factory=list)
    outcome: Outcome | None = None
    faults: list[Fault] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(c.passed for c in self.checks)


class Services:
    """Everything the fleet depends on, started in a fresh folder."""

    def __init__(self, root: Path, pg_url: str, size: Size, fault_rate: float) -> None:
        self.root = root
        self.pg = PostgresDatabase(pg_url).create()
        self.redis = RedisServer(root / "redis").start()
        self.s3 = S3Server(root / "s3").start()
        self.fake = ProviderFake(root / "fake", clip_s=size.clip_s, fault_rate=fault_rate, slow_s=4.0).start()
        os.environ.update(S3Server.CREDENTIALS)  # this process reads the bucket for the checks

    def fleet_config(self, size: Size) -> FleetConfig:
        """The settings every process of the fleet shares."""
        return FleetConfig(
            database_url=self.pg.url,
            queue_url=f"{self.redis.url}?queue=drill",
            storage_url=f"s3://{S3Server.BUCKET}/fleet",
            s3_endpoint_url=self.s3.url,
            s3_credentials=S3Server.CREDENTIALS,
            replicate_base_url=self.fake.base_url,
            replicate_token=self.fake.key,
            stale_after_s=size.stale_after_s,
            reaper_interval_s=1.0,
        )

    def close(self) -> None:
        """Stop everything and drop the database."""
        for stop in (self.fake.stop, self.s3.stop, self.redis.stop, self.pg.drop):
            try:
                stop()
            except Exception as e:  # keep tearing down the rest
                print(f"teardown: {stop.__qualname__} failed: {e}", file=sys.stderr)


def run_once(size: Size, *, faults: bool, pg_url: str, restart_pg: bool, root: Path) -> Run:
    """Start services and fleet, run the load (with or without faults), check, tear down."""
    run = Run("faults" if faults else "no faults")
    services = Services(root, pg_url, size, fault_rate=0.2 if faults else 0.0)
    fleet = Fleet(services.fleet_config(size), root / "fleet")
    engine = create_engine(services.pg.direct_url)
    try:
        fleet.migrate()
        apis = [fleet.add_api(), fleet.add_api()]
        for _ in range(3):
            fleet.add_worker()
        for api in apis:
            fleet.wait_ready(api)
        servers = Servers([api.url for api in apis])
        _probe_limits(run, servers)
        users = [sign_up(servers, f"drill{n}") for n in range(size.users)]
        watchers = Watchers(servers)
        injector = _Injector(run, fleet, services, size, restart_pg) if faults else None
        start = time.monotonic()
        if injector is not None:
            injector.start(start)
        subs = _submit_all(servers, users, size, watchers)
        gids = [s.generation_id for s in subs]
        if injector is not None:
            injector.join()
        _drain(engine, gids, size.drain_s)
        watches = watchers.join(30)
        run.notes.append(f"resends after lost answers: {sum(s.resends for s in subs)}")
        _check_metrics(run, engine, servers, fleet)
        if _unended(engine, gids):
            # Where each process is (a task hanging with its heartbeat beating shows here).
            dumped = fleet.dump_stacks()
            time.sleep(1.0)
            run.notes.append(f"stacks of the running processes written to {len(dumped)} logs")
        exits = fleet.stop_all()
        # A server's -15 is uvicorn ending by the signal it caught, once its clean shutdown is done.
        run.notes.append("exit codes on SIGTERM: " + ", ".join(f"{k}={v}" for k, v in exits.items()))
        _check_all(run, engine, services, fleet, gids, watches)
    finally:
        fleet.stop_all()
        engine.dispose()
        services.close()
    return run


def _probe_limits(run: Run, servers: Servers) -> None:
    """Two servers together allow the sign-in failures of one account once, not twice."""
    sign_up(servers, "probe")
    counts = probe_shared_login_limit(servers, "probe", 2 * LOGIN_FAILURES_PER_USERNAME + 2)
    allowed = counts.get("401", 0)
    run.checks.append(
        checks.Check(
            "shared limit: failed sign-ins let through by 2 servers",
            allowed <= LOGIN_FAILURES_PER_USERNAME,
            f"{allowed} (limit {LOGIN_FAILURES_PER_USERNAME}; answers {dict(sorted(counts.items()))})",
        )
    )


def _submit_all(servers: Servers, users: list[User], size: Size, watchers: Watchers) -> list[Submission]:
    """Submit the generations, spread over time and users; the first ones get a watcher each."""

    every = max(1, size.generations // size.watchers)  # watched generations spread over the run

    def one(n: int) -> Submission:
        user = users[n % len(users)]
        prompt = f"Drill g{n:04d}: {PROMPTS[n % len(PROMPTS)]}"
        sub = submit(servers, user, prompt, size.scenes)
        if n % every == 0 and n // every < size.watchers:
            watchers.follow(user, sub.generation_id)
        return sub

    return list(spread(list(range(size.generations)), one, size.submit_over_s))


def _unended(engine: Engine, gids: list[str]) -> int:
    """How many of the generations have not ended."""
    with Session(engine) as session:
        left = session.scalar(
            select(func.count())
            .select_from(Generation)
            .where(Generation.id.in_(gids), Generation.status.not_in(TERMINAL_STATUSES))
        )
    return int(left or 0)


def _drain(engine: Engine, gids: list[str], timeout_s: float) -> None:
    """Wait until every generation has ended (or the time is up: the checks then count the stuck)."""
    with contextlib.suppress(TimeoutError):  # the checks then count what is stuck
        wait_for(lambda: _unended(engine, gids) == 0, timeout_s, "every generation to end", interval_s=0.5)


class _Injector(threading.Thread):
    """Injects the faults at their times, one after another."""

    def __init__(self, run: Run, fleet: Fleet, services: Services, size: Size, restart_pg: bool) -> None:
        super().__init__(name="faults", daemon=True)
        self.run_, self.fleet, self.services, self.size = run, fleet, services, size
        self.restart_pg = restart_pg
        self.t0 = 0.0
        self.error: BaseException | None = None

    def start(self, t0: float | None = None) -> None:
        """Start the thread (fault times count from `t0`)."""
        if t0 is not None:
            self.t0 = t0
        super().start()

    def run(self) -> None:
        """Inject each fault when its time comes."""
        plan: list[tuple[str, Callable[[], str]]] = [
            ("SIGKILL a worker, start a new one", self._kill_worker),
            ("SIGKILL an API server, restart it", self._kill_api),
            ("restart Redis (queue lost)", self._restart_redis),
            (f"S3 unavailable {self.size.s3_outage_s:g} s", self._s3_outage),
            ("restart PostgreSQL" if self.restart_pg else f"PostgreSQL cut off {self.size.pg_outage_s:g} s",
             self._postgres),
        ]  # fmt: skip
        try:
            for (name, action), at in zip(plan, self.size.at, strict=True):
                time.sleep(max(0.0, self.t0 + at - time.monotonic()))
                fault = Fault(name, at_s=time.monotonic() - self.t0)
                began = time.monotonic()
                fault.detail = action()
                fault.took_s = time.monotonic() - began
                self.run_.faults.append(fault)
        except BaseException as e:
            self.error = e
            raise

    def _kill_worker(self) -> str:
        victim = next(m for m in self.fleet.members if m.kind == "worker" and m.alive)
        self.fleet.kill(victim)
        self.fleet.add_worker()
        return f"{victim.name} killed"

    def _kill_api(self) -> str:
        victim = self.fleet.apis()[0]
        self.fleet.kill(victim)
        time.sleep(1.0)  # users notice: connections refused for a moment
        self.fleet.start(victim)
        self.fleet.wait_ready(victim)
        return f"{victim.name} back on its port"

    def _restart_redis(self) -> str:
        self.services.redis.restart()
        return "empty Redis on the same port"

    def _s3_outage(self) -> str:
        self.services.s3.proxy.cut()
        time.sleep(self.size.s3_outage_s)
        self.services.s3.proxy.mend()
        return "connections refused and cut"

    def _postgres(self) -> str:
        if self.restart_pg:
            return f"pg_ctlcluster restart of {restart_postgres_cluster()}"
        self.services.pg.proxy.cut()
        time.sleep(self.size.pg_outage_s)
        self.services.pg.proxy.mend()
        return "connections refused and cut"


def _check_metrics(run: Run, engine: Engine, servers: Servers, fleet: Fleet) -> None:
    """/metrics on each server reports the database's counts, and the queue's depth (where it does not,
    the notes say which and quote the servers' own account of it)."""
    with Session(engine) as session:
        truth = dict(
            session.execute(select(Generation.status, func.count()).group_by(Generation.status)).all()
        )
    seen: list[str] = []
    agree = True
    for url in servers.urls:
        text = httpx.get(
            f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=20
        ).text
        by_status: dict[str, float] = {}
        depth = False
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "reelsmith_generations":
                    status = sample.labels["status"]
                    by_status[status] = by_status.get(status, 0) + sample.value
                depth = depth or sample.name == "reelsmith_queue_depth"
        counts_agree = by_status == {k: float(v) for k, v in truth.items()}
        agree = agree and depth and counts_agree
        seen.append(", ".join(f"{k}={v:g}" for k, v in sorted(by_status.items())))
        if not depth:
            run.notes.append(f"metrics: {url} gave no queue depth")
        if not counts_agree:
            run.notes.append(f"metrics: {url} counts differ from the database's {truth}")
    run.checks.append(checks.Check("/metrics of both servers = database", agree, " | ".join(seen)))
    if not agree:
        accounts = _log_lines(fleet, "queue depth unavailable", most=4)
        run.notes.extend(f"log: {line[:3000]}" for line in accounts)


def _check_all(
    run: Run, engine: Engine, services: Services, fleet: Fleet, gids: list[str], watches: list[Watch]
) -> None:
    """The checks read from the database, the fake, the bucket and the scratch folders."""
    jobs = services.fake.jobs()
    served = services.fake.faults()
    by_route = ", ".join(f"{route} {n}" for route, n in sorted(served.items()) if n) or "none"
    run.notes.append(f"provider faults served: {by_route} (paid jobs made {len(jobs)})")
    with Session(engine) as session:
        result = checks.outcome(session, gids)
        run.outcome = result
        dup_scenes, dup_jobs = checks.duplicate_creates(session, gids, jobs)
        histories = checks.duplicate_histories(session, jobs)
        run.notes.extend(f"duplicate: {line}" for line in histories.values())
        missing = checks.scenes_without_create(session, gids, jobs)
        ledger_users, ledger_gens = checks.ledger_differences(session, gids)
        found, sent_again = checks.uncertain_submits(session, gids)
        run.notes.append(
            f"uncertain clip submissions: {found} found at the provider by a lookup, "
            f"{sent_again} sent again after lookups found nothing"
        )
        run.notes.extend(f"stuck: {line}" for line in checks.stuck_states(session, gids))
        final_of = dict(
            session.execute(select(Generation.id, Generation.status).where(Generation.id.in_(gids))).all()
        )
    for scene_id in histories:
        run.notes.extend(f"log: {entry}" for entry in _log_lines(fleet, scene_id))
    missed, disordered, reconnects = checks.watcher_misses(watches, final_of)
    add = run.checks.append
    add(checks.Check(
        "every generation ended (completed / failed / stuck)",
        result.stuck == 0 and result.failed_without_reason == 0,
        f"{result.completed} / {result.failed} / {result.stuck} of {result.submitted}"
        + (f"; reasons: {'; '.join(result.reasons)}" if result.reasons else ""),
    ))  # fmt: skip
    add(checks.Check(
        "duplicate paid creates at the provider", dup_jobs == 0 and missing == 0,
        f"{dup_jobs} (scenes affected {dup_scenes}; completed scenes without a job {missing})",
    ))  # fmt: skip
    add(checks.Check(
        "ledger differences (users, generations)", ledger_users == 0 and ledger_gens == 0,
        f"{ledger_users}, {ledger_gens}",
    ))  # fmt: skip
    add(checks.Check(
        "watchers that missed the final event", missed == 0 and disordered == 0 and len(watches) > 0,
        f"{missed} of {len(watches)} (out of order {disordered}; reconnections {reconnects})",
    ))  # fmt: skip
    _check_leftovers(run, services, fleet)


def _log_lines(fleet: Fleet, needle: str, most: int = 60) -> list[str]:
    """The fleet's log lines that mention `needle` (a scene id), each with its process, oldest first."""
    found: list[str] = []
    for member in fleet.members:
        for log in member.logs:
            if log.exists():
                text = log.read_text(errors="replace")
                found.extend(
                    f"{log.parent.name}/{log.name}: {line}" for line in text.splitlines() if needle in line
                )
    return found[:most]


def _check_leftovers(run: Run, services: Services, fleet: Fleet) -> None:
    """Orphan blobs in the bucket and temp files in scratch folders, after every process has stopped."""
    killed = [m.data_dir for m in fleet.members if m.killed]
    clean = [m.data_dir for m in fleet.members if not m.killed]
    settings = Settings(
        data_dir=services.root / "checker",
        database_url=services.pg.direct_url,
        queue_url="memory://",
        storage_url=f"s3://{S3Server.BUCKET}/fleet",
        s3_endpoint_url=services.s3.direct_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    rt = build_runtime(settings, migrate=False)
    try:
        later = time.time() + 1  # every blob counts, however young: nothing is writing any more
        from datetime import UTC, datetime

        cutoff = datetime.fromtimestamp(later, UTC)
        named = named_keys(rt)
        orphans = [b.key for b in rt.blobs.list_blobs("") if not named([b.key])]
        left = collect_orphan_blobs(rt.blobs, named, older_than=cutoff, dry_run=True)
        collected = collect_orphan_blobs(rt.blobs, named_keys(rt), older_than=cutoff)
        after = collect_orphan_blobs(rt.blobs, named_keys(rt), older_than=cutoff, dry_run=True)
    finally:
        rt.close()
    from_killed, from_clean = checks.temp_files(killed), checks.temp_files(clean)
    if left.count:
        run.notes.append(f"orphan blobs left: {', '.join(sorted(orphans)[:6])}")
    run.checks.append(checks.Check(
        "orphan blobs (left; after collection)",
        after.count == 0 and (left.count == 0 or bool(killed)),
        f"{left.count}; {after.count} (collected {collected.count})",
    ))  # fmt: skip
    run.checks.append(checks.Check(
        "temp files (stopped processes; killed processes)",
        not from_clean,
        f"{len(from_clean)}; {len(from_killed)}",
    ))  # fmt: skip


def print_table(size_name: str, size: Size, runs: list[Run]) -> None:
    """The checks and figures of each run, side by side."""
    print(
        f"Reelsmith fleet drill ({size_name}): {size.generations} story generations of {size.scenes} "
        f"scenes, {size.users} users, {size.watchers} SSE watchers, 2 API servers, 3 workers, "
        f"clips of {size.clip_s:g} s"
    )
    for run in runs:
        if run.faults:
            print(f"faults injected ({run.label}):")
            for fault in run.faults:
                print(f"  t+{fault.at_s:5.1f} s  {fault.name}: {fault.detail} ({fault.took_s:.1f} s)")
    width = max(len(c.name) for run in runs for c in run.checks) + 2
    print()
    for run in runs:
        print(f"[{run.label}]")
        for c in run.checks:
            print(f"  {'PASS' if c.passed else 'FAIL'}  {c.name:<{width}} {c.figure}")
        if run.outcome is not None:
            o = run.outcome
            print(
                f"  figures  throughput {o.throughput_per_min:.1f} generations/min, "
                f"p50 {o.percentile(50):.1f} s, p95 {o.percentile(95):.1f} s end to end"
            )
        for note in run.notes:
            print(f"  note     {note}")
    by_label = {run.label: run.outcome for run in runs if run.outcome is not None}
    base, hit = by_label.get("no faults"), by_label.get("faults")
    if base is not None and hit is not None and base.throughput_per_min and base.percentile(95):
        print(
            f"\nwith faults / without: throughput {hit.throughput_per_min / base.throughput_per_min:.2f}x, "
            f"p50 {hit.percentile(50) / max(base.percentile(50), 1e-9):.2f}x, "
            f"p95 {hit.percentile(95) / base.percentile(95):.2f}x"
        )
    print("\nresult:", "PASS" if all(run.passed for run in runs) else "FAIL")


def main() -> int:
    """Run the drill; 0 when every check passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--generations", type=int, help="override the size's number of generations")
    parser.add_argument("--faults-only", action="store_true", help="skip the run without faults")
    parser.add_argument("--restart-postgres", action="store_true", help="pg_ctlcluster restart, not a cut")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the run folder (logs) and print it")
    args = parser.parse_args()
    size = SIZES[args.size]
    if args.generations:
        size = replace(size, generations=args.generations, watchers=min(size.watchers, args.generations))
    root = Path(tempfile.mkdtemp(prefix="reelsmith-drill-"))
    runs: list[Run] = []
    try:
        for faults in [True] if args.faults_only else [False, True]:
            folder = root / ("faults" if faults else "baseline")
            runs.append(
                run_once(
                    size, faults=faults, pg_url=args.pg_url, restart_pg=args.restart_postgres, root=folder
                )
            )
    finally:
        if args.keep:
            print(f"run folder: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print_table(args.size, size, runs)
    return 0 if all(run.passed for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
