"""The reference backends' cost per request: the reads a conversation turn makes.

Usage (from the project root)::

    .venv/bin/python -m benchmarks.backend_requests                 # both, ~40 s
    .venv/bin/python -m benchmarks.backend_requests --profiles embedded

Starts the order and CRM services of a profile (``benchmarks/stack.py``: SQLite
files, or throwaway PostgreSQL databases in production), then sends each request
below 200 times, one after the other, as the action server does during a
verification or a delivery question. Printed per request: median wall
milliseconds and the service process's CPU milliseconds per request (from
``/proc``, so other work on the machine does not count); written to
``benchmarks/results/backend_requests.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import aiohttp

from benchmarks.stack import RESULTS, Stack, cpu_seconds, process_tree, run_stack

WANG = "/v1/customers/C100001"
# (service, path): what the actions read most.
REQUESTS = [
    ("orders", f"{WANG}/orders/XK202411110001"),
    ("orders", f"{WANG}/orders/XK202411110001/shipments"),
    ("orders", f"{WANG}/serial-numbers/SN3F7T1W6B2X"),
    ("crm", WANG),
    ("crm", "/v1/identities/rest/nobody"),
    ("orders", "/health"),
]
ROUNDS = 200


async def measure(stack: Stack) -> list[dict]:
    """Time every request of :data:`REQUESTS` against the running services."""
    headers = {"Authorization": f"Bearer {stack.env['BACKEND_API_TOKEN']}"}
    bases = {"orders": stack.env["ORDERS_URL"], "crm": stack.env["CRM_URL"]}
    rows = []
    async with aiohttp.ClientSession(headers=headers) as session:
        for service, path in REQUESTS:
            url = bases[service] + path
            pids = process_tree(stack.processes[service].pid)
            for _ in range(5):  # warm: compiled statements, pooled connections
                async with session.get(url) as response:
                    await response.read()
            walls = []
            before = cpu_seconds(pids)
            for _ in range(ROUNDS):
                started = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    status = response.status
                walls.append((time.perf_counter() - started) * 1000)
            cpu = (cpu_seconds(pids) - before) * 1000 / ROUNDS
            rows.append(
                {
                    "service": service,
                    "path": path,
                    "status": status,
                    "wall_ms_median": round(statistics.median(walls), 2),
                    "cpu_ms_per_request": round(cpu, 2),
                }
            )
    return rows


def main() -> None:
    """Measure each profile's backends and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles",
        nargs="+",
        choices=["embedded", "production"],
        default=["embedded", "production"],
    )
    args = parser.parse_args()
    report: dict[str, list[dict]] = {}
    for profile in args.profiles:
        with run_stack(profile, with_rasa=False) as stack:
            report[profile] = asyncio.run(measure(stack))
        for row in report[profile]:
            print(
                f"{profile:10s} {row['service']:6s} {row['status']} "
                f"{row['path']:50s} wall {row['wall_ms_median']:6.2f} ms  "
                f"CPU {row['cpu_ms_per_request']:6.2f} ms"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "backend_requests.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
