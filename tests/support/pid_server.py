"""A Sanic app with two workers that answers with the worker's process id.

``python -m tests.support.pid_server PORT own|shared|own-slow [MARKER]``: ``own``
installs ``bot.platform.worker_sockets`` (a socket per worker), ``shared`` runs
Sanic's own ``serve_multiple`` (one socket for both). ``own-slow`` is ``own``
where one worker's start-up (a ``before_server_start`` listener, like Rasa's
model loading) takes ``SLOW_START`` seconds longer; in ``own-crash`` that worker
exits instead. The worker that creates the MARKER file first is the fast one.
"""

from __future__ import annotations

import os
import sys
import time

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.platform.worker_sockets import install_worker_sockets

#: Seconds the slow worker's start-up takes in ``own-slow``.
SLOW_START = 3.0


def main() -> None:
    """Serve on 127.0.0.1:PORT with two workers."""
    port, mode = int(sys.argv[1]), sys.argv[2]
    if mode in ("own", "own-slow", "own-crash"):
        install_worker_sockets()
    app = Sanic("pid_server")
    if mode in ("own-slow", "own-crash"):
        marker = sys.argv[3]

        @app.before_server_start
        def load(app: Sanic, loop: object) -> None:  # blocks, as model loading
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                if mode == "own-crash":
                    os._exit(3)  # a worker failing to load its model
                time.sleep(SLOW_START)

    @app.get("/")
    async def pid(request: Request) -> HTTPResponse:
        return response.text(str(os.getpid()))

    app.run(host="127.0.0.1", port=port, workers=2, access_log=False)


if __name__ == "__main__":
    main()
