"""The contract tests use the remote-adapter fixtures (fakes on loopback, settings pointing at them)."""

from tests.providers_remote.conftest import (  # noqa: F401
    make_registry,
    make_settings,
    reference_png,
    sleeps,
)
