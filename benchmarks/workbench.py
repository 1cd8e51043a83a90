"""Benchmark of the agent workbench: 20 agents, 200 open chats, shoppers writing.

Usage (from the project root)::

    .venv/bin/python -m benchmarks.workbench            # 20 agents, 200 chats, 60 s
    .venv/bin/python -m benchmarks.workbench --seconds 30 --agents 10 \
        --conversations 100

What runs: the real console (``python -m bot.console``, embedded profile: SQLite,
one process, ``CONSOLE_POLL_INTERVAL`` 1 s as shipped) against a stand-in for
Rasa's HTTP API served by this script (trackers kept in memory, like
``tests/integration/console``'s), so the figure is the console's share of the
path: the shopper's web-chat message through the console to Rasa, the
conversation's live update finding it in the tracker and pushing it. Rasa's
own handling of a message in a paused conversation comes on top.

20 agents log in, go 在线 and open the queue's event stream and one
conversation stream per conversation they hold (``CONSOLE_MAX_CHATS`` 10, so
all 200 are assigned: every agent with all their chats open in tabs, the
heaviest case). 200 web-chat shoppers each write every 5–15 s. Latency runs
from the shopper's POST to the SSE ``lines`` event with that text arriving at
its agent. Prints p50/p95/p99, messages, the console's CPU (100 % = one core)
and peak memory, and writes them to ``benchmarks/results/workbench.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from benchmarks.load import percentile
from benchmarks.stack import RESULTS, ROOT, cpu_seconds, process_tree, rss_megabytes
from bot.console.floor import FloorRepository
from bot.console.users import add_user
from bot.devtools.processes import free_port
from bot.platform.db import create_async_engine

API_TOKEN = "bench-console-token"
RASA_TOKEN = "bench-rasa-token"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "bench-agent-password"


class StandInRasa:
    """Rasa's tracker, events and web-chat endpoints, in memory."""

    def __init__(self) -> None:
        self.events: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def app(self) -> web.Application:
        """The stand-in's routes."""
        app = web.Application()
        app.router.add_get("/conversations/{id}/tracker", self.tracker)
        app.router.add_post("/conversations/{id}/tracker/events", self.append)
        app.router.add_post("/webhooks/web/webhook", self.web)
        return app

    async def tracker(self, request: web.Request) -> web.Response:
        """A conversation's events."""
        sender = request.match_info["id"]
        return web.json_response({"sender_id": sender, "events": self.events[sender]})

    async def append(self, request: web.Request) -> web.Response:
        """Events the console appends (agents' replies)."""
        for event in await request.json():
            event.setdefault("timestamp", time.time())
            self.events[request.match_info["id"]].append(event)
        return web.json_response({})

    async def web(self, request: web.Request) -> web.Response:
        """The web chat channel: a paused conversation, no answer."""
        body = await request.json()
        self.events[f"web:{body['sender']}"].append(
            {"event": "user", "text": body["message"], "timestamp": time.time()}
        )
        return web.json_response([])  # paused: the bot says nothing


async def csrf(session: aiohttp.ClientSession, path: str) -> str:
    page = await (await session.get(path)).text()
    match = CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def sse(session: aiohttp.ClientSession, path: str, on_event: Any) -> None:
    """Read a server-sent event stream, calling ``on_event(name, data)``."""
    async with session.get(path, timeout=aiohttp.ClientTimeout(total=None)) as response:
        name = ""
        async for raw in response.content:  # until cancelled at the end
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                on_event(name, json.loads(line[6:]))


class Driver:
    """Agents, shoppers and the latencies between them."""

    def __init__(self, url: str, rasa: StandInRasa) -> None:
        self.url = url
        self.rasa = rasa
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def session(self) -> aiohttp.ClientSession:
        """A browser of its own (cookies)."""
        return aiohttp.ClientSession(
            base_url=self.url,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(limit=0),
        )

    def seen(self, name: str, data: Any) -> None:
        """An event on a conversation stream: time the shoppers' lines in it."""
        if name != "lines":
            return
        now = time.perf_counter()
        for line in data:
            started = self.sent.pop(line.get("text", ""), None)
            if started is not None:
                self.latencies.append(now - started)

    async def agent(self, name: str, session: aiohttp.ClientSession) -> None:
        """Log in, go 在线, send heartbeats, open the queue's stream."""
        token = await csrf(session, "/login")
        await session.post(
            "/login",
            data={"username": name, "password": PASSWORD, "csrf_token": token},
        )
        token = await csrf(session, "/queue")
        await session.post(
            "/api/presence",
            json={"status": "online"},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )

        async def heartbeat() -> None:
            while not self.stop.is_set():
                await session.post(
                    "/api/presence/heartbeat",
                    json={"active": True},
                    headers={"X-CSRF-Token": token, "Accept": "application/json"},
                )
                await asyncio.sleep(10)

        self.tasks.append(asyncio.create_task(heartbeat()))
        self.tasks.append(
            asyncio.create_task(sse(session, "/api/queue/stream", lambda *_: None))
        )

    async def open_conversations(self, session: aiohttp.ClientSession) -> int:
        """Open a stream per conversation the agent holds; how many."""
        mine = (await (await session.get("/api/queue")).json())["mine"]
        for item in mine:
            path = f"/api/handoffs/{item['id']}/stream?from=0"
            self.tasks.append(asyncio.create_task(sse(session, path, self.seen)))
        return len(mine)

    async def shopper(self, number: int, session: aiohttp.ClientSession) -> None:
        """Write every 5-15 s until the run stops."""
        sent = 0
        while not self.stop.is_set():
            await asyncio.sleep(random.uniform(5, 15))
            if self.stop.is_set():
                return
            text = f"顾客{number}的第{sent}条消息"
            sent += 1
            self.sent[text] = time.perf_counter()
            await session.post("/chat/api/send", json={"message": text})


def start_console(workdir: Path, rasa_url: str, port: int) -> Any:
    database = f"sqlite+aiosqlite:///{workdir / 'console.db'}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CONSOLE_PORT": str(port),
        "CONSOLE_API_TOKEN": API_TOKEN,
        "CONSOLE_SECRET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "CONSOLE_DATABASE_URL": database,
        "CONSOLE_ENV": "development",
        "CONSOLE_SERVICE_HOURS": "00:00-24:00",
        "CONSOLE_MAX_CHATS": "10",
        "CONSOLE_ASSIGN_INTERVAL": "2",
        "CHAT_SENDS_PER_MINUTE": "1000",
        "CHAT_SENDS_PER_MINUTE_PER_ADDRESS": "100000",
        "RASA_URL": rasa_url,
        "RASA_TOKEN": RASA_TOKEN,
    }
    log = (workdir / "console.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "bot.console"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def staff_every_team(workdir: Path, agents: int) -> None:
    """Every agent in every team (what a supervisor sets on the page)."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{workdir / 'console.db'}")
    try:
        floor = FloorRepository(engine)
        names = tuple(f"bench-agent{n}" for n in range(agents))
        for team in await floor.teams():
            await floor.save_team(
                team.id, team.name, team.reasons, team.intents, team.is_default, names
            )
    finally:
        await engine.dispose()


async def wait_healthy(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(f"{url}/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the console did not start")


async def run(agents: int, conversations: int, seconds: float) -> dict[str, Any]:
    """Start the console, connect agents, let shoppers write; the figures."""
    load_at_start = os.getloadavg()[0]  # other work on the machine
    rasa = StandInRasa()
    runner = web.AppRunner(rasa.app())
    await runner.setup()
    rasa_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", rasa_port).start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="workbench-bench-") as tmp:
        database = f"sqlite+aiosqlite:///{Path(tmp) / 'console.db'}"
        for number in range(agents):
            await add_user(database, f"bench-agent{number}", PASSWORD)
        console = start_console(Path(tmp), f"http://127.0.0.1:{rasa_port}", port)
        driver = Driver(url, rasa)
        sessions: list[aiohttp.ClientSession] = []
        try:
            await wait_healthy(url)
            await staff_every_team(Path(tmp), agents)
            agent_sessions = [driver.session() for _ in range(agents)]
            sessions += agent_sessions
            await asyncio.gather(
                *(
                    driver.agent(f"bench-agent{n}", s)
                    for n, s in enumerate(agent_sessions)
                )
            )
            # 200 shoppers chat once and ask for a person (as action_handoff would)
            shopper_sessions = [driver.session() for _ in range(conversations)]
            sessions += shopper_sessions
            for session in shopper_sessions:
                before = set(rasa.events)
                await session.post("/chat/api/send", json={"message": "转人工"})
                (conversation,) = set(rasa.events) - before
                response = await session.post(
                    "/internal/handoffs",
                    json={
                        "conversation_id": conversation,
                        "channel": "web",
                        "reason": "shopper_request",
                        "summary": {"intents": ["human_handoff"]},
                    },
                    headers={"Authorization": f"Bearer {API_TOKEN}"},
                )
                assert response.status == 201, await response.text()
            opened = sum(
                await asyncio.gather(
                    *(driver.open_conversations(s) for s in agent_sessions)
                )
            )
            await asyncio.sleep(2)  # streams connected, first events sent
            pids = process_tree(console.pid)
            cpu_before = cpu_seconds(pids)
            driver_before = cpu_seconds([os.getpid()])
            peak = rss_megabytes(pids)
            started = time.perf_counter()
            shoppers = [
                asyncio.create_task(driver.shopper(n, s))
                for n, s in enumerate(shopper_sessions)
            ]
            while time.perf_counter() - started < seconds:
                await asyncio.sleep(0.5)
                peak = max(peak, rss_megabytes(pids))
            driver.stop.set()
            await asyncio.sleep(3)  # the last messages' updates
            elapsed = time.perf_counter() - started
            cpu = 100 * (cpu_seconds(pids) - cpu_before) / elapsed
            driver_cpu = 100 * (cpu_seconds([os.getpid()]) - driver_before) / elapsed
            for task in shoppers + driver.tasks:
                task.cancel()
            await asyncio.gather(*shoppers, *driver.tasks, return_exceptions=True)
        finally:
            for session in sessions:
                await session.close()
            console.terminate()
            console.wait(timeout=30)
            await runner.cleanup()
    latencies = sorted(driver.latencies)
    return {
        "agents": agents,
        "conversations": conversations,
        "conversation_streams": opened,
        "seconds": seconds,
        "messages_seen": len(latencies),
        "messages_lost": len(driver.sent),
        "latency_ms": {
            name: round(1000 * percentile(latencies, fraction))
            for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        }
        if latencies
        else {},
        "console_cpu_percent": round(cpu),
        "console_peak_rss_mb": round(peak),
        # the shoppers, agents and stand-in Rasa (one process, one core at most)
        "driver_cpu_percent": round(driver_cpu),
        "load_average_at_start": load_at_start,
        "poll_interval_s": 1.0,
    }


def main() -> None:
    """Run once, print the figures, write ``benchmarks/results/workbench.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    figures = asyncio.run(run(args.agents, args.conversations, args.seconds))
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "workbench.json").write_text(
        json.dumps(figures, ensure_ascii=False, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
