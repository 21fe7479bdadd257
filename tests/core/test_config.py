"""Settings derived from the environment and the data dir."""

from __future__ import annotations

from pathlib import Path


def test_signing_key_is_random_private_and_stable_when_unset(tmp_path: Path) -> None:
    from reelsmith.config import Settings

    first = Settings(data_dir=tmp_path / "d", _env_file=None).signing_key  # type: ignore[call-arg]
    again = Settings(data_dir=tmp_path / "d", _env_file=None).signing_key  # type: ignore[call-arg]
    other = Settings(data_dir=tmp_path / "e", _env_file=None).signing_key  # type: ignore[call-arg]
    assert first == again
    assert first != other
    assert len(first) >= 48
    assert (tmp_path / "d" / "secret.key").stat().st_mode & 0o777 == 0o600
    chosen = Settings(data_dir=tmp_path / "d", secret_key="set-by-operator", _env_file=None)  # type: ignore[call-arg]
    assert chosen.signing_key == "set-by-operator"


def test_scratch_dir_lives_in_the_data_dir_and_exists_once_asked_for(tmp_path: Path) -> None:
    from reelsmith.config import Settings

    settings = Settings(data_dir=tmp_path / "d", _env_file=None)  # type: ignore[call-arg]
    assert not (tmp_path / "d").exists()
    assert settings.scratch_dir == tmp_path / "d" / "tmp"
    assert settings.scratch_dir.is_dir()
