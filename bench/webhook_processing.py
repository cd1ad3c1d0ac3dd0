# ruff: noqa: S608  (the checks are put together from this file's own numbers)
"""Webhook events processed per second: acknowledged by ``enishi serve``, then processed by ``enishi worker``s.

N simulated LINE users each add the account (a ``follow`` event) and then send 「メニュー」 (a ``message``
event); a published keyword scenario answers every 「メニュー」 with a text, by reply. The events go to the web
process as LINE sends them: signed deliveries of a few events each, 16 at a time. The web process only stores
and acknowledges; the workers (arq on Redis) create the friends, record the conversation, match the triggers,
run the scenario steps and send the replies to the LINE emulator (a process of its own). Printed, on PostgreSQL
with 1 and 2 workers: events acknowledged per second, events fully processed per second (goal ≥ 1,000 with 2
workers) and the ratio to the goal, the acknowledgement-to-processed latency at the median and the 99th
percentile, and how many replies reached LINE.

    .venv/bin/python bench/webhook_processing.py [--users 2500] [--workers 1,2] [--per-delivery 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import aiohttp
import asyncpg
import broadcast_fanout as fanout
from redis.asyncio import Redis

from enishi.plugin_host import discover
from enishi.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
ENISHI = Path(sys.executable).with_name("enishi")
REDIS_URL = os.environ.get("ENISHI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
GOAL = 1000.0
KEYWORD = "メニュー"


async def reply_tokens(base: str, channel: fanout.Channel, users: int) -> list[list[str]]:
    """Two reply tokens per user, issued by the emulator (it accepts no other)."""
    async with aiohttp.ClientSession() as http:
        query = {"channel": channel.id, "users": str(users), "each": "2"}
        async with http.get(f"{base}/bench/tokens", params=query) as answer:
            tokens: list[list[str]] = (await answer.json())["tokens"]
    return tokens


def deliveries(
    secret: str, users: int, per_delivery: int, round_: int, tokens: list[list[str]]
) -> list[tuple[bytes, str]]:
    """Each user's follow, then their message, as LINE would deliver them (a few events a request)."""
    now = int(time.time() * 1000)
    events: list[dict[str, Any]] = []
    for k, kind in enumerate(("follow", "message")):
        for n in range(1, users + 1):
            event: dict[str, Any] = {
                "type": kind,
                "mode": "active",
                "timestamp": now + n,
                "webhookEventId": uuid.uuid4().hex[:26].upper(),
                "deliveryContext": {"isRedelivery": False},
                "source": {"type": "user", "userId": f"U{n:032x}"},
                "replyToken": tokens[k][n - 1],
            }
            if kind == "follow":
                event["follow"] = {"isUnblocked": round_ > 0}
            else:
                event["message"] = {"type": "text", "id": f"{round_}{n}", "text": KEYWORD, "quoteToken": "q"}
            events.append(event)
    out = []
    for start in range(0, len(events), per_delivery):
        body = json.dumps({"destination": "U" + "f" * 32, "events": events[start : start + per_delivery]}).encode()
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        out.append((body, signature))
    return out


async def send_all(url: str, requests: list[tuple[bytes, str]], concurrency: int) -> float:
    """Seconds to have every delivery acknowledged (200)."""
    queue = list(reversed(requests))
    failed = 0

    async def sender(http: aiohttp.ClientSession) -> None:
        nonlocal failed
        while queue:
            body, signature = queue.pop()
            headers = {"content-type": "application/json", "x-line-signature": signature}
            async with http.post(url, data=body, headers=headers) as answer:
                await answer.read()
                failed += answer.status != 200

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        await asyncio.gather(*(sender(http) for _ in range(concurrency)))
    if failed:
        raise SystemExit(f"{failed} deliveries were not acknowledged")
    return time.perf_counter() - started


async def wait_until_processed(pg: str, expected: int, after_id: int, limit: float = 900) -> float:
    conn = await asyncpg.connect(pg)
    try:
        started = time.perf_counter()
        while time.perf_counter() - started < limit:
            done = await conn.fetchval(
                f"SELECT count(*) FROM line_events WHERE id > {after_id} AND processed_at IS NOT NULL"
            )
            if done >= expected:
                return time.perf_counter() - started
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise SystemExit(f"only part of {expected} events were processed in {limit:.0f}s")


async def run(args: argparse.Namespace, workers: int, tmp: Path) -> dict[str, Any]:
    channel = fanout.Channel(args.users)
    url = await fanout.fresh_database("postgresql", tmp)
    pg = url.replace("postgresql+asyncpg://", "postgresql://")
    env = {
        "ENISHI_DATA_DIR": str(tmp),
        "ENISHI_DATABASE_URL": url,
        "ENISHI_SECRET_KEY": fanout.SECRET_KEY,
        "ENISHI_LOG_LEVEL": "WARNING",
        "ENISHI_LINE_RATE_LIMIT": "off",
        "ENISHI_PLUGINS": "tags,messages",
        "ENISHI_REDIS_URL": REDIS_URL,
    }
    settings = load_settings(env)
    host = discover(settings)
    friendless = fanout.Channel(0)
    friendless.id, friendless.secret, friendless.token = channel.id, channel.secret, channel.token
    emulating = asyncio.create_task(fanout.start_emulator([channel]))
    try:
        await fanout.seed(url, host, settings, [friendless])  # the workspace only: the friends come by webhook
    finally:
        emulator, base = await emulating
    env["ENISHI_LINE_API_URL"] = f"{base}/emulator"
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    conn = await asyncpg.connect(pg)
    token = await conn.fetchval("SELECT webhook_token FROM workspaces WHERE id = $1", friendless.workspace_id)
    await conn.close()
    await publish_keyword_scenario(env, friendless.workspace_id)
    port = fanout.free_port()
    full_env = {**os.environ, **env}
    web = subprocess.Popen(  # noqa: ASYNC220 - started before anything is measured
        [str(ENISHI), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=full_env
    )
    profile = os.environ.get("BENCH_PROFILE")  # a file prefix: each worker writes its cProfile there
    pool = [
        subprocess.Popen(  # noqa: ASYNC220 - before measuring
            [sys.executable, "-m", "cProfile", "-o", f"{profile}.{n}", str(ENISHI), "worker"]
            if profile
            else [str(ENISHI), "worker"],
            cwd=ROOT,
            env=full_env,
        )
        for n in range(workers)
    ]
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/api/health") as answer:
                        if answer.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        await asyncio.sleep(3)  # the workers are polling
        tokens = await reply_tokens(base, channel, args.users)
        requests = deliveries(channel.secret, args.users, args.per_delivery, 0, tokens)
        before = await fanout.mark(base)
        started = time.perf_counter()
        ack_seconds = await send_all(f"http://127.0.0.1:{port}/webhook/{token}", requests, args.concurrency)
        await wait_until_processed(pg, 2 * args.users, 0)
        processed_seconds = time.perf_counter() - started
        conn = await asyncpg.connect(pg)
        while time.perf_counter() - started < 900:  # fully processed: every run stepped, every reply accepted
            left = await conn.fetchval(
                "SELECT (SELECT count(*) FROM scenario_runs WHERE status = 'active')"
                " + (SELECT count(*) FROM line_requests WHERE status IN ('pending', 'sending'))"
            )
            if not left:
                break
            await asyncio.sleep(0.1)
        answered_seconds = time.perf_counter() - started
        latencies = [
            r[0]
            for r in await conn.fetch(
                "SELECT extract(epoch FROM processed_at - received_at) FROM line_events ORDER BY id"
            )
        ]
        replies = await conn.fetchval("SELECT count(*) FROM line_requests WHERE kind = 'reply' AND status = 'accepted'")
        friends = await conn.fetchval("SELECT count(*) FROM friends")
        if os.environ.get("BENCH_DEBUG"):
            print(await conn.fetch("SELECT status, count(*) FROM scenario_runs GROUP BY 1"))
            print(await conn.fetch("SELECT kind, status, count(*), max(error) FROM line_requests GROUP BY 1, 2"))
            print(await conn.fetch("SELECT count(*), max(error) FROM line_events WHERE error IS NOT NULL"))
            timeline = """
                WITH t0 AS (SELECT min(received_at) AS t FROM line_events)
                SELECT 'events processed' AS what, percentile_cont(ARRAY[0.5, 0.99, 1]) WITHIN GROUP
                    (ORDER BY extract(epoch FROM processed_at - (SELECT t FROM t0))) FROM line_events
                UNION ALL SELECT 'runs started', percentile_cont(ARRAY[0.5, 0.99, 1]) WITHIN GROUP
                    (ORDER BY extract(epoch FROM started_at - (SELECT t FROM t0))) FROM scenario_runs
                UNION ALL SELECT 'replies queued', percentile_cont(ARRAY[0.5, 0.99, 1]) WITHIN GROUP
                    (ORDER BY extract(epoch FROM created_at - (SELECT t FROM t0))) FROM line_requests
                UNION ALL SELECT 'replies accepted', percentile_cont(ARRAY[0.5, 0.99, 1]) WITHIN GROUP
                    (ORDER BY extract(epoch FROM accepted_at - (SELECT t FROM t0))) FROM line_requests
            """
            for row in await conn.fetch(timeline):  # seconds after the first event arrived: median, p99, last
                print(f"    {row[0]:<18} " + "  ".join(f"{v:6.2f}" for v in row[1]))
        await conn.close()
        got = await fanout.copies(base, channel, before)
    finally:
        for process in [web, *pool]:
            process.send_signal(signal.SIGTERM)
        for process in [web, *pool]:
            process.wait(timeout=60)
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=30)
        await redis.flushdb()
        await redis.aclose()
    events = 2 * args.users
    latencies.sort()
    return {
        "workers": workers,
        "events": events,
        "acked_per_s": events / ack_seconds,
        "processed_per_s": events / processed_seconds,
        "answered_per_s": events / answered_seconds,
        "median_ms": 1000 * float(statistics.median(latencies)),
        "p99_ms": 1000 * float(latencies[int(0.99 * (len(latencies) - 1))]),
        "friends": friends,
        "replies": replies,
        "copies": got,
    }


async def publish_keyword_scenario(env: dict[str, str], workspace_id: int) -> None:
    from enishi.context import JobContext
    from enishi.db.engine import Database
    from enishi.jobs.workspace_state import workspace_context, workspace_state
    from enishi.scenarios import lifecycle

    settings = load_settings(env)
    db = Database(settings.database_url)
    job = JobContext(settings=settings, db=db, host=discover(settings), jobs=fanout.NoQueue())
    start = {
        "id": str(uuid.uuid4()),
        "type": "core.message_received",
        "type_version": 1,
        "config": {"match": "exact", "keywords": [KEYWORD]},
    }
    answer = {
        "id": str(uuid.uuid4()),
        "type": "messages.send_messages",
        "type_version": 1,
        "config": {"messages": [{"type": "text", "text": "本日のメニューはこちらです"}]},
    }
    edge = {"id": str(uuid.uuid4()), "source": start["id"], "source_port": "next", "target": answer["id"]}
    document = {"schema_version": 1, "nodes": [start, answer], "edges": [{**edge, "target_port": "in"}]}
    state = await workspace_state(job, workspace_id)
    async with db.transaction(workspace_id) as s:
        ctx = workspace_context(job, s, workspace_id, state)
        scenario = await lifecycle.create(ctx, "メニューの自動応答", document=document)
        await lifecycle.publish(ctx, scenario)
    await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=2500)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--per-delivery", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    rows = []
    for workers in [int(n) for n in args.workers.split(",")]:
        with tempfile.TemporaryDirectory(prefix="enishi_webhooks_") as tmp:
            result = await run(args, workers, Path(tmp))
        rows.append(result)
        print(
            f"  {workers} worker(s): {result['events']:,} events, acknowledged {result['acked_per_s']:,.0f}/s, "
            f"events processed {result['processed_per_s']:,.0f}/s, fully processed (every reply accepted by LINE) "
            f"{result['answered_per_s']:,.0f}/s (÷goal {result['answered_per_s'] / GOAL:.2f}), "
            f"latency median {result['median_ms']:,.0f} ms, p99 {result['p99_ms']:,.0f} ms; "
            f"{result['friends']:,} friends, {result['replies']:,} replies accepted, copies {result['copies']}",
            flush=True,
        )
    print(
        "\nworkers   events   acked/s   events processed/s   fully processed/s   ÷1,000   median ms   p99 ms   replies"
    )
    for r in rows:
        print(
            f"{r['workers']:>7} {r['events']:>8,} {r['acked_per_s']:>9,.0f} {r['processed_per_s']:>20,.0f}"
            f" {r['answered_per_s']:>19,.0f} {r['answered_per_s'] / GOAL:>8.2f} {r['median_ms']:>11,.0f}"
            f" {r['p99_ms']:>8,.0f} {r['replies']:>9,}"
        )


if __name__ == "__main__":
    asyncio.run(main())
