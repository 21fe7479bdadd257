"""The drill's fleet: `reelsmith serve --no-worker` and `reelsmith worker` processes sharing one setup.

Each process has a data dir of its own (as on separate machines: its scratch files are its own) and the
same database, queue, bucket and provider. A process can be SIGKILLed, SIGTERMed and started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from bench.drill_services import HOST, wait_for

from tests.support.serving import free_port

SECRET = "drill-secret-key-shared-by-every-process"
METRICS_TOKEN = "drill-metrics"


@dataclass(frozen=True)
class FleetConfig:
    """Where the shared services are and how the fleet is tuned for a drill."""

    database_url: str
    queue_url: str
    storage_url: str
    s3_endpoint_url: str
    s3_credentials: dict[str, str]
    replicate_base_url: str
    replicate_token: str
    stale_after_s: float
    reaper_interval_s: float
    worker_threads: int = 2
    log_format: str = "json"

    def environment(self, data_dir: Path) -> dict[str, str]:
        """The environment of one process of the fleet."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_")}
        return (
            base
            | self.s3_credentials
            | {
                "REELSMITH_DATA_DIR": str(data_dir),
                "REELSMITH_DATABASE_URL": self.database_url,
                "REELSMITH_QUEUE_URL": self.queue_url,
                "REELSMITH_STORAGE_URL": self.storage_url,
                "REELSMITH_S3_ENDPOINT_URL": self.s3_endpoint_url,
                "REELSMITH_SECRET_KEY": SECRET,
                "REELSMITH_METRICS_TOKEN": METRICS_TOKEN,
                "REELSMITH_VIDEO_PROVIDER": "replicate",
                "REPLICATE_API_TOKEN": self.replicate_token,
                "REELSMITH_REPLICATE_BASE_URL": self.replicate_base_url,
                "REELSMITH_WORKERS": str(self.worker_threads),
                "REELSMITH_STALE_AFTER_S": str(self.stale_after_s),
                "REELSMITH_REAPER_INTERVAL_S": str(self.reaper_interval_s),
                "REELSMITH_GENERATION_DEADLINE_S": "900",
                "REELSMITH_PROVIDER_TIMEOUT_S": "3",
                "REELSMITH_SIGNUP_TOKENS": "1000",
                "REELSMITH_SIGNUPS_PER_ADDRESS_PER_HOUR": "1000",
                "REELSMITH_GENERATION_RATE_PER_MINUTE": "1000",
                "REELSMITH_LOG_FORMAT": self.log_format,
            }
        )


@dataclass
class Member:
    """One process of the fleet."""

    name: str
    kind: str  # "api" | "worker"
    data_dir: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    killed: int = 0  # times SIGKILLed
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT of an API server."""
        return f"http://{HOST}:{self.port}"

    @property
    def alive(self) -> bool:
        """Whether the process is running."""
        return self.proc is not None and self.proc.poll() is None


class Fleet:
    """Starts, kills and restarts the fleet's processes."""

    def __init__(self, config: FleetConfig, root: Path) -> None:
        self.config, self.root = config, root
        self.members: list[Member] = []

    def migrate(self) -> None:
        """Bring the database to head once, before the processes start (they would race to do it)."""
        env = self.config.environment(self.root / "migrate")
        subprocess.run(
            [sys.executable, "-m", "reelsmith", "db", "upgrade"], env=env, check=True, capture_output=True
        )

    def add_api(self) -> Member:
        """Start one more API server (no worker) on a port of its own."""
        n = sum(1 for m in self.members if m.kind == "api")
        member = Member(f"api-{n + 1}", "api", self.root / f"api-{n + 1}", port=free_port())
        self.members.append(member)
        self.start(member)
        return member

    def add_worker(self) -> Member:
        """Start one more worker process."""
        n = sum(1 for m in self.members if m.kind == "worker")
        member = Member(f"worker-{n + 1}", "worker", self.root / f"worker-{n + 1}")
        self.members.append(member)
        self.start(member)
        return member

    def start(self, member: Member) -> None:
        """Start (or restart) a member's process; its log is kept per start."""
        member.data_dir.mkdir(parents=True, exist_ok=True)
        log = member.data_dir / f"process-{len(member.logs) + 1}.log"
        member.logs.append(log)
        # -v: the INFO lines too (the reaper's passes, signals, steps handed back), for a failed run's logs.
        command = [sys.executable, "-m", "reelsmith", "-v", "worker"]
        if member.kind == "api":
            command = [*command[:-1], "serve", "--no-worker", "--port", str(member.port)]
        member.proc = subprocess.Popen(
            command,
            env=self.config.environment(member.data_dir),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, member: Member, timeout_s: float = 60) -> None:
        """Wait until an API server answers /healthz (or a worker has started)."""
        if member.kind != "api":
            return

        def healthy() -> bool:
            if not member.alive:
                raise RuntimeError(f"{member.name} exited:\n{member.logs[-1].read_text()[-3000:]}")
            try:
                return httpx.get(f"{member.url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout_s, f"{member.name} to answer /healthz", interval_s=0.2)

    def kill(self, member: Member) -> None:
        """SIGKILL the member: no clean-up, no goodbye."""
        if member.proc is not None:
            os.killpg(member.proc.pid, signal.SIGKILL)
            member.proc.wait(10)
            member.killed += 1

    def terminate(self, member: Member, timeout_s: float = 60) -> int | None:
        """SIGTERM the member and wait for it to exit; its exit code (None if it had to be killed)."""
        if member.proc is None or member.proc.poll() is not None:
            return member.proc.returncode if member.proc else None
        os.killpg(member.proc.pid, signal.SIGTERM)
        try:
            return member.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill(member)
            return None

    def dump_stacks(self) -> list[Path]:
        """Have every running member write its threads' stacks to its log (SIGUSR1); the logs written."""
        logs: list[Path] = []
        for member in self.members:
            if member.alive and member.proc is not None:
                os.kill(member.proc.pid, signal.SIGUSR1)
                logs.append(member.logs[-1])
        return logs

    def apis(self) -> list[Member]:
        """The API servers."""
        return [m for m in self.members if m.kind == "api"]

    def stop_all(self) -> dict[str, int | None]:
        """SIGTERM every member; their exit codes by name (None: still running after the wait, killed).

        An API server waits for its open event streams before it exits, so it gets less patience.
        """
        return {m.name: self.terminate(m, 15 if m.kind == "api" else 60) for m in self.members}
