"""An HTTP proxy that counts the requests reaching a real service (retry tests)."""

from __future__ import annotations

from types import TracebackType

import aiohttp
from aiohttp import web

# Hop-by-hop and length headers aiohttp sets itself on the way out.
_DROPPED = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class CountingProxy:
    """Forward every request to ``upstream`` and record its answer's status.

    ``async with CountingProxy(url) as proxy:`` serves on a free port at
    ``proxy.url``. ``proxy.statuses`` lists, in order, the status of every
    request that arrived; ``fail_first`` answers that many requests with 503
    without forwarding them (a service that is briefly down).

    Args:
        upstream: Base URL of the real service.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.statuses: list[int] = []
        self.fail_first = 0
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def _forward(self, request: web.Request) -> web.Response:
        if self.fail_first > 0:
            self.fail_first -= 1
            self.statuses.append(503)
            return web.json_response(
                {"error": {"code": "unavailable", "message": "down"}}, status=503
            )
        assert self._session is not None
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in _DROPPED
        }
        async with self._session.request(
            request.method,
            self.upstream + request.rel_url.path_qs,
            headers=headers,
            data=await request.read(),
        ) as answer:
            body = await answer.read()
            self.statuses.append(answer.status)
            return web.Response(
                status=answer.status,
                body=body,
                content_type=answer.content_type,
            )

    async def __aenter__(self) -> CountingProxy:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
