"""Operator commands: `reelsmith doctor` checks a deployment, `reelsmith collect` tidies its storage.

`doctor` prints one line per check (ok, warn or fail, and what it found) and exits 1 when any check
fails. It changes nothing but a probe blob it writes and deletes again: a database that does not exist
yet, or has no schema yet, is reported as made on first start, never created or migrated here.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlparse

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from huey import Huey

    from reelsmith.config import Settings
    from reelsmith.jobs.housekeeping import HousekeepingReport

out = Console()
err = Console(stderr=True)

Level = Literal["ok", "warn", "fail"]
_COLORS: dict[Level, str] = {"ok": "green", "warn": "yellow", "fail": "red"}
DISK_WARN_BYTES = 2_000_000_000
DISK_FAIL_BYTES = 200_000_000
SERVICE_TIMEOUT_S = 3.0  # a reachable queue answers at once; an unreachable one must not hang the check
PROVIDER_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    level: Level
    detail: str


def doctor_command() -> None:
    """Check settings, database, migrations, queue, storage, ffmpeg, disk space and providers."""
    settings, loaded = _load_settings()
    results = [loaded]
    _show(loaded)
    if settings is not None:
        for check in _checks(settings):
            results.append(check)
            _show(check)
    if any(r.level == "fail" for r in results):
        raise typer.Exit(1)


def _show(check: Check) -> None:
    """Print one check as `level  name  detail`, on one line whatever the detail holds."""
    detail = " ".join(check.detail.split())
    line = Text.assemble((f"{check.level:<5}", _COLORS[check.level]), f"{check.name:<16}{detail}")
    out.print(line, highlight=False, soft_wrap=True)


def _load_settings() -> tuple[Settings | None, Check]:
    """The settings, and the check that says whether they loaded."""
    from pydantic import ValidationError

    from reelsmith.config import Settings

    try:
        settings = Settings()
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return None, Check("settings", "fail", f"{where}: {first['msg']}")
    return settings, Check("settings", "ok", f"loaded; data dir {settings.data_dir}")


def _checks(settings: Settings) -> Iterator[Check]:
    """Every check after the settings, in order; a check that raises is reported as failed."""
    steps: list[tuple[str, Callable[[Settings], Check]]] = [
        ("secret key", secret_key_check),
        ("data dir", _data_dir),
        ("database", _database),
        ("migrations", _migrations),
        ("queue", _queue),
        ("storage", _storage),
        ("ffmpeg", _ffmpeg),
        ("disk space", _disk_space),
    ]
    for name, step in steps:
        try:
            yield step(settings)
        except Exception as e:  # a doctor reports what broke instead of crashing on it
            first = next((line.strip() for line in str(e).splitlines() if line.strip()), "")
            yield Check(name, "fail", f"{type(e).__name__}: {first}")
    yield from _providers(settings)


def secret_key_check(settings: Settings) -> Check:
    """Where share links' signing key comes from, and whether every server will sign alike."""
    if settings.secret_key:
        return Check("secret key", "ok", "set by REELSMITH_SECRET_KEY")
    path = settings.data_dir / "secret.key"
    shared_database = not settings.effective_database_url.startswith("sqlite")
    if shared_database:
        return Check(
            "secret key",
            "warn",
            f"REELSMITH_SECRET_KEY unset with a shared database: each server signs share links with its own "
            f"{path}, which the others reject",
        )
    if not path.is_file():
        return Check("secret key", "ok", f"made in {path} on first use (keep it: share links need it)")
    return Check("secret key", "ok", f"kept in {path}")


def _data_dir(settings: Settings) -> Check:
    """Whether the data dir (database, secret key, blobs) is its owner's alone."""
    path = settings.data_dir
    if not path.exists():
        return Check("data dir", "ok", f"{path} is made on first start, readable by its owner alone")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return Check("data dir", "warn", f"{path} is mode {mode:o}: other accounts can read it (chmod 700)")
    return Check("data dir", "ok", f"{path} is private (mode {mode:o})")


def _sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite:///` URL, None for any other database."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _database(settings: Settings) -> Check:
    """Whether the database answers a query."""
    from sqlalchemy import text

    from reelsmith.db.engine import Database

    url = settings.effective_database_url
    file = _sqlite_file(url)
    if file is not None and not file.exists():
        return Check("database", "ok", f"no database yet: {file} is made on first start")
    database = Database(url)
    try:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        database.dispose()
    return Check("database", "ok", f"{database.engine.dialect.name} answers ({_redacted(url)})")


def _migrations(settings: Settings) -> Check:
    """The schema's revision against the newest one this version ships."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from reelsmith.db.engine import Database
    from reelsmith.db.migrate import alembic_config

    file = _sqlite_file(settings.effective_database_url)
    if file is not None and not file.exists():
        return Check("migrations", "ok", "no database yet: migrated on first start")
    database = Database(settings.effective_database_url)
    try:
        scripts = ScriptDirectory.from_config(alembic_config(database))
        with database.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        database.dispose()
    heads = set(scripts.get_heads())
    known = {rev.revision for rev in scripts.walk_revisions()}
    if current == heads:
        return Check("migrations", "ok", f"at head ({', '.join(sorted(heads))})")
    if not current:
        return Check(
            "migrations", "ok", "empty database: migrated on first start (or `reelsmith db upgrade`)"
        )
    if current - known:
        return Check(
            "migrations",
            "fail",
            f"database at {', '.join(sorted(current))}: unknown here (a newer release migrated it?)",
        )
    return Check(
        "migrations",
        "warn",
        f"database at {', '.join(sorted(current))}, head is {', '.join(sorted(heads))}: "
        "applied on next start or by `reelsmith db upgrade`",
    )


def _queue(settings: Settings) -> Check:
    """Whether the queue's store answers, and how many tasks wait in it."""
    from reelsmith.jobs.queue import build_huey, redis_url

    url = settings.effective_queue_url
    plain = redis_url(url)
    if plain is not None:
        import redis

        client = redis.Redis.from_url(
            plain, socket_connect_timeout=SERVICE_TIMEOUT_S, socket_timeout=SERVICE_TIMEOUT_S
        )
        try:
            client.ping()
        except redis.RedisError as e:
            return Check("queue", "fail", f"Redis at {_redacted(plain)} does not answer: {e}")
        finally:
            client.close()
        return Check(
            "queue", "ok", f"Redis at {_redacted(plain)} answers; {_pending(build_huey(url))} pending"
        )
    file = _sqlite_file(url)
    if file is not None and not file.exists():
        return Check("queue", "ok", f"no queue yet: {file} is made on first start")
    huey = build_huey(url)
    if file is None:
        return Check("queue", "warn", f"{url}: a queue in this process's memory, seen by no other process")
    return Check("queue", "ok", f"SQLite at {file}; {_pending(huey)} pending")


def _pending(huey: Huey) -> int:
    """Tasks waiting in a Huey queue."""
    return int(huey.pending_count())


def _storage(settings: Settings) -> Check:
    """Put, read back and delete a probe blob."""
    from reelsmith.storage import open_blob_store

    url = settings.effective_storage_url
    store = open_blob_store(url, s3_endpoint_url=settings.s3_endpoint_url or None, scratch=None)
    key = f"doctor-probe-{secrets.token_hex(6)}.txt"  # top level: leaves no folder behind
    probe = secrets.token_bytes(32)
    store.put_bytes(key, probe, "application/octet-stream")
    try:
        with store.open(key) as f:
            read_back = f.read()
    finally:
        store.delete_prefix(key)
    if read_back != probe:
        return Check("storage", "fail", f"{url}: the probe blob read back different bytes")
    return Check("storage", "ok", f"{url} is writable (put, read, delete)")


def _ffmpeg(_settings: Settings) -> Check:
    """The ffmpeg binary media work runs, and its version."""
    from reelsmith.media.ffmpeg import ffmpeg_exe

    exe = ffmpeg_exe()
    done = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=30, check=False)
    first = (done.stdout.splitlines() or [""])[0]
    if done.returncode != 0 or not first.startswith("ffmpeg version"):
        return Check("ffmpeg", "fail", f"{exe} -version exited {done.returncode}")
    version = first.removeprefix("ffmpeg version ").split(" ")[0]
    return Check("ffmpeg", "ok", f"version {version} ({exe})")


def _disk_space(settings: Settings) -> Check:
    """Free space where the data dir lives."""
    where = settings.data_dir
    while not where.exists() and where != where.parent:
        where = where.parent  # not made yet: its files will land on the nearest existing folder's disk
    free = shutil.disk_usage(where).free
    detail = f"{free / 1e9:.1f} GB free in {where}"
    if free < DISK_FAIL_BYTES:
        return Check("disk space", "fail", f"{detail} (under {DISK_FAIL_BYTES // 1_000_000} MB)")
    if free < DISK_WARN_BYTES:
        return Check("disk space", "warn", f"{detail} (under {DISK_WARN_BYTES / 1e9:.0f} GB)")
    return Check("disk space", "ok", detail)


def _providers(settings: Settings) -> list[Check]:
    """One check per provider named in the text, image and video chains."""
    from reelsmith.errors import InvalidInput
    from reelsmith.providers.registry import IMAGE_PROVIDERS, TEXT_PROVIDERS, VIDEO_PROVIDERS, parse_chain

    kinds: dict[str, list[str]] = {}
    chains = (
        ("text", settings.text_provider, TEXT_PROVIDERS),
        ("image", settings.image_provider, IMAGE_PROVIDERS),
        ("video", settings.video_provider, VIDEO_PROVIDERS),
    )
    broken: list[Check] = []
    for kind, chain, known in chains:
        try:
            names = parse_chain(chain, known, f"{kind}_provider")
        except InvalidInput as e:
            broken.append(Check(f"{kind} chain", "fail", e.message))
            continue
        for name in names:
            kinds.setdefault(name, []).append(kind)
    with ThreadPoolExecutor(max_workers=max(1, len(kinds))) as pool:
        checked = list(pool.map(lambda n: _provider(settings, n, kinds[n]), kinds))
    return broken + checked


def _provider(settings: Settings, name: str, kinds: list[str]) -> Check:
    """Whether one provider has its key, and answers a cheap authenticated call when it has one."""
    from reelsmith.providers.endpoints import missing_setting
    from reelsmith.providers.health import check_provider

    label, used = f"provider {name}", f"({', '.join(kinds)})"
    if name != "local":
        missing = missing_setting(name, settings)
        if missing is not None:
            return Check(label, "fail", f"{used} {missing} is not set")
    health = check_provider(name, settings, timeout_s=PROVIDER_TIMEOUT_S)
    if not health.ok:
        return Check(label, "fail", f"{used} {health.detail}")
    latency = f" in {health.latency_ms} ms" if name != "local" else ""
    return Check(label, "ok", f"{used} {health.detail}{latency}")


def _redacted(url: str) -> str:
    """A service URL without its password."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@")).geturl()


def collect_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be deleted; delete nothing.")
    ] = False,
    older_than_s: Annotated[
        float | None,
        typer.Option(
            "--older-than-s",
            min=0,
            help="Grace in seconds: younger unnamed blobs and temp files may be writes in progress "
            "[default: 3600].",
        ),
    ] = None,
) -> None:
    """Delete orphan blobs and stale temp files, and apply the retention settings; prints what went."""
    from pydantic import ValidationError

    from reelsmith.config import Settings
    from reelsmith.errors import ReelsmithError
    from reelsmith.jobs.housekeeping import ORPHAN_GRACE_S, housekeep
    from reelsmith.runtime import build_runtime

    try:
        rt = build_runtime(Settings(), inline=True)
    except ValidationError as e:
        first = e.errors()[0]
        err.print(f"[red]error:[/] setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
        raise typer.Exit(2) from e
    except ReelsmithError as e:
        err.print(f"[red]error:[/] {e.message}", highlight=False)
        raise typer.Exit(2) from e
    try:
        report = housekeep(rt, older_than_s=ORPHAN_GRACE_S if older_than_s is None else older_than_s,
                           dry_run=dry_run)  # fmt: skip
    finally:
        rt.close()
    _print_report(report, dry_run=dry_run)


def _print_report(report: HousekeepingReport, *, dry_run: bool) -> None:
    """One line per kind of thing deleted, then the total."""
    rows = (
        ("failed generations", report.generations),
        ("unused uploads", report.uploads),
        ("orphan blobs", report.orphan_blobs),
        ("temp files", report.temp_files),
    )
    verb = "would remove" if dry_run else "removed"
    for label, tally in rows:
        out.print(f"{verb} {tally.count} {label} ({tally.bytes} bytes)", highlight=False)
    total_count = sum(t.count for _, t in rows)
    total_bytes = sum(t.bytes for _, t in rows)
    out.print(f"{verb} {total_count} in all ({total_bytes} bytes)", highlight=False)
