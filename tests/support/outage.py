"""A real outage of a TCP service (e.g. one PostgreSQL database) a test can switch.

:class:`TcpOutage` listens on its own port and forwards every connection to the
service. :meth:`TcpOutage.down` closes the port and every open connection, so
clients get what a crashed database or a dead network path gives them
(connection refused, connection reset); :meth:`TcpOutage.up` listens again on
the same port. Point one client's URL at :attr:`TcpOutage.port` to take the
service away from that client only.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress


class TcpOutage:
    """A forwarder to ``host:port`` that a test takes down and brings back.

    Args:
        host: The service's host.
        port: The service's port.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        # Bound now, so no other process can take the port before the first up()
        # (free_port() and a later bind left a window: seen once in CI).
        self._bound: socket.socket | None = _listener(0)
        self.port = self._bound.getsockname()[1]
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def url_for(self, url: str) -> str:
        """``url`` (``scheme://user@host:port/db``) with this forwarder's address."""
        host, port = self.target
        return url.replace(f"{host}:{port}", f"127.0.0.1:{self.port}", 1)

    def up(self) -> None:
        """Listen (again) and forward every new connection."""
        listener, self._bound = self._bound, None
        if listener is None:
            listener = _listener(self.port)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Stop listening and cut every open connection."""
        if self._bound is not None:  # never brought up
            self._bound.close()
            self._bound = None
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._connections |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            with self._lock:
                self._connections -= {source, sink}


def _listener(port: int) -> socket.socket:
    """A socket listening on ``127.0.0.1:port`` (0: a free port)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    return listener
