"""Browser end to end: staff open the analytics page and Chart.js draws every chart.

A real console process over a known SQLite events table; headless Debian
Chromium driven by Playwright. Saves ``tests/artifacts/analytics.png``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.console.test_analytics_page import known_history, write_history
from tests.support.console_processes import console_port_and_token, run_console

ARTIFACTS = ROOT / "tests" / "artifacts"
TIMEOUT_MS = 30_000
CHARTS = {"days": 3, "intents": 7, "reasons": 2, "ratings": 5}

#: Every chart has a Chart.js instance with the expected number of labels and
#: has painted something on its canvas.
CHARTS_DRAWN = """(expected) => Object.entries(expected).every(([name, count]) => {
  const canvas = document.querySelector(`canvas[data-chart="${name}"]`);
  const chart = canvas && window.Chart && Chart.getChart(canvas);
  if (!chart || chart.data.labels.length !== count) return false;
  const { width, height } = canvas;
  const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) return true;
  return false;
})"""


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("analytics-e2e")
    events_url = write_history(workdir / "events.db", known_history())
    port, api_token = console_port_and_token()
    env = {"ANALYTICS_DB_URL": events_url, "ANALYTICS_EVENTS_TABLE": "events"}
    with run_console(workdir, port, api_token, env) as running:
        yield running, workdir


def _figure(page, name: str) -> str:
    return page.locator(f"#kpi-{name} .kpi-value").inner_text().strip()


def test_staff_see_drawn_charts_and_filter_by_channel(console, browser):
    running, workdir = console
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    started = time.monotonic()
    try:
        # not logged in: the login page first, then the nav link
        page.goto(f"{running.url}/analytics")
        page.wait_for_url("**/login")
        page.fill("input[name=username]", running.username)
        page.fill("input[name=password]", running.password)
        page.click("#login")
        page.wait_for_url("**/queue")
        page.click("#nav-analytics")
        page.wait_for_url("**/analytics")
        assert _figure(page, "conversations") == "0"  # the last 30 days: none

        # the history's dates, through the filter form
        page.fill("#filter-start", "2024-05-01")
        page.fill("#filter-end", "2024-05-03")
        page.click("#filter-apply")
        page.wait_for_url("**/analytics?start=2024-05-01&end=2024-05-03*")
        page.wait_for_function(CHARTS_DRAWN, arg=CHARTS)
        assert _figure(page, "conversations") == "5"
        assert _figure(page, "containment") == "60.0%"
        assert _figure(page, "handoff") == "40.0%"
        assert _figure(page, "fallback") == "30.0%"
        assert _figure(page, "first-reply") == "1分00秒"
        assert _figure(page, "rating").replace(" ", "") == "3.50/5"
        stacked = page.evaluate(
            """() => Chart.getChart(document.getElementById("chart-days"))
                .data.datasets.map((set) => set.data)"""
        )
        assert stacked == [[1, 1, 1], [1, 1, 0]]
        page.screenshot(path=str(ARTIFACTS / "analytics.png"), full_page=True)

        # WeChat only
        page.select_option("#filter-channel", "wechat")
        page.click("#filter-apply")
        page.wait_for_url("**channel=wechat*")
        page.wait_for_function(
            CHARTS_DRAWN, arg={"days": 3, "intents": 4, "reasons": 1, "ratings": 5}
        )
        assert _figure(page, "conversations") == "2"
        assert _figure(page, "handoff") == "50.0%"
        assert _figure(page, "first-reply") == "30秒"
        assert page.locator("#analytics-scope").inner_text().endswith("微信")
        assert errors == []
        print(f"analytics browser flow took {time.monotonic() - started:.1f}s")
    except Exception:
        page.screenshot(
            path=str(ARTIFACTS / "analytics_e2e_failure.png"), full_page=True
        )
        print((Path(workdir) / "console.log").read_text()[-3000:])
        raise
    finally:
        context.close()
