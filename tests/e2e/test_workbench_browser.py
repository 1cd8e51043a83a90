"""Browser end to end: the agent workbench with a supervisor, an agent and a shopper.

Its own stack (not the end-to-end modules' shared one): auto-assignment gives an
online agent every waiting handoff of the team, so other modules' handoffs must
not be in its queue, nor this agent online while theirs are queued.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.backend_processes import run_backends
from tests.support.console_processes import console_port_and_token, run_console
from tests.support.processes import run_assistant

pytestmark = pytest.mark.model
ARTIFACTS = ROOT / "tests" / "artifacts"
TIMEOUT_MS = 30_000
SLA_FIRST = 20


@pytest.fixture(scope="module")
def stack(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    workdir = tmp_path_factory.mktemp("workbench-e2e")
    port, api_token = console_port_and_token()
    console_url = f"http://127.0.0.1:{port}"
    with run_backends(workdir) as backends:
        env = {**backends, "CONSOLE_URL": console_url, "CONSOLE_API_TOKEN": api_token}
        with run_assistant(model_path, workdir, env=env) as assistant:
            console_env = {
                **backends,
                "RASA_URL": assistant.url,
                "RASA_TOKEN": assistant.token,
                # Short service timers: amber at 15 s, red at 20 s.
                "CONSOLE_SLA_FIRST": str(SLA_FIRST),
                "CONSOLE_SLA_NEXT": "30",
            }
            with run_console(workdir, port, api_token, console_env) as console:
                yield console, workdir


CANNED = "{客服名}在这里为您处理，订单{订单号}我马上帮您核实"
NOTE = "内部备注：顾客第二次来问，先安抚"


def test_workbench_presence_auto_assignment_note_and_canned_reply(
    stack, browser, request
):
    """Two staff (a supervisor, an agent of 售后) and a shopper in three browsers."""
    console, workdir = stack
    database_url = f"sqlite+aiosqlite:///{Path(workdir) / 'console.db'}"
    # The CLI, as staff would (Playwright's loop runs in this thread).
    for user, role in (("sup-e2e", "supervisor"), ("agent2-e2e", "agent")):
        subprocess.run(
            [sys.executable, "-m", "bot.console.users", "add", user, "--role", role],
            cwd=ROOT,
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "CONSOLE_DATABASE_URL": database_url,
                "CONSOLE_PASSWORD": f"{user}-password",
            },
            check=True,
            capture_output=True,
            timeout=120,
        )
    contexts = [browser.new_context() for _ in range(3)]
    supervisor, agent, shopper = (context.new_page() for context in contexts)
    for page in (supervisor, agent, shopper):
        page.set_default_timeout(TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)

    def log_in(page, user: str) -> None:
        page.goto(f"{console.url}/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", f"{user}-password")
        page.click("#login")
        page.wait_for_url("**/queue")

    try:
        # the supervisor puts agent2 in 售后 (the default team) and adds a reply
        log_in(supervisor, "sup-e2e")
        supervisor.click("#nav-supervisor")
        team = supervisor.locator('form.team-form[data-team="售后"]')
        team.locator("input[name=members]").fill("agent2-e2e")
        team.locator("button[type=submit]").click()
        supervisor.locator("p.notice", has_text="组已保存").wait_for()
        supervisor.goto(f"{console.url}/canned")
        supervisor.fill("#canned-title", "核实订单")
        supervisor.fill("#canned-text", CANNED)
        supervisor.select_option("#canned-scope", "team")
        supervisor.click("#add-canned")
        supervisor.locator("#team-canned li", has_text="核实订单").wait_for()

        # the agent logs in (在线), goes 忙碌 and back to 在线 in the header
        log_in(agent, "agent2-e2e")
        assert agent.locator("#presence").input_value() == "online"
        agent.select_option("#presence", "busy")
        agent.wait_for_function(
            "document.getElementById('presence').className === 'presence-busy'"
        )
        agent.select_option("#presence", "online")
        agent.wait_for_function(
            "document.getElementById('presence').className === 'presence-online'"
        )

        # a shopper asks for a person: it is assigned to the agent, unclaimed
        shopper.goto(f"{console.url}/chat")
        shopper.fill("#chat-input", "转人工")
        shopper.press("#chat-input", "Enter")
        shopper.locator("#messages li.bot", has_text="已为您转接人工客服").wait_for()
        agent.locator("#mine li a").first.wait_for()
        # a title badge says so (and a browser notification, when allowed)
        agent.wait_for_function("document.title.startsWith('(1) 新分配给您')")
        # its first-response timer counts down: calm, amber near the limit, red
        timer = agent.locator("#mine li .sla").first
        agent.locator("#mine li .sla.sla-ok").wait_for()
        assert "首次响应 剩余" in timer.inner_text()
        agent.locator("#mine li .sla.sla-warn").wait_for(timeout=(SLA_FIRST + 5) * 1000)
        agent.screenshot(path=str(ARTIFACTS / "console_sla_amber.png"))
        agent.locator("#mine li .sla.sla-late").wait_for(timeout=10_000)
        assert "首次响应 已超时" in timer.inner_text()
        agent.locator("#mine li a").first.click()
        agent.wait_for_url("**/conversations/*")
        agent.locator("#transcript li.shopper", has_text="转人工").wait_for()
        agent.locator("#sla.sla-late", has_text="已超时").wait_for()

        # an internal note shows in the transcript, marked as a note
        agent.fill("#note-text", NOTE)
        agent.click("#add-note")
        agent.locator("#transcript li.note", has_text=NOTE).wait_for()

        # "/" finds the canned reply; the missing order number blocks sending
        agent.fill("#reply-text", "/核实")
        agent.locator("#canned-menu li", has_text="核实订单").click()
        agent.locator("#canned-missing", has_text="{订单号}").wait_for()
        assert agent.locator("#reply-text").input_value().startswith("agent2-e2e在这里")
        assert agent.locator("#send-reply").is_disabled()
        filled = agent.locator("#reply-text").input_value()
        agent.fill("#reply-text", filled.replace("{订单号}", "XK202401010001"))
        assert agent.locator("#send-reply").is_enabled()
        agent.click("#send-reply")
        sent = "agent2-e2e在这里为您处理，订单XK202401010001我马上帮您核实"
        shopper.locator("#messages li.agent", has_text=sent).wait_for()
        agent.locator("#transcript li.agent", has_text=sent).wait_for()
        # answered: no timer runs until the shopper writes again
        agent.locator("#sla.sla-none", has_text="已回复").wait_for()
        shopper.fill("#chat-input", "好的，还有个问题")
        shopper.press("#chat-input", "Enter")
        agent.locator("#transcript li.shopper", has_text="还有个问题").wait_for()
        agent.locator("#sla.sla-ok", has_text="再次响应 剩余").wait_for()
        agent.screenshot(path=str(ARTIFACTS / "console_workbench.png"), full_page=True)
        # the note never reached the shopper
        assert NOTE not in shopper.content()

        # the supervisor sees the conversation live, with its agent
        supervisor.goto(f"{console.url}/supervisor")
        supervisor.locator("#live td.agent", has_text="agent2-e2e").wait_for()
        supervisor.screenshot(
            path=str(ARTIFACTS / "console_supervisor.png"), full_page=True
        )
    except Exception:
        for name, page in (("supervisor", supervisor), ("agent", agent)):
            page.screenshot(path=str(ARTIFACTS / f"workbench_failure_{name}.png"))
        print((Path(workdir) / "console.log").read_text()[-3000:])
        raise
    finally:
        for context in contexts:
            context.close()
