"""A Sanic app with two workers that answers with the worker's process id.

``python -m tests.support.pid_server PORT own|shared``: ``own`` installs
``bot.platform.worker_sockets`` (a socket per worker), ``shared`` runs Sanic's
own ``serve_multiple`` (one socket for both).
"""

from __future__ import annotations

import os
import sys

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.platform.worker_sockets import install_worker_sockets


def main() -> None:
    """Serve on 127.0.0.1:PORT with two workers."""
    port, mode = int(sys.argv[1]), sys.argv[2]
    if mode == "own":
        install_worker_sockets()
    app = Sanic("pid_server")

    @app.get("/")
    async def pid(request: Request) -> HTTPResponse:
        return response.text(str(os.getpid()))

    app.run(host="127.0.0.1", port=port, workers=2, access_log=False)


if __name__ == "__main__":
    main()
