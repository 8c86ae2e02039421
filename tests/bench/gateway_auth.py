"""What edge authentication costs a request through the gateway (issue 18: at most 0.5 ms at p50).

It starts the platform the way `make run` does (auth off) in a scratch ``SPYGLASS_HOME``, makes a
member and an API key of theirs in its database, and starts a second gateway in front of the
same query API with auth on (``SPYGLASS_ENABLE_AUTH``, checking keys against that database).
Then it times one cheap API request, ``GET /v1/projects`` carrying the key as
``Authorization: Bearer``, three ways, taking turns request by request so that all three see the
same machine:

* ``direct``: the query API itself (auth off there: the key is not looked at);
* ``gateway, auth off``: the platform's gateway;
* ``gateway, auth on``: the second gateway, which checks the key before forwarding (against
  the database once, then from memory for ``SPYGLASS_AUTH_CACHE_SECONDS``, as in production).

It prints p50 / p95 / mean of each and what auth adds at p50: the p50 with auth on less the
p50 with auth off, and the median of the per-turn differences (less noisy on a busy machine).

    uv run python -m tests.bench.gateway_auth [--repetitions 3000] [--warmup 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import psutil

from spyglass_auth import TokenCodec, TokenKind, hash_password
from spyglass_core.settings import DbSettings
from spyglass_db import auth as auth_store
from spyglass_db import create_engine
from spyglass_launcher.ports import free_port
from tests.bench.ingest import Platform, _percentile

SECRET = "bench-gateway-auth-secret-0123456789-abcdef"
TARGET_MS = 0.5
VIAS = ("direct", "gateway, auth off", "gateway, auth on")


async def make_key(database_url: str) -> str:
    """A member's API key, made in the platform's database."""
    engine = create_engine(DbSettings(url=database_url))
    try:
        async with engine.begin() as connection:
            user = await auth_store.create_user(
                connection,
                email="bench-member@example.com",
                username="bench-member",
                role="MEMBER",
                password_hash=hash_password("bench password"),
                password_needs_reset=False,
            )
            key = await auth_store.create_key(
                connection,
                user_id=user.id,
                kind="USER",
                name="bench",
                description=None,
                project_name=None,
                expires_at=None,
            )
    finally:
        await engine.dispose()
    return TokenCodec(SECRET).issue(TokenKind.API_KEY, key.id)


def start_auth_gateway(platform: Platform, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A gateway with auth on, in front of the platform's query API and receiver."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPYGLASS_", "PHOENIX_"))}
    env.update(
        SPYGLASS_GATEWAY_PORT=str(port),
        SPYGLASS_GATEWAY_QUERY_API_URL=f"http://127.0.0.1:{platform.ports['SPYGLASS_QUERY_API_PORT']}",
        SPYGLASS_GATEWAY_INGEST_URL=f"http://127.0.0.1:{platform.ports['SPYGLASS_RECEIVER_HTTP_PORT']}",
        SPYGLASS_ENABLE_AUTH="true",
        SPYGLASS_SECRET=SECRET,
        SPYGLASS_DB_URL=platform.database_url,
        SPYGLASS_LOG_FORMAT="json",
        SPYGLASS_LOG_LEVEL="WARNING",
    )
    log = (home / "gateway-auth-on.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "spyglass_gateway"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = (home / "gateway-auth-on.log").read_text(errors="replace")
            raise SystemExit(f"the gateway with auth on did not start:\n{output[-4000:]}")
        time.sleep(0.2)


def measure(
    bases: dict[str, str], key: str, warmup: int, repetitions: int
) -> dict[str, list[float]]:
    """Milliseconds of each request per way, the ways taking turns (their order rotating)."""
    headers = {"Authorization": f"Bearer {key}"}
    clients = {via: httpx.Client(base_url=base, headers=headers) for via, base in bases.items()}
    timings: dict[str, list[float]] = {via: [] for via in bases}
    order = list(bases)
    try:
        for turn in range(warmup + repetitions):
            for via in order[turn % len(order) :] + order[: turn % len(order)]:
                started = time.perf_counter_ns()
                answer = clients[via].get("/v1/projects")
                elapsed = (time.perf_counter_ns() - started) / 1e6
                if answer.status_code != 200:
                    raise SystemExit(f"{via}: GET /v1/projects answered {answer.status_code}")
                if turn >= warmup:
                    timings[via].append(elapsed)
    finally:
        for client in clients.values():
            client.close()
    return timings


def summarize(timings: dict[str, list[float]]) -> dict[str, object]:
    """The table, printed, and the figures."""
    print(f"\nGET /v1/projects, {len(timings[VIAS[0]])} requests each way (ms)")
    print(f"  {'via'.ljust(18)}  {'p50':>7}  {'p95':>7}  {'mean':>7}")
    figures: dict[str, object] = {}
    for via, values in timings.items():
        p50, p95, mean = (
            statistics.median(values),
            _percentile(values, 0.95),
            statistics.fmean(values),
        )
        print(f"  {via.ljust(18)}  {p50:7.3f}  {p95:7.3f}  {mean:7.3f}")
        figures[via] = {"p50_ms": round(p50, 3), "p95_ms": round(p95, 3), "mean_ms": round(mean, 3)}
    off, on, direct = timings[VIAS[1]], timings[VIAS[2]], timings[VIAS[0]]
    added = statistics.median(on) - statistics.median(off)
    paired = statistics.median(b - a for a, b in zip(off, on, strict=True))
    print(
        f"\nauth adds at p50: {added:.3f} ms (p50 on - p50 off); median of per-turn "
        f"differences {paired:.3f} ms; target <= {TARGET_MS} ms: "
        f"{'met' if max(added, paired) <= TARGET_MS else 'MISSED'}"
    )
    print(
        f"gateway overhead at p50: {statistics.median(off) - statistics.median(direct):.3f} ms "
        f"with auth off, {statistics.median(on) - statistics.median(direct):.3f} ms with auth on"
    )
    figures["auth_added_p50_ms"] = round(added, 3)
    figures["auth_added_paired_median_ms"] = round(paired, 3)
    return figures


def run(arguments: argparse.Namespace) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix="spyglass-bench-gateway-auth-"))
    platform = Platform(home)
    gateway: subprocess.Popen[bytes] | None = None
    print(f"starting the platform in {home} ...", flush=True)
    try:
        platform.start(1, {})
        key = asyncio.run(make_key(platform.database_url))
        gateway, auth_on = start_auth_gateway(platform, home)
        bases = {
            VIAS[0]: f"http://127.0.0.1:{platform.ports['SPYGLASS_QUERY_API_PORT']}",
            VIAS[1]: f"http://127.0.0.1:{platform.ports['SPYGLASS_GATEWAY_PORT']}",
            VIAS[2]: auth_on,
        }
        psutil.cpu_percent()
        load_before = os.getloadavg()
        timings = measure(bases, key, arguments.warmup, arguments.repetitions)
        figures = summarize(timings)
        figures["machine"] = {
            "cores": psutil.cpu_count(),
            "cpu_busy_percent_while_measuring": psutil.cpu_percent(),
            "load_average_before": [round(value, 2) for value in load_before],
        }
        return figures
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait(timeout=30)
        platform.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    """Parse the command line, run the benchmark, print the table and the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--repetitions", type=int, default=3000)
    arguments = parser.parse_args()
    figures = run(arguments)
    print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
