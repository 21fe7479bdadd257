"""Serve an ASGI app (through uvicorn) or a stdlib HTTP server on loopback, in a thread, for one block."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.support.waiting import wait_until

HOST = "127.0.0.1"
# A stdlib server checks for shutdown this often; the default half second would slow every teardown.
POLL_INTERVAL_S = 0.05


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(
    app_or_server: Any,
    *,
    port: int | None = None,
    startup_timeout_s: float = 20.0,
    shutdown_timeout_s: float = 30.0,
) -> Iterator[str]:
    """Serve in a daemon thread for the `with` block and yield the base URL (`http://127.0.0.1:PORT`).

    An ASGI app is served by uvicorn on `port` (a free one when None; pass one in when the app must
    know its own URL before it starts). A `socketserver.BaseServer` (e.g. `ThreadingHTTPServer`) is
    already bound, so `port` is not used; it is shut down and closed when the block ends.
    """
    if isinstance(app_or_server, socketserver.BaseServer):
        with _serve_stdlib(app_or_server, shutdown_timeout_s) as url:
            yield url
    else:
        with _serve_asgi(app_or_server, port or free_port(), startup_timeout_s, shutdown_timeout_s) as url:
            yield url


@contextmanager
def _serve_stdlib(server: socketserver.BaseServer, shutdown_timeout_s: float) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, args=(POLL_INTERVAL_S,), daemon=True)
    thread.start()
    address = server.server_address
    if not isinstance(address, tuple):
        raise TypeError(f"serve_in_thread serves TCP servers; this one listens on {address!r}")
    try:
        yield f"http://{address[0]}:{address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(shutdown_timeout_s)


@contextmanager
def _serve_asgi(app: Any, port: int, startup_timeout_s: float, shutdown_timeout_s: float) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: server.started or not thread.is_alive(),
            timeout_s=startup_timeout_s,
            message=f"uvicorn to start on port {port}",
        )
        if not server.started:
            raise AssertionError(f"uvicorn stopped before it started serving on port {port} (port taken?)")
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(shutdown_timeout_s)
