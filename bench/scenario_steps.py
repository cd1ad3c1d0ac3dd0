# ruff: noqa: S608  (the seed and checks are put together from this file's own numbers)
"""Scenario steps per second: many friends enrolled at once, until every due step ran and every send reached LINE.

Scenarios, each started for every friend at once (a manual start for a segment):

  (a) manual start → send a text with the friend's name ({{friend.display_name}}): 2 steps a friend, 1 push
  (b) manual start → condition "has tag VIP" → yes: add tag / no: send a text → wait 1 day: 4 steps a friend
  (c) as (b) with an "add tag" on both branches: steps that send nothing

on SQLite with the in-process job runner (a process of its own, as ``enishi serve`` runs it) and on PostgreSQL
with 1 and 2 ``enishi worker`` processes (arq on Redis), against the LINE emulator in a process of its own (rate
limits off). Every friend's copy is counted at the emulator. Printed per run: steps/s, the ratio to 2,000 (LINE's
push ceiling; the goal for (a)), to 20,000 (the goal for steps that send nothing) and to the broadcast path's
recipients/s measured on the same database in the same run, and the worker's peak RSS. Scenario (a) also runs
for 20,000 friends, to show that the peak RSS does not grow with the number of runs.

Personalised messages go by push, one request per friend, and the emulator answers each after checking it
against LINE's schemas: on a small machine it, not Enishi, sets the pace of (a) and (b). So each backend also
measures the raw push rate — the same personalised pushes POSTed by plain httpx at the same concurrency to the
same emulator — and each sending scenario prints its pushes per second ÷ that rate (1.0: as fast as a bare
client; LINE itself allows 2,000 a second).

    .venv/bin/python bench/scenario_steps.py [--friends 100000] [--backends sqlite,postgresql] [--workers 1,2]
        [--scenarios a,b,c] [--profile]

``--profile`` runs the SQLite worker of scenario (a) (``--profile-scenarios a,c``: of those) under cProfile and prints
where its time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import broadcast_fanout as fanout
import httpx
from redis.asyncio import Redis
from sqlalchemy import func, select, text

from enishi.context import JobContext
from enishi.db.engine import Database
from enishi.jobs.arq_queue import QUEUE_NAME, ArqQueue
from enishi.jobs.inprocess import InProcessQueue
from enishi.jobs.workspace_state import workspace_context, workspace_state
from enishi.models import Friend, LineRequest, ScenarioRun, ScenarioStep
from enishi.plugin_host import discover
from enishi.scenarios import engine, lifecycle
from enishi.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
ENISHI = Path(sys.executable).with_name("enishi")
REDIS_URL = os.environ.get("ENISHI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
LINE_CEILING = 2000.0
QUIET_GOAL = 20000.0
STEPS = {"a": 2, "b": 4, "c": 4}
SENDS = {"a": 1.0, "b": 0.5, "c": 0.0}


def node(type_: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": type_, "type_version": 1, "config": config or {}}


def edge(a: dict[str, Any], b: dict[str, Any], port: str = "next") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "source": a["id"], "source_port": port, "target": b["id"], "target_port": "in"}


def document(kind: str, vip: int, done: int) -> dict[str, Any]:
    start = node("core.manual_start")
    text_ = {"messages": [{"type": "text", "text": "{{friend.display_name}}さん、ご登録ありがとうございます"}]}
    if kind == "a":
        send = node("messages.send_messages", text_)
        nodes, edges = [start, send], [edge(start, send)]
    else:
        check = node("tags.has_tags", {"tag_ids": [vip], "match": "any"})
        yes = node("tags.add_tag", {"tag_ids": [done]})
        no = node("messages.send_messages", text_) if kind == "b" else node("tags.add_tag", {"tag_ids": [done]})
        wait = node("core.wait_delay", {"days": 1})
        nodes = [start, check, yes, no, wait]
        edges = [edge(start, check), edge(check, yes, "yes"), edge(check, no, "no"), edge(yes, wait), edge(no, wait)]
    quiet = {"enabled": False, "start": "22:00", "end": "08:00"}  # the benchmark must not depend on the hour
    return {"schema_version": 1, "nodes": nodes, "edges": edges, "settings": {"quiet_hours": quiet, "reentry": False}}


async def publish(settings: Settings, host: Any, workspace_id: int, doc: dict[str, Any], name: str) -> int:
    db = Database(settings.database_url)
    job = JobContext(settings=settings, db=db, host=host, jobs=fanout.NoQueue())
    state = await workspace_state(job, workspace_id)
    async with db.transaction(workspace_id) as s:
        ctx = workspace_context(job, s, workspace_id, state)
        scenario = await lifecycle.create(ctx, name, document=doc)
        await lifecycle.publish(ctx, scenario)
        scenario_id = scenario.id
    await db.dispose()
    return scenario_id


async def enrol(job: JobContext, workspace_id: int, scenario_id: int, friends: int) -> int:
    state = await workspace_state(job, workspace_id)
    async with job.db.transaction(workspace_id) as s:
        ctx = workspace_context(job, s, workspace_id, state)
        chosen = select(Friend.id).where(Friend.workspace_id == workspace_id).order_by(Friend.id).limit(friends)
        return await engine.start_for_friends(ctx, scenario_id, chosen, source="bench")


async def finished(db: Database, scenario_id: int) -> bool:
    """No run of the scenario has a step due, and none of its sends waits for LINE."""
    now = datetime.now(UTC)
    async with db.session() as s:
        due = await s.scalar(
            select(func.count())
            .select_from(ScenarioRun)
            .where(
                ScenarioRun.scenario_id == scenario_id,
                ScenarioRun.status.in_(("active", "waiting")),
                ScenarioRun.resume_at <= now,
            )
        )
        unsent = await s.scalar(
            select(func.count())
            .select_from(LineRequest)
            .where(LineRequest.source == "scenario", LineRequest.status.in_(("pending", "sending")))
        )
    return not due and not unsent


async def steps_of(db: Database, scenario_id: int) -> int:
    async with db.session() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(ScenarioStep)
                .join(ScenarioRun, ScenarioRun.id == ScenarioStep.run_id)
                .where(ScenarioRun.scenario_id == scenario_id)
            )
            or 0
        )


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def raw_pushes(api: str, channel: fanout.Channel, count: int, concurrency: int) -> float:
    """Pushes per second that plain httpx gets from the emulator: the same personalised text, one per user."""
    todo = list(range(1, count + 1))
    headers = {"Authorization": f"Bearer {channel.token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=api, headers=headers, limits=limits, timeout=60, trust_env=False) as http:

        async def post() -> None:
            while todo:
                n = todo.pop()
                text_ = f"ユーザー{n}さん、ご登録ありがとうございます"
                body = json.dumps({"to": f"U{n:032x}", "messages": [{"type": "text", "text": text_}]})
                answer = await http.post(
                    "/v2/bot/message/push", content=body, headers={"X-Line-Retry-Key": str(uuid.uuid4())}
                )
                assert answer.status_code == 200, answer.text

        started = time.perf_counter()
        await asyncio.gather(*(post() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


# --- the in-process side (SQLite): a child process, as `enishi serve` runs its jobs ------------------------------


async def child(args: argparse.Namespace) -> None:
    settings = load_settings(json.loads(args.env))
    host = discover(settings)
    db = Database(settings.database_url)
    queue = InProcessQueue(settings, host, db)
    await queue.start()
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    await enrol(queue.context, args.workspace, args.scenario, args.friends)
    while True:
        await asyncio.sleep(0.25)
        if await finished(db, args.scenario):
            await queue.drain()
            if await finished(db, args.scenario):
                break
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
        print(out.getvalue(), file=sys.stderr)
    await queue.close()
    await db.dispose()
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_rss_mib(os.getpid())}), flush=True)


async def in_process(env: dict[str, str], workspace: int, scenario: int, friends: int, profile: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", "--env", json.dumps(env), "--workspace", str(workspace)]
    command += ["--scenario", str(scenario), "--friends", str(friends)] + (["--profile"] if profile else [])
    process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, stdout=subprocess.PIPE)
    out, _ = await process.communicate()
    if process.returncode:
        raise SystemExit(f"the in-process worker failed ({process.returncode})")
    answer: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return answer


# --- the arq side (PostgreSQL): `enishi worker` processes --------------------------------------------------------


async def with_workers(
    settings: Settings, env: dict[str, str], host: Any, workspace: int, scenario: int, friends: int, workers: int
) -> dict[str, Any]:
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    worker_env = {**os.environ, **env, "ENISHI_REDIS_URL": REDIS_URL}
    processes = [
        subprocess.Popen([str(ENISHI), "worker"], cwd=ROOT, env=worker_env)  # noqa: ASYNC220 - before timing
        for _ in range(workers)
    ]
    try:
        await asyncio.sleep(4)  # the workers are up and polling before the clock starts
        db = Database(settings.database_url)
        queue = ArqQueue(REDIS_URL, registry=host.registry)
        job = JobContext(settings=settings, db=db, host=host, jobs=queue)
        started = time.perf_counter()
        await enrol(job, workspace, scenario, friends)
        while not await finished(db, scenario):  # noqa: ASYNC110 - the database is what says it is done
            await asyncio.sleep(0.1)
        seconds = time.perf_counter() - started
        await queue.close()
        await db.dispose()
        rss = max(peak_rss_mib(p.pid) for p in processes)
    finally:
        for p in processes:
            p.send_signal(signal.SIGTERM)
        for p in processes:
            p.wait(timeout=60)
        await redis.delete(QUEUE_NAME)
        await redis.aclose()
    return {"seconds": seconds, "peak_rss_mib": rss}


# --- one backend ---------------------------------------------------------------------------------------------------


async def run_backend(backend: str, args: argparse.Namespace, tmp: Path, rows: list[tuple[Any, ...]]) -> None:
    print(f"\n== {backend} ==", flush=True)
    channel = fanout.Channel(args.friends)
    url = await fanout.fresh_database(backend, tmp)
    env = {
        "ENISHI_DATA_DIR": str(tmp),
        "ENISHI_DATABASE_URL": url,
        "ENISHI_SECRET_KEY": fanout.SECRET_KEY,
        "ENISHI_LOG_LEVEL": "WARNING",
        "ENISHI_LINE_RATE_LIMIT": "off",
        "ENISHI_PLUGINS": "tags,messages",
        "ENISHI_EMULATOR": "0",
    }
    settings = load_settings(env)
    host = discover(settings)
    emulating = asyncio.create_task(fanout.start_emulator([channel]))
    try:
        await fanout.seed(url, host, settings, [channel])
    finally:
        process, base = await emulating
    env["ENISHI_LINE_API_URL"] = f"{base}/emulator"
    settings = load_settings(env)
    try:
        db = Database(url)
        async with db.transaction(channel.workspace_id) as s:
            from enishi_tags.models import Tag

            vip, done = Tag(name="VIP"), Tag(name="済")
            s.add_all([vip, done])
            await s.flush()
            vip_id, done_id = vip.id, done.id
            await s.execute(
                text(
                    "INSERT INTO tags_friend_tags (friend_id, tag_id, added_at, source, workspace_id)"
                    f" SELECT id, {vip_id}, CURRENT_TIMESTAMP, 'bench', {channel.workspace_id} FROM friends"
                    f" WHERE workspace_id = {channel.workspace_id} AND id % 2 = 0"
                )
            )
        await db.dispose()
        raw_push_rate = await raw_pushes(f"{base}/emulator", channel, min(args.friends, 3000), 8)
        await fanout.copies(base, channel, 0)
        print(f"  raw pushes to the emulator: {raw_push_rate:,.0f}/s", flush=True)
        broadcast_seconds, _ = await fanout.enishi_side(settings, host, channel, False)
        broadcast_rate = channel.users / broadcast_seconds
        await fanout.copies(base, channel, 0)  # forget the broadcast's copies
        print(f"  broadcast path: {broadcast_rate:,.0f} recipients/s", flush=True)
        modes = ["in-process"] if backend == "sqlite" else [f"{n} worker{'s' if n > 1 else ''}" for n in args.workers]
        plan = [(kind, args.friends) for kind in args.scenarios]
        if "a" in args.scenarios and args.friends > 20_000:
            plan.insert(0, ("a", 20_000))
        for mode in modes:
            for kind, friends in plan:
                scenario = await publish(settings, host, channel.workspace_id, document(kind, vip_id, done_id), kind)
                before = await fanout.mark(base)
                if mode == "in-process":
                    result = await in_process(
                        env, channel.workspace_id, scenario, friends, args.profile and kind in args.profile_scenarios
                    )
                else:
                    workers = int(mode.split()[0])
                    result = await with_workers(settings, env, host, channel.workspace_id, scenario, friends, workers)
                db = Database(url)
                steps = await steps_of(db, scenario)
                await db.dispose()
                got = await fanout.copies(base, channel, before)
                sends = round(friends * SENDS[kind])
                expected_copies = {"1": sends} if sends else {}
                assert steps == friends * STEPS[kind], f"{kind}: {steps} steps for {friends} friends"
                assert {k: v for k, v in got.items() if k != "0"} == expected_copies, f"{kind}: copies {got}"
                rate = steps / result["seconds"]
                push_share = (sends / result["seconds"]) / raw_push_rate if sends else None
                rows.append(
                    (
                        backend,
                        mode,
                        kind,
                        friends,
                        steps,
                        result["seconds"],
                        rate,
                        broadcast_rate,
                        result["peak_rss_mib"],
                        push_share,
                    )
                )
                goal = LINE_CEILING if kind != "c" else QUIET_GOAL
                pushes = f"  pushes ÷raw {push_share:4.2f}" if push_share is not None else ""
                print(
                    f"  {mode:<11} ({kind}) {friends:>7,} friends {steps:>8,} steps {result['seconds']:7.1f}s "
                    f"{rate:>9,.0f} steps/s  ÷goal {rate / goal:5.2f}  ÷broadcast {rate / broadcast_rate:5.3f}"
                    f"{pushes}  peak RSS {result['peak_rss_mib']:.0f} MiB  load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--friends", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--scenarios", default="a,b,c")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-scenarios", default="a", help="which scenarios --profile profiles (e.g. a,c)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--env", help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scenario", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        await child(args)
        return
    args.workers = [int(n) for n in args.workers.split(",")]
    args.scenarios = [s.strip() for s in args.scenarios.split(",")]
    rows: list[tuple[Any, ...]] = []
    with tempfile.TemporaryDirectory(prefix="enishi_steps_") as tmp:
        for backend in args.backends.split(","):
            await run_backend(backend.strip(), args, Path(tmp), rows)
    print(
        "\nbackend     mode         scenario  friends     steps   steps/s  ÷2,000  ÷20,000  ÷broadcast  pushes÷raw"
        "  peak RSS"
    )
    for backend, mode, kind, friends, steps, _seconds, rate, broadcast, rss, share in rows:
        pushes = f"{share:10.2f}" if share is not None else f"{'-':>10}"
        print(
            f"{backend:<11} {mode:<12} ({kind})     {friends:>7,} {steps:>9,} {rate:>9,.0f}  {rate / LINE_CEILING:6.2f}"
            f"  {rate / QUIET_GOAL:7.2f}  {rate / broadcast:10.3f}  {pushes}  {rss:6.0f} MiB"
        )


if __name__ == "__main__":
    asyncio.run(main())
