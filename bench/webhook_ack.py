"""Webhook acknowledgements per second: Enishi's webhook (signature + durable store + 200) vs a bare endpoint.

Both run as real uvicorn servers on 127.0.0.1, driven by the same aiohttp load loop with the same concurrency,
one after the other in one run, on SQLite and (when reachable) PostgreSQL. Prints the ratio; the goal is ≥ 0.5.
Enishi runs as deployed for load: with a Redis queue (ENISHI_BENCH_REDIS_URL, default db 14, flushed after), so
the measured process only acknowledges and the events wait in the queue for workers, which are not started.
Each round's ratio and the load average are printed too, and on PostgreSQL how long one durable single-row commit
took before and after: every acknowledgement waits for the disk, the bare endpoint never does, so a busy disk (or
busy neighbours on a small machine) moves the ratio a lot.

    .venv/bin/python bench/webhook_ack.py [--seconds 15] [--concurrency 64] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
SERVER = Path(__file__).with_name("webhook_ack_server.py")
REDIS_URL = os.environ.get("ENISHI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def bodies(secret: str, n: int) -> list[tuple[bytes, str]]:
    import base64
    import hashlib
    import hmac

    out = []
    for i in range(n):
        event = {
            "type": "message",
            "mode": "active",
            "timestamp": 1_700_000_000_000 + i,
            "webhookEventId": uuid.uuid4().hex[:26].upper(),
            "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": f"U{i % 1000:032x}"},
            "replyToken": uuid.uuid4().hex,
            "message": {"type": "text", "id": str(i), "text": "こんにちは", "quoteToken": "q"},
        }
        body = json.dumps({"destination": "U" + "f" * 32, "events": [event]}).encode()
        sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        out.append((body, sig))
    return out


async def load(url: str, requests: list[tuple[bytes, str]], seconds: float, concurrency: int) -> float:
    """Requests per second answered 200 within the time box."""
    done = 0
    failed = 0
    stop = time.monotonic() + seconds
    index = 0

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal done, failed, index
        while time.monotonic() < stop and index < len(requests):
            body, sig = requests[index]
            index += 1
            headers = {"content-type": "application/json", "x-line-signature": sig}
            async with http.post(url, data=body, headers=headers) as r:
                await r.read()
                if r.status == 200:
                    done += 1
                else:
                    failed += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.monotonic()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    if failed:
        print(f"  ({failed} requests did not answer 200)")
    return done / elapsed


def start(mode: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # stderr to a file: an unread pipe would stall a server that logs more than the pipe holds.
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, str(SERVER), mode, str(port)], env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )


async def commit_latency(database_url: str) -> float:
    """Median milliseconds of one durable single-row commit: what the disk charges every acknowledgement."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TABLE bench_commit_probe (n int)")
        took = []
        for i in range(30):
            started = time.perf_counter()
            await conn.execute("INSERT INTO bench_commit_probe VALUES ($1)", i)
            took.append((time.perf_counter() - started) * 1000)
        await conn.execute("DROP TABLE bench_commit_probe")
    finally:
        await conn.close()
    return sorted(took)[len(took) // 2]


async def measure(backend: str, database_url: str | None, seconds: float, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "ENISHI_DATA_DIR": data, "ENISHI_LOG_LEVEL": "ERROR", "ENISHI_REDIS_URL": REDIS_URL}
        if database_url:
            env["ENISHI_DATABASE_URL"] = database_url
            env.setdefault("ENISHI_SECRET_KEY", "bS1pcy1hLXZhbGlkLWZlcm5ldC1rZXktb2YtMzJieXQ=")
        setup = subprocess.run(  # noqa: ASYNC221 - once, before anything is measured
            [sys.executable, str(SERVER), "setup", "0"], env=env, capture_output=True, text=True, check=True
        )
        token, secret = setup.stdout.split()
        # Both servers run at once; rounds alternate between them so the machine's noise hits both alike,
        # and the median of the per-round ratios is reported.
        rounds = 5
        per_round = seconds / rounds
        n = int(per_round * 8000) + 500
        procs, urls = {}, {}
        for mode in ("bare", "enishi"):
            port = free_port()
            procs[mode] = start(mode, port, env, Path(data) / f"{mode}.log")
            urls[mode] = f"http://127.0.0.1:{port}"
        commits = [await commit_latency(database_url)] if database_url else []
        ratios, totals = [], {"bare": 0.0, "enishi": 0.0}
        try:
            for url in urls.values():
                await wait_up(f"{url}/api/health")
            for _ in range(rounds):
                rates = {}
                for mode, url in urls.items():
                    rates[mode] = await load(f"{url}/webhook/{token}", bodies(secret, n), per_round, concurrency)
                    totals[mode] += rates[mode] / rounds
                ratios.append(rates["enishi"] / rates["bare"])
        finally:
            for proc in procs.values():
                proc.terminate()
                proc.wait(timeout=30)
            for mode in procs:
                if logged := (Path(data) / f"{mode}.log").read_text(errors="replace").strip():
                    print(f"{mode} server's stderr (last lines):\n" + "\n".join(logged.splitlines()[-20:]))
        if database_url:
            commits.append(await commit_latency(database_url))
        rates = totals
        import redis.asyncio as redis

        client = redis.from_url(REDIS_URL)
        await client.flushdb()
        await client.aclose()
        ratio = sorted(ratios)[len(ratios) // 2]
        verdict = "meets" if ratio >= 0.5 else "misses"
        print(
            f"{backend:<10} bare {rates['bare']:8.0f} req/s   enishi {rates['enishi']:8.0f} acks/s   "
            f"median ratio {ratio:.2f} of {rounds} alternating rounds ({verdict} the goal of ≥ 0.5)\n"
            f"{'':<10} rounds {' '.join(f'{r:.2f}' for r in ratios)}   "
            f"1-min load average, this run included: {os.getloadavg()[0]:.1f}"
            + (f"   one durable commit: {commits[0]:.2f} ms before, {commits[1]:.2f} ms after" if commits else "")
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15, help="per server, split into alternating rounds")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--postgres", default=os.environ.get("ENISHI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    )
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="comma-separated: which databases to measure (default: both)"
    )
    args = parser.parse_args()
    backends = set(args.backends.split(","))
    if "sqlite" in backends:
        await measure("sqlite", None, args.seconds, args.concurrency)
    if "postgresql" not in backends:
        return
    name = f"enishi_bench_{uuid.uuid4().hex[:8]}"
    admin = f"{args.postgres}/postgres"
    try:
        import asyncpg

        conn = await asyncpg.connect(admin)
    except (OSError, Exception) as exc:
        print(f"postgresql skipped: {exc}")
        return
    await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        await measure("postgresql", f"{args.postgres}/{name}", args.seconds, args.concurrency)
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
