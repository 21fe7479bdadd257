"""Helpers every test package shares: poll with a deadline, serve an app on loopback, find services.

Fixtures stay in `tests/conftest.py`; what is here is plain code that fixtures and tests call.
"""

from tests.support.services import require_service
from tests.support.serving import free_port, serve_in_thread
from tests.support.waiting import wait_until

__all__ = ["free_port", "require_service", "serve_in_thread", "wait_until"]
