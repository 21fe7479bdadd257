"""Schemathesis against /openapi.json: no generated request may produce a server error."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from reelsmith.api.app import create_app
from reelsmith.config import Settings

pytestmark = pytest.mark.slow

_data = Path(tempfile.mkdtemp(prefix="reelsmith-fuzz-"))
_app = create_app(
    Settings(
        data_dir=_data,
        _env_file=None,
        generation_rate_per_minute=100_000,  # type: ignore[call-arg]
        upload_rate_per_minute=100_000,
        signup_tokens=1_000_000,
    )
)
_signup = TestClient(_app).post("/api/auth/signup", json={"username": "fuzzer", "password": "fuzzing pass"})
AUTH = {"Authorization": f"Bearer {_signup.json()['access_token']}"}

schema = schemathesis.openapi.from_asgi("/openapi.json", _app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    if case.path == "/api/auth/logout":
        return  # would end the fuzzer's own session
    response = case.call(headers=AUTH)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
