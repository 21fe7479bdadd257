"""`reelsmith voices`: the voices per speech provider, the configured remote ones asked live."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reelsmith.cli.voices_cmd import voices_command
from tests.fakes.elevenlabs_fake import ElevenLabsFake


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> typer.Typer:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key in ("ELEVENLABS_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("REELSMITH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    app = typer.Typer()
    app.command("voices")(voices_command)
    app.command("noop")(lambda: None)  # two commands, so "voices" stays a sub-command
    return app


def test_voices_lists_the_offline_voice_and_what_remote_ones_need(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["voices"])
    assert result.exit_code == 0, result.output
    assert "piper-en_US-joe-medium" in result.output
    assert "joe" in result.output
    assert "set ELEVENLABS_API_KEY" in result.output
    assert "set GEMINI_API_KEY" in result.output


def test_voices_asks_a_configured_provider_for_its_list(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ElevenLabsFake() as fake:
        monkeypatch.setenv("ELEVENLABS_API_KEY", fake.key)
        monkeypatch.setenv("REELSMITH_ELEVENLABS_BASE_URL", fake.base_url)
        result = CliRunner().invoke(cli, ["voices", "--provider", "elevenlabs"])
        assert len(fake.calls("voices")) == 1
    assert result.exit_code == 0, result.output
    assert "Rachel" in result.output
    assert "George" in result.output
    assert "joe" not in result.output


def test_unknown_provider_is_a_usage_error(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["voices", "--provider", "openai"])
    assert result.exit_code == 2
    assert "unknown speech provider 'openai'" in result.output
