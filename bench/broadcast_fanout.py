# ruff: noqa: S608  (the seed and the baseline query are put together from this file's own numbers)
"""Broadcast fan-out: a broadcast to 1,000,000 friends through Enishi vs a raw baseline, against the emulator.

Enishi does all of it: the audience frozen into broadcast_recipients (one INSERT … SELECT, the per-recipient
records), the batches written to the outbox with their retry keys, sent through the LINE SDK with the rate limits
off, each settled request counted on the broadcast. The baseline selects the same friends and POSTs the same
multicast bodies (500 ids, same messages, a retry key each) with plain httpx at the same concurrency. The emulator
runs in a process of its own, with its users added beforehand, and says after each run how many users got how
many copies. Printed side by side: seconds, recipients per second (goal ≥ 100,000) and Enishi ÷ baseline time
(goal ≤ 1.5). Then the kill run: a 100,000-recipient broadcast whose worker process is SIGKILLed at random moments
and restarted until it is done, checked for exactly one copy per recipient.

    .venv/bin/python bench/broadcast_fanout.py [--recipients 1000000] [--kill-recipients 100000] [--kills 5]
        [--backends postgresql,sqlite] [--concurrency 8] [--rounds 3] [--profile]

``--profile`` runs Enishi's side under cProfile and prints where its time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import resource
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from enishi import migrate
from enishi.context import JobContext
from enishi.crypto import SecretBox
from enishi.db.engine import Database, make_engine
from enishi.delivery import engine, progress
from enishi.jobs.workspace_state import workspace_context, workspace_state
from enishi.line.gateway import close_gateways, gateway_for
from enishi.line.outbox import deliver
from enishi.models import Agency, LineRequest, Plan
from enishi.models.broadcasts import Broadcast, BroadcastCount
from enishi.plugin_host import PluginHost, discover
from enishi.settings import Settings, load_settings
from enishi.tenancy.workspaces import ChannelCredentials, create_workspace

ROOT = Path(__file__).resolve().parents[1]
EMULATOR = Path(__file__).with_name("broadcast_fanout_emulator.py")
PG_ADMIN_URL = os.environ.get("ENISHI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MESSAGES = [{"type": "text", "text": "【週末限定】全品10%オフのクーポンをお届けします"}]
SECRET_KEY = Fernet.generate_key().decode()


class NoQueue:
    async def enqueue(self, name: str, *, job_id: str | None = None, defer_until: Any = None, **kwargs: Any) -> bool:
        return True

    async def close(self) -> None:
        return None


def cpu_of(pid: int | None = None) -> float:
    """CPU seconds (user + system) used so far by this process, or by process ``pid``."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- setting up -----------------------------------------------------------------------------------------------


class Channel:
    def __init__(self, users: int) -> None:
        self.id = str(1_000_000_000 + uuid.uuid4().int % 8_999_999_999)
        self.secret = uuid.uuid4().hex
        self.token = "bench-" + uuid.uuid4().hex
        self.users = users
        self.workspace_id = 0

    def spec(self) -> str:
        return f"{self.id}:{self.secret}:{self.token}:{self.users}"


async def fresh_database(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        path = tmp / "fanout.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240 - before anything is measured
        return f"sqlite+aiosqlite:///{path}"
    name = "enishi_bench_fanout"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def seed(url: str, host: PluginHost, settings: Settings, channels: list[Channel]) -> None:
    migrating = make_engine(url, pool=False)
    await migrate.upgrade(migrating, host)
    await migrating.dispose()
    db = Database(url)
    async with db.transaction() as s:
        agency = Agency(name="ベンチ代理店")
        s.add(agency)
        await s.flush()
        plan = await s.scalar(select(Plan).where(Plan.key == "pro"))
        for n, channel in enumerate(channels):
            workspace = await create_workspace(
                s,
                host=host,
                settings=settings,
                secrets_box=SecretBox(settings.secret_keys),
                agency=agency,
                name=f"ベンチ店舗{n}",
                credentials=ChannelCredentials(channel.id, channel.secret, channel.token),
                plan=plan,
            )
            channel.workspace_id = workspace.id
    await db.dispose()
    started = time.perf_counter()
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
        for channel in channels:
            conn.execute(
                f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {channel.users})"
                " INSERT INTO friends (workspace_id, line_user_id, display_name, status, followed_at, created_at)"
                f" SELECT {channel.workspace_id}, 'U' || printf('%032x', n), 'ユーザー' || n, 'following',"
                " strftime('%Y-%m-%d %H:%M:%f000', 'now'), strftime('%Y-%m-%d %H:%M:%f000', 'now') FROM seq"
            )
        conn.execute("ANALYZE")
        conn.close()
    else:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        for channel in channels:
            await conn.execute(
                "INSERT INTO friends (workspace_id, line_user_id, display_name, status, followed_at, created_at)"
                f" SELECT {channel.workspace_id}, 'U' || lpad(to_hex(g), 32, '0'), 'ユーザー' || g, 'following',"
                f" now(), now() FROM generate_series(1, {channel.users}) g"
            )
        await conn.execute("VACUUM ANALYZE")
        await conn.close()
    print(f"  seeded {sum(c.users for c in channels):,} friends in {time.perf_counter() - started:.1f}s", flush=True)


async def start_emulator(channels: list[Channel]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [sys.executable, str(EMULATOR), "--port", str(port)]
    for channel in channels:
        args += ["--channel", channel.spec()]
    process = subprocess.Popen(args, cwd=ROOT)  # noqa: ASYNC220 - started once, before anything is measured
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(trust_env=False) as http:
        for _ in range(1200):
            if process.poll() is not None:
                raise RuntimeError("the emulator process stopped")
            try:
                if (await http.get(f"{base}/bench/seq")).status_code == 200:
                    return process, base
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the emulator did not start")


async def mark(base: str) -> int:
    async with httpx.AsyncClient(trust_env=False) as http:
        return int((await http.get(f"{base}/bench/seq")).json()["seq"])


async def copies(base: str, channel: Channel, after: int) -> dict[str, int]:
    """How many users got how many messages since ``after``; then the emulator forgets them."""
    async with httpx.AsyncClient(trust_env=False, timeout=120) as http:
        answer = await http.get(f"{base}/bench/copies", params={"channel": channel.id, "after": after})
        await http.get(f"{base}/bench/forget")
        return dict(answer.json()["copies"])


# --- the two sides --------------------------------------------------------------------------------------------


async def baseline(url: str, channel: Channel, api: str, concurrency: int) -> float:
    """Select the same friends, POST the same multicast bodies with plain httpx: seconds."""
    started = time.perf_counter()
    query = (
        "SELECT id, line_user_id FROM friends"
        f" WHERE workspace_id = {channel.workspace_id} AND status = 'following' ORDER BY id"
    )
    if url.startswith("sqlite"):

        def fetch() -> list[Any]:
            with sqlite3.connect(url.split(":///", 1)[1]) as conn:
                return conn.execute(query).fetchall()

        rows = await asyncio.to_thread(fetch)
    else:
        pg = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        rows = await pg.fetch(query)
        await pg.close()
    users = [r[1] for r in rows]
    batches = [users[i : i + 500] for i in range(0, len(users), 500)]
    queue: asyncio.Queue[list[str]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    headers = {"Authorization": f"Bearer {channel.token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=api, headers=headers, limits=limits, timeout=60, trust_env=False) as http:

        async def post() -> None:
            while not queue.empty():
                batch = queue.get_nowait()
                body = json.dumps({"to": batch, "messages": MESSAGES})
                answer = await http.post(
                    "/v2/bot/message/multicast", content=body, headers={"X-Line-Retry-Key": str(uuid.uuid4())}
                )
                assert answer.status_code == 200, answer.text

        await asyncio.gather(*(post() for _ in range(concurrency)))
    return time.perf_counter() - started


async def enishi_side(settings: Settings, host: PluginHost, channel: Channel, profile: bool) -> tuple[float, int]:
    """Create the broadcast and run it to completion in this process, as a worker would: seconds, broadcast id."""
    db = Database(settings.database_url)
    job = JobContext(settings=settings, db=db, host=host, jobs=NoQueue())
    state = await workspace_state(job, channel.workspace_id)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    async with db.transaction(channel.workspace_id) as s:
        ctx = workspace_context(job, s, channel.workspace_id, state)
        broadcast, _ = await engine.create(
            ctx,
            name="百万人へ",
            messages=MESSAGES,
            target={},
            scheduled_at=None,
            allow_partial=False,
            estimated_recipients=channel.users,
        )
    await run_until_done(job, broadcast.id)
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    async with db.session() as s:
        shown = await s.get(Broadcast, broadcast.id)
        counts = (await progress.counts_of(s, [broadcast.id]))[broadcast.id]
        assert shown is not None and shown.status == "completed" and counts.sent == channel.users, (shown, counts)
    await close_gateways()
    await db.dispose()
    return seconds, broadcast.id


async def run_until_done(job: JobContext, broadcast_id: int) -> None:
    gateway = gateway_for(job.settings)
    while True:
        await engine.run_broadcast(job, broadcast_id)
        async with job.db.session() as s:
            status = await s.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
            due = (
                await s.scalars(
                    select(LineRequest.id).where(
                        LineRequest.broadcast_id == broadcast_id, LineRequest.status.in_(("pending", "sending"))
                    )
                )
            ).all()
        if status == "completed":
            return
        await asyncio.gather(*(deliver(job.db, gateway, request_id) for request_id in due))
        await asyncio.sleep(0.05)


# --- the kill run ---------------------------------------------------------------------------------------------


async def kill_run(settings: Settings, host: PluginHost, channel: Channel, base: str, kills: int) -> None:
    db = Database(settings.database_url)
    job = JobContext(settings=settings, db=db, host=host, jobs=NoQueue())
    state = await workspace_state(job, channel.workspace_id)
    async with db.transaction(channel.workspace_id) as s:
        ctx = workspace_context(job, s, channel.workspace_id, state)
        broadcast, _ = await engine.create(
            ctx,
            name="十万人へ",
            messages=MESSAGES,
            target={},
            scheduled_at=None,
            allow_partial=False,
            estimated_recipients=channel.users,
        )
    before = await mark(base)
    env = {
        **os.environ,
        **{k: v for k, v in settings.extra.items()},
        "ENISHI_LOG_LEVEL": "ERROR",
        "ENISHI_LINE_LEASE_SECONDS": "10",
        "ENISHI_BROADCAST_LEASE_SECONDS": "2",
    }
    rng = random.Random(100_000)
    started = time.perf_counter()
    done = 0
    for n in range(kills + 1):
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.delivery.broadcast_worker", str(broadcast.id), cwd=ROOT, env=env
        )
        if n == kills:
            assert await worker.wait() == 0
            break
        signature = await _signature(db, broadcast.id)
        while worker.returncode is None and await _signature(db, broadcast.id) == signature:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(worker.wait(), timeout=0.05)
        if worker.returncode is not None:
            break
        await asyncio.sleep(rng.uniform(0.0, 1.5))
        if worker.returncode is None:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
            done += 1
    seconds = time.perf_counter() - started
    got = await copies(base, channel, before)
    async with db.session() as s:
        shown = await s.get(Broadcast, broadcast.id)
        assert shown is not None
        sent = (await progress.counts_of(s, [broadcast.id]))[broadcast.id].sent
        status, runs = shown.status, shown.dispatch_runs
        retried = await s.scalar(
            select(LineRequest.id).where(LineRequest.broadcast_id == broadcast.id, LineRequest.attempts > 1).limit(1)
        )
    await db.dispose()
    verdict = "OK: exactly one copy each" if got == {"1": channel.users} else f"WRONG: {got}"
    print(
        f"  kill run: {channel.users:,} recipients, {done} SIGKILLs, {runs} dispatcher runs, "
        f"{'some' if retried else 'no'} requests sent again; {status}, {sent:,} sent in {seconds:.1f}s — {verdict}",
        flush=True,
    )


async def _signature(db: Database, broadcast_id: int) -> tuple[Any, ...]:
    sent = select(func.coalesce(func.sum(BroadcastCount.sent), 0)).where(BroadcastCount.broadcast_id == broadcast_id)
    async with db.session() as s:
        row = (
            await s.execute(
                select(Broadcast.status, Broadcast.written, sent.scalar_subquery()).where(Broadcast.id == broadcast_id)
            )
        ).one()
    return tuple(row)


# --- the run --------------------------------------------------------------------------------------------------


async def run_backend(backend: str, args: argparse.Namespace, tmp: Path) -> None:
    print(f"\n== {backend} ==", flush=True)
    main, killed = Channel(args.recipients), Channel(args.kill_recipients)
    url = await fresh_database(backend, tmp)
    env = {
        "ENISHI_DATA_DIR": str(tmp),
        "ENISHI_DATABASE_URL": url,
        "ENISHI_SECRET_KEY": SECRET_KEY,
        "ENISHI_LOG_LEVEL": "WARNING",
        "ENISHI_LINE_RATE_LIMIT": "off",
        "ENISHI_BROADCAST_CONCURRENCY": str(args.concurrency),
        "ENISHI_PLUGINS": "tags",  # a broadcast needs no plugin; fewer migrations to apply
    }
    settings = load_settings(env)
    host = discover(settings)
    emulating = asyncio.create_task(start_emulator([main, killed]))
    try:
        await seed(url, host, settings, [main, killed])
    finally:
        process, base = await emulating
    try:
        settings = load_settings({**env, "ENISHI_LINE_API_URL": f"{base}/emulator"})
        api = f"{base}/emulator"
        rows = []
        for round_ in range(args.rounds):
            measured: dict[str, tuple[float, tuple[float, float]]] = {}
            # Alternate which goes first, so neither always runs on a database or emulator the other warmed up.
            for side in ("baseline", "enishi") if round_ % 2 == 0 else ("enishi", "baseline"):
                before = await mark(base)
                cpu = cpu_of(), cpu_of(process.pid)
                if side == "baseline":
                    seconds = await baseline(url, main, api, args.concurrency)
                else:
                    profile = args.profile and round_ == args.rounds - 1
                    seconds, _ = await enishi_side(settings, host, main, profile)
                measured[side] = seconds, (cpu_of() - cpu[0], cpu_of(process.pid) - cpu[1])
                got = await copies(base, main, before)
                assert got == {"1": main.users}, f"{side}: {got}"
            (raw, raw_cpu), (ours, our_cpu) = measured["baseline"], measured["enishi"]
            rows.append((raw, ours))
            print(
                f"  round {round_ + 1}: baseline {raw:6.1f}s ({main.users / raw:9,.0f}/s)   "
                f"enishi {ours:6.1f}s ({main.users / ours:9,.0f}/s)   ratio {ours / raw:.2f}   "
                f"load {os.getloadavg()[0]:.1f}\n"
                f"           CPU seconds: baseline client {raw_cpu[0]:.1f} + emulator {raw_cpu[1]:.1f};"
                f" enishi {our_cpu[0]:.1f} + emulator {our_cpu[1]:.1f} (+ the database server)",
                flush=True,
            )
        raw = statistics.median(r for r, _ in rows)
        ours = statistics.median(o for _, o in rows)
        print(
            f"  {backend}: {main.users:,} recipients, median of {len(rows)} — enishi {main.users / ours:,.0f} "
            f"recipients/s (goal ≥ 100,000), baseline {main.users / raw:,.0f}/s, ratio {ours / raw:.2f} "
            "(goal ≤ 1.5); every recipient got exactly one copy in every run",
            flush=True,
        )
        if args.kills >= 0 and args.kill_recipients:
            await kill_run(settings, host, killed, base, args.kills)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--kill-recipients", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="enishi_fanout_") as tmp:
        for backend in args.backends.split(","):
            await run_backend(backend.strip(), args, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
