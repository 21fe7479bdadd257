"""`reelsmith providers --check` asks OpenAI and Gemini about the configured models; warnings per model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reelsmith.cli.providers_cmd import providers_command
from tests.fakes.gemini_fake import GeminiFake
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import CdnServer
from tests.providers_remote.conftest import NO_KEYS


@pytest.fixture
def fakes(sample_mp4: bytes, cdn: CdnServer) -> Iterator[tuple[OpenAIFake, GeminiFake]]:
    with OpenAIFake(sample_mp4) as openai, GeminiFake(sample_mp4, cdn) as gemini:
        yield openai, gemini


@pytest.fixture
def invoke(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fakes: tuple[OpenAIFake, GeminiFake]
) -> CliRunner:
    """Settings pointing at both fakes; OpenAI's text model is one with an announced shutdown."""
    openai, gemini = fakes
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key in NO_KEYS:
        monkeypatch.delenv(key, raising=False)
    env = {
        "REELSMITH_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "250",
        "OPENAI_API_KEY": openai.key, "OPENAI_BASE_URL": openai.base_url,
        "REELSMITH_OPENAI_TEXT_MODEL": "gpt-5-mini",
        "GEMINI_API_KEY": gemini.key, "REELSMITH_GEMINI_BASE_URL": gemini.base_url,
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("providers")(providers_command)
    app.command("noop")(lambda: None)  # two commands, so "providers" stays a sub-command
    return app


def test_check_warns_on_the_lines_of_retiring_models(
    invoke: CliRunner, fakes: tuple[OpenAIFake, GeminiFake]
) -> None:
    openai, gemini = fakes
    openai.shutdown_dates["gpt-5-mini"] = "2099-01-01"
    openai.shutdown_dates["gpt-image-2"] = "2020-01-01"
    gemini.status["gemini-3.8-flash"] = {"modelStage": "DEPRECATED", "retirementTime": "2099-02-01T00:00:00Z"}
    gemini.unknown_models.add("gemini-omni-1.1-flash")
    result = invoke.invoke(_app(), ["providers", "--check"])
    lines = result.output.splitlines()
    assert "openai text model gpt-5-mini: openai says deprecated: shuts down 2099-01-01" in lines
    assert "openai image model gpt-image-2: openai says shut down 2020-01-01" in lines
    assert "gemini text model gemini-3.8-flash: gemini says deprecated; shuts down 2099-02-01" in lines
    assert any(
        line.startswith("gemini video model gemini-omni-1.1-flash: gemini says retired") for line in lines
    )
    assert {c.path for c in openai.calls("model")} >= {"/v1/models/gpt-5-mini", "/v1/models/gpt-image-2"}


def test_no_check_asks_nothing(invoke: CliRunner, fakes: tuple[OpenAIFake, GeminiFake]) -> None:
    openai, gemini = fakes
    result = invoke.invoke(_app(), ["providers", "--no-check"])
    assert result.exit_code == 0, result.output
    assert openai.requests == []
    assert gemini.requests == []
