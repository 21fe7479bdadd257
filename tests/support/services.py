"""External services a test needs (PostgreSQL, Redis): named by environment variables."""

from __future__ import annotations

import os

import pytest


def require_service(env_name: str) -> str:
    """The service URL from `env_name`; skipped when absent, a failure when CI=true demands it."""
    url = os.environ.get(env_name, "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{env_name} is not set but CI=true requires the service")
        pytest.skip(f"{env_name} not set")
    return url
