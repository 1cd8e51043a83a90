"""Action calls reuse one pooled connection instead of opening one per call."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server.resilience.endpoint import WatchedActionEndpoint


async def _action_server(peers: list[object]) -> TestServer:
    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        body = await request.json()
        return web.json_response({"events": [], "responses": [], "echo": body})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_consecutive_calls_share_one_connection() -> None:
    peers: list[object] = []
    server = await _action_server(peers)
    endpoint = WatchedActionEndpoint.watching(
        EndpointConfig(url=str(server.make_url("/webhook")))
    )
    try:
        answers = [await endpoint.request(json={"n": n}) for n in range(3)]
    finally:
        await (await endpoint.session().__aenter__()).close()
        await server.close()

    assert [a["echo"]["n"] for a in answers] == [0, 1, 2]
    assert len(peers) == 3 and len(set(peers)) == 1


async def test_a_closed_pool_is_replaced() -> None:
    peers: list[object] = []
    server = await _action_server(peers)
    endpoint = WatchedActionEndpoint.watching(
        EndpointConfig(url=str(server.make_url("/webhook")))
    )
    try:
        await endpoint.request(json={"n": 1})
        await (await endpoint.session().__aenter__()).close()
        answer = await endpoint.request(json={"n": 2})
        await (await endpoint.session().__aenter__()).close()
    finally:
        await server.close()

    assert answer["echo"] == {"n": 2}
    assert len(set(peers)) == 2
