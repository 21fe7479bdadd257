"""A TCP proxy on loopback that can make its upstream unreachable: for outages of a real server in tests.

A database or bucket that goes away for a moment is the case to test, and the server itself is shared
(PostgreSQL) or slow to restart; a proxy in front of it fails the same way the network would.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.support.serving import free_port

HOST = "127.0.0.1"


class TcpProxy:
    """Forwards a loopback port to an upstream port; `cut()` makes the upstream unreachable until `mend()`.

    While cut, the listening socket is closed (new connections are refused, as from a stopped server)
    and every open connection is closed mid-stream (as by a server that went away).
    """

    def __init__(self, upstream_port: int, port: int | None = None) -> None:
        self.upstream_port = upstream_port
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, for a proxied HTTP server."""
        return f"http://{HOST}:{self.port}"

    @property
    def cut_now(self) -> bool:
        """Whether the proxy refuses connections at the moment."""
        return self._listener is None

    def start(self) -> TcpProxy:
        """Begin forwarding."""
        self.mend()
        return self

    def mend(self) -> None:
        """Accept connections again (on the same port)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="proxy-accept").start()

    def cut(self) -> None:
        """Refuse new connections and close the open ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            doomed, self._open = list(self._open), set()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def stop(self) -> None:
        """Stop forwarding for good."""
        self._stopped.set()
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut or stopped
            try:
                upstream = socket.create_connection((HOST, self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
