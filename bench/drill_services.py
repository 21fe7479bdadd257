"""The drill's services on loopback: a pausable TCP proxy, Redis, an S3 server, a database, the provider fake.

Each can be broken the way production breaks it: Redis restarted with nothing on disk (its queue is
gone), the S3 server or PostgreSQL unreachable for a while (a proxy in front of each that refuses
connections and cuts the open ones), PostgreSQL restarted for real when the drill may do that.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar

import httpx
from sqlalchemy import create_engine, make_url, text

from tests.support.proxy import TcpProxy
from tests.support.serving import free_port

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]


def wait_for(predicate: Any, timeout_s: float, what: str, interval_s: float = 0.1) -> Any:
    """Poll `predicate` until it returns something truthy; raise at the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError(f"timed out after {timeout_s:g} s waiting for {what}")


def port_open(port: int) -> bool:
    """Whether something accepts connections on loopback `port`."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


class RedisServer:
    """A redis-server of our own that keeps nothing on disk, so a restart loses every queued task."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """redis://127.0.0.1:PORT/0"""
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> RedisServer:
        """Start the server and wait until it accepts connections."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: port_open(self.port), 10, "redis-server to listen")
        return self

    def stop(self) -> None:
        """Stop the server (what it held is gone)."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(10)
            self._proc = None

    def restart(self) -> None:
        """Kill and start again on the same port: an empty Redis."""
        self.stop()
        self.start()


class S3Server:
    """A moto S3 server in its own process, reached through a proxy that can make it unavailable."""

    BUCKET = "reelsmith-drill"
    CREDENTIALS: ClassVar[dict[str, str]] = {
        "AWS_ACCESS_KEY_ID": "drill-key",
        "AWS_SECRET_ACCESS_KEY": "drill-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proxy = TcpProxy(self.port)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def direct_url(self) -> str:
        """The server itself (for the drill's own checks)."""
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The endpoint the fleet uses: through the proxy."""
        return f"http://{HOST}:{self.proxy.port}"

    def start(self) -> S3Server:
        """Start moto, create the bucket, start the proxy."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(self.port)],
            stdout=(self.folder / "moto.log").open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.CREDENTIALS},
        )
        wait_for(lambda: port_open(self.port), 30, "the S3 server to listen")
        self.client().create_bucket(Bucket=self.BUCKET)
        self.proxy.start()
        return self

    def client(self) -> Any:
        """A boto3 S3 client talking to the server directly."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.direct_url,
            aws_access_key_id=self.CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=self.CREDENTIALS["AWS_DEFAULT_REGION"],
        )

    def stop(self) -> None:
        """Stop the proxy and the server."""
        self.proxy.stop()
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None


class PostgresDatabase:
    """A fresh database on the machine's PostgreSQL for one run, reached through a cuttable proxy."""

    def __init__(self, server_url: str) -> None:
        self.server = make_url(server_url)
        self.name = f"reelsmith_drill_{uuid.uuid4().hex[:10]}"
        self.proxy = TcpProxy(self.server.port or 5432)
        self._admin = create_engine(server_url, isolation_level="AUTOCOMMIT")

    @property
    def direct_url(self) -> str:
        """The run's database on the server itself."""
        return self.server.set(database=self.name).render_as_string(hide_password=False)

    @property
    def url(self) -> str:
        """The run's database through the proxy (what the fleet uses)."""
        url = self.server.set(database=self.name, host=HOST, port=self.proxy.port)
        return url.render_as_string(hide_password=False)

    def create(self) -> PostgresDatabase:
        """Create the database and start the proxy."""
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.proxy.start()
        return self

    def drop(self) -> None:
        """Stop the proxy, end the connections still open to the database and drop it."""
        self.proxy.stop()
        self._admin.dispose()  # pooled connections died with a restarted server: start afresh
        with self._admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": self.name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}"'))
        self._admin.dispose()


def restart_postgres_cluster() -> str:
    """Restart the machine's PostgreSQL cluster with pg_ctlcluster; returns which one, or raises."""
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    version, name = listing.stdout.split()[:2]
    subprocess.run(["pg_ctlcluster", version, name, "restart"], check=True, capture_output=True, timeout=120)
    return f"{version}/{name}"


class ProviderFake:
    """bench/drill_fakes.py in a process of its own."""

    def __init__(self, folder: Path, *, clip_s: float, fault_rate: float, slow_s: float) -> None:
        self.folder = folder
        self.args = ["--clip-seconds", str(clip_s), "--fault-rate", str(fault_rate), "--slow-s", str(slow_s)]
        self._proc: subprocess.Popen[str] | None = None
        self.base_url = self.url = self.key = ""

    def start(self) -> ProviderFake:
        """Start the fake and read where it serves."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "drill_fakes.py"), *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(self.folder / "fake.log").open("w"),
            text=True,
            cwd=REPO,
        )
        assert self._proc.stdout is not None
        info = json.loads(self._proc.stdout.readline())
        self.base_url, self.url, self.key = info["base_url"], info["url"], info["key"]
        return self

    def jobs(self) -> list[dict[str, str]]:
        """Every job the fake made: {"id", "key"}."""
        return list(self._book()["jobs"])

    def faults(self) -> dict[str, int]:
        """How many faults the fake served, by route (create, get, file)."""
        return {str(k): int(v) for k, v in self._book()["faults"].items()}

    def _book(self) -> dict[str, Any]:
        reply = httpx.get(
            f"{self.url}/drill/jobs", headers={"Authorization": f"Bearer {self.key}"}, timeout=10
        )
        reply.raise_for_status()
        return dict(reply.json())

    def stop(self) -> None:
        """Close the fake's stdin, which ends it."""
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None
