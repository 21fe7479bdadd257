"""`reelsmith doctor` as an operator runs it: one line per check, exit 1 when any check fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reelsmith.cli.doctor_cmd import secret_key_check
from reelsmith.config import Settings
from tests.support import free_port, require_service
from tests.support.databases import SqliteTemplate

CHECKS = ("settings", "secret key", "data dir", "database", "migrations", "queue", "storage", "ffmpeg",
          "disk space", "provider local")  # fmt: skip
# Provider credentials are read under their ecosystems' names; a developer's own must not leak in.
PROVIDER_KEYS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "GEMINI_API_KEY", "REPLICATE_API_TOKEN", "FAL_KEY",
                 "RUNWAYML_API_SECRET", "LUMAAI_API_KEY", "COMFYUI_URL")  # fmt: skip


# Any non-SQLite database counts as shared by several servers; the check does not need to reach it.
SHARED_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def doctor(data_dir: Path, **env_vars: str) -> tuple[int, dict[str, tuple[str, str]]]:
    """Run the command; its exit code and, per check, (level, detail)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSMITH_") and k not in PROVIDER_KEYS}
    env.update(REELSMITH_DATA_DIR=str(data_dir), **env_vars)
    done = subprocess.run(
        [sys.executable, "-m", "reelsmith", "doctor"],
        env=env, capture_output=True, text=True, timeout=120, cwd=data_dir.parent, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    found = {line[5:21].strip(): (line[:5].strip(), line[21:]) for line in lines}
    assert len(found) == len(lines), done.stdout  # one line per check
    return done.returncode, found


def levels(found: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {name: level for name, (level, _) in found.items()}


def test_a_fresh_data_dir_is_all_ok(tmp_path: Path) -> None:
    code, found = doctor(tmp_path / "data")
    assert levels(found) == dict.fromkeys(CHECKS, "ok")
    assert code == 0
    assert found["ffmpeg"][1].startswith("version ")
    assert "GB free" in found["disk space"][1]


def test_an_unreachable_redis_queue_fails(tmp_path: Path) -> None:
    code, found = doctor(
        tmp_path / "data", REELSMITH_SECRET_KEY="s" * 32, REELSMITH_QUEUE_URL="redis://127.0.0.1:1/0"
    )
    assert found["queue"][0] == "fail"
    assert "127.0.0.1:1" in found["queue"][1]
    assert code == 1
    assert found["storage"][0] == "ok"  # the other checks still ran


def test_a_reachable_redis_queue_reports_its_backlog(tmp_path: Path) -> None:
    url = require_service("REELSMITH_TEST_REDIS_URL")
    code, found = doctor(tmp_path / "data", REELSMITH_SECRET_KEY="s" * 32, REELSMITH_QUEUE_URL=url)
    assert found["queue"][0] == "ok"
    assert "pending" in found["queue"][1]
    assert code == 0


def test_a_migrated_database_is_reachable_and_at_head(tmp_path: Path, database_url: str) -> None:
    code, found = doctor(
        tmp_path / "data", REELSMITH_SECRET_KEY="s" * 32, REELSMITH_DATABASE_URL=database_url
    )
    assert found["database"][0] == "ok"
    assert found["migrations"] == ("ok", found["migrations"][1])
    assert found["migrations"][1].startswith("at head")
    assert code == 0


def test_a_database_from_a_newer_release_fails(tmp_path: Path, sqlite_template: SqliteTemplate) -> None:
    db = tmp_path / "data" / "reelsmith.db"
    url = sqlite_template.copy_to(db)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    code, found = doctor(tmp_path / "data", REELSMITH_SECRET_KEY="s" * 32)
    assert found["migrations"][0] == "fail"
    assert "9999_from_the_future" in found["migrations"][1]
    assert code == 1


def test_an_unreachable_database_fails(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    code, found = doctor(tmp_path / "data", REELSMITH_SECRET_KEY="s" * 32, REELSMITH_DATABASE_URL=url)
    assert found["database"][0] == "fail"
    assert found["migrations"][0] == "fail"
    assert code == 1


def test_an_open_data_dir_warns_without_failing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    code, found = doctor(data)
    assert found["secret key"][0] == "ok"  # made in the data dir on first use
    assert found["data dir"][0] == "warn"
    assert "755" in found["data dir"][1]
    assert code == 0


def test_servers_sharing_a_database_without_a_common_key_are_warned(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=SHARED_DB, _env_file=None)  # type: ignore[call-arg]
    check = secret_key_check(settings)
    assert check.level == "warn"
    assert "REELSMITH_SECRET_KEY" in check.detail


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        # OpenAI's own API needs a key; nothing is called without one.
        ({"REELSMITH_VIDEO_PROVIDER": "openai,local"}, "OPENAI_API_KEY is not set"),
        # A key is set: the live check calls the provider, which does not answer.
        ({"REELSMITH_TEXT_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "silent"}, ""),
        # An OpenAI-compatible server of one's own needs no key, but must answer.
        ({"REELSMITH_TEXT_PROVIDER": "openai", "OPENAI_BASE_URL": "silent"}, "Connection refused"),
    ],
)
def test_a_configured_provider_that_cannot_work_fails(
    tmp_path: Path, env: dict[str, str], needle: str
) -> None:
    if env.get("OPENAI_BASE_URL") == "silent":  # a local port nothing listens on
        env = {**env, "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"}
    code, found = doctor(tmp_path / "data", REELSMITH_SECRET_KEY="s" * 32, **env)
    assert found["provider openai"][0] == "fail"
    assert needle in found["provider openai"][1]
    assert found["provider local"][0] == "ok"
    assert code == 1
