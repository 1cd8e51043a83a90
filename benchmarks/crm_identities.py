"""The CRM's identity lookup as a customer's bound identities grow.

Usage (from the project root)::

    .venv/bin/python -m benchmarks.crm_identities               # both profiles, ~30 s
    .venv/bin/python -m benchmarks.crm_identities --profiles production

Every load benchmark's conversation is a new REST sender (or WeChat openid) that
verifies as the same seeded shopper, so by the end of a run that customer has
hundreds of identities, and every ``GET /v1/identities/{channel}/{id}`` lists
them all (the contract's ``identities``). This starts a profile's backends
(``benchmarks/stack.py``), binds 1, 100 and 300 identities to C100001 and times
200 lookups at each size: median wall milliseconds and the CRM process's CPU
milliseconds per lookup (from ``/proc``). Written to
``benchmarks/results/crm_identities.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import aiohttp

from benchmarks.stack import RESULTS, Stack, cpu_seconds, process_tree, run_stack

SIZES = (1, 100, 300)
ROUNDS = 200


async def measure(stack: Stack) -> list[dict]:
    """Bind identities up to each size and time lookups of the first one."""
    headers = {"Authorization": f"Bearer {stack.env['BACKEND_API_TOKEN']}"}
    base = stack.env["CRM_URL"]
    pids = process_tree(stack.processes["crm"].pid)
    rows = []
    async with aiohttp.ClientSession(headers=headers) as session:
        bound = 0
        for size in SIZES:
            while bound < size:
                body = {
                    "channel": "rest",
                    "external_id": f"bench-{bound}",
                    "phone": "13800138000",
                    "order_number": "XK202411110001",
                }
                async with session.post(f"{base}/v1/identities", json=body) as reply:
                    if reply.status not in (200, 201):
                        raise RuntimeError(f"bind: {reply.status} {await reply.text()}")
                bound += 1
            url = f"{base}/v1/identities/rest/bench-0"
            for _ in range(5):  # warm: compiled statements, pooled connections
                async with session.get(url) as reply:
                    size_bytes = len(await reply.read())
            walls = []
            before = cpu_seconds(pids)
            for _ in range(ROUNDS):
                started = time.perf_counter()
                async with session.get(url) as reply:
                    await reply.read()
                walls.append((time.perf_counter() - started) * 1000)
            row = {
                "identities": size,
                "response_bytes": size_bytes,
                "wall_ms_median": round(statistics.median(walls), 2),
                "cpu_ms_per_request": round(
                    (cpu_seconds(pids) - before) * 1000 / ROUNDS, 2
                ),
            }
            print(f"{stack.profile:10} {row}", flush=True)
            rows.append(row)
    return rows


def main() -> None:
    """Measure each profile's CRM and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles",
        nargs="+",
        default=["embedded", "production"],
        choices=["embedded", "production"],
    )
    args = parser.parse_args()
    report: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "profiles": {}}
    for profile in args.profiles:
        with run_stack(profile, with_rasa=False) as stack:
            report["profiles"][profile] = asyncio.run(measure(stack))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "crm_identities.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
