"""Redis is only the alarm clock: the database holds all pending work. So Redis going away loses nothing.

A real ``redis-server`` of the test's own (no persistence: killed, it forgets every queued job) serves a web app
(uvicorn, the built-in LINE emulator) and two ``enishi worker`` processes, on PostgreSQL as a deployment with
workers has it. The app starts while that Redis is not even running and acknowledges webhooks; then Redis starts,
a 1,000-recipient broadcast starts sending (LINE, the emulator, answers each multicast slowly), 3,000 signed
webhooks arrive, and Redis is killed in the middle of it all and started again. Every webhook is answered 200, the
health endpoint says "degraded" (naming Redis) with a 200 while Redis is down, the workers stay up and log the
outage once each, and afterwards every event is processed exactly once and every recipient got the broadcast
exactly once, as the emulator's log of each user shows.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import func, insert, select

from enishi.app import create_app
from enishi.crypto import SecretBox
from enishi.line.embedded import emulator_of, register_channels
from enishi.line.signature import sign
from enishi.models import Friend, LineEvent, Message, Workspace
from enishi.models.broadcasts import Broadcast
from enishi.plugin_host import discover
from tests.conftest import IN_CI, Env, new_client, settings_for
from tests.live_server import listening_socket, serve

ENISHI = Path(sys.executable).with_name("enishi")
EARLY = 100  # webhooks acknowledged before Redis has even started
WEBHOOKS = 3_000  # the burst Redis dies in the middle of
KILL_AFTER = 500  # webhooks of the burst answered before the kill
WORKERS = 2
OUTAGE_SECONDS = 2.0
SENDERS = 1_000  # friends the webhooks come from (in turn): three messages each
RECIPIENTS = 1_000
SENDING = 8  # in flight at once, like LINE's own retrying delivery
TEXT = "Redis が落ちても一度だけ / once, Redis or not"


class RedisServer:
    """A redis-server of this test's own on a free port, without persistence, that the test kills and restarts."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary, self.directory = binary, directory
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline or self.proc.poll() is not None:
                        raise
                    time.sleep(0.02)
        finally:
            client.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (this test starts and kills one of its own)"
        if IN_CI:
            pytest.fail(f"{message}; required under CI=true", pytrace=False)
        pytest.skip(message)
    (tmp_path / "redis").mkdir()
    server = RedisServer(binary, tmp_path / "redis")
    try:
        yield server
    finally:
        server.kill()


class Webhooks:
    """Signed webhooks of one text message each, sent the way LINE sends them; counts the answers."""

    def __init__(self, base: str, token: str, secret: str, senders: list[str]) -> None:
        self.url, self.secret, self.senders = f"{base}/webhook/{token}", secret, senders
        self.texts: list[str] = []
        self.statuses: dict[int, int] = {}

    def body(self, text: str) -> bytes:
        n = len(self.texts)
        self.texts.append(text)
        event = {
            "type": "message",
            "mode": "active",
            "timestamp": 1_700_000_000_000 + n,
            "webhookEventId": uuid.uuid4().hex[:26].upper(),
            "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": self.senders[n % len(self.senders)]},
            "replyToken": uuid.uuid4().hex,
            "message": {"type": "text", "id": str(10_000 + n), "text": text, "quoteToken": f"q{n}"},
        }
        return json.dumps({"destination": "U" + "f" * 32, "events": [event]}).encode()

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    async def send(self, count: int, prefix: str, *, pause: tuple[int, asyncio.Event] | None = None) -> None:
        """Sends ``count`` webhooks; with ``pause=(n, gate)``, the ones after the first ``n`` wait for ``gate``
        (so a burst cannot be over before the test has done what it does in the middle of it)."""
        bodies: asyncio.Queue[bytes] = asyncio.Queue()
        for i in range(count):
            bodies.put_nowait(self.body(f"{prefix}-{i}"))
        taken = 0

        async def sender(client: httpx.AsyncClient) -> None:
            nonlocal taken
            while not bodies.empty():
                if pause is not None and taken >= pause[0]:
                    await pause[1].wait()
                    if bodies.empty():
                        return
                taken += 1
                body = bodies.get_nowait()
                headers = {"content-type": "application/json", "x-line-signature": sign(self.secret, body)}
                response = await client.post(self.url, content=body, headers=headers)
                self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1

        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=SENDING)) as client:
            await asyncio.gather(*(sender(client) for _ in range(SENDING)))


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def app_log() -> Iterator[Records]:
    """What this process logs about the job queue, from before the app starts. (On the logger itself: Litestar
    replaces the root logger's handlers when it starts.)"""
    handler = Records()
    jobs_log = logging.getLogger("enishi.jobs")
    jobs_log.addHandler(handler)
    try:
        yield handler
    finally:
        jobs_log.removeHandler(handler)


@pytest.fixture
async def outage_env(
    database_url: str, tmp_path: Path, redis_server: RedisServer, app_log: Records
) -> AsyncIterator[Env]:
    """The web app on a real socket, pointed at the test's Redis, which is not running yet."""
    sock = listening_socket()
    settings = settings_for(
        tmp_path,
        database_url,
        ENISHI_PUBLIC_URL=f"http://127.0.0.1:{sock.getsockname()[1]}",
        ENISHI_EMULATOR="true",
        ENISHI_REDIS_URL=redis_server.url,
        ENISHI_LINE_RETRY_BASE_SECONDS="0.05",
        ENISHI_LINE_RETRY_MAX_SECONDS="0.2",
        ENISHI_BROADCAST_CONCURRENCY="1",
        ENISHI_BROADCAST_WINDOW="1",
        ENISHI_BROADCAST_LEASE_SECONDS="3",
        ENISHI_BROADCAST_SPREAD_SECONDS="0",
        # The core and one plugin: processing 3,000 events through every plugin's hooks would only make it slower.
        ENISHI_PLUGINS="tags",
    )
    host = discover(settings)  # what `enishi worker` loads too: every job the app queues, the worker knows
    app = create_app(settings, host)
    async with serve(app, lifespan="on", sock=sock):
        env = Env(settings=settings, host=host, db=app.state["enishi"].db, app=app, client=new_client(app))
        try:
            yield env
        finally:
            for c in [env.client, *env.clients]:
                await c.aclose()


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_redis_dies_in_a_burst_of_webhooks_and_a_broadcast_and_nothing_is_lost_or_done_twice(
    outage_env: Env, redis_server: RedisServer, tmp_path: Path, app_log: Records
) -> None:
    env = outage_env
    base = env.settings.public_url

    # Redis has not started: the app is up anyway, says why it is degraded, and takes webhooks.
    health = await _health(env)
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert set(health.json()["degraded"]) == {"redis"} and "Redis" in health.json()["degraded"]["redis"]
    owner = await env.user("owner@outage.example")
    workspace = await env.workspace(await env.agency(owner=owner), "縁カフェ")
    emulator = emulator_of(env.app.state)
    assert emulator is not None
    await register_channels(env.app.state["enishi"], emulator)
    recipients = await _friends(env, workspace, emulator, RECIPIENTS)
    secret = SecretBox(env.settings.secret_keys).decrypt(workspace.line_channel_secret)
    webhooks = Webhooks(base, workspace.webhook_token, secret, recipients[:SENDERS])
    await webhooks.send(EARLY, "early")
    assert webhooks.statuses == {200: EARLY}

    redis_server.start()
    workers = [_start_worker(env, tmp_path / f"worker{i}.log") for i in range(WORKERS)]
    try:
        assert await _until(lambda: _status(env, "ok")), "the app did not notice Redis was back"

        # A broadcast that LINE (the emulator) takes a while over: three seconds a multicast of 500.
        emulator.set_faults(latency_ms=3000, endpoints=frozenset({"multicast"}))
        client = await env.login("owner@outage.example")
        made = await client.post(
            f"/api/workspaces/{workspace.id}/broadcasts",
            json={"name": "停止中も一度だけ", "messages": [{"type": "text", "text": TEXT}]},
        )
        assert made.status_code == 201, made.text
        broadcast_id = made.json()["broadcast"]["id"]

        # The burst holds after KILL_AFTER webhooks until Redis is dead, however fast the app answers them.
        killed = asyncio.Event()
        burst = asyncio.create_task(webhooks.send(WEBHOOKS, "burst", pause=(KILL_AFTER, killed)))
        sent = lambda: _broadcast_deliveries(emulator, workspace, recipients)  # noqa: E731
        assert await _until(lambda: _true(webhooks.answered >= EARLY + KILL_AFTER and sum(sent()) > 0), 60)
        redis_server.kill()
        killed.set()
        assert sum(sent()) < RECIPIENTS, "the broadcast was over before Redis died: raise the latency"
        killed_at = webhooks.answered

        health = await _health(env)  # while Redis is down: still 200, and it says what is wrong
        assert (health.status_code, health.json()["status"], list(health.json()["degraded"])) == (
            200,
            "degraded",
            ["redis"],
        )
        await asyncio.sleep(OUTAGE_SECONDS)
        assert webhooks.answered > killed_at, "webhooks stopped being answered while Redis was down"
        assert [w.poll() for w, _ in workers] == [None] * WORKERS, "a worker died with Redis"
        redis_server.start()
        assert await _until(lambda: _status(env, "ok")), "the app did not notice Redis was back"

        await asyncio.wait_for(burst, 60)
        total = EARLY + WEBHOOKS
        assert webhooks.statuses == {200: total}

        async def settled() -> bool:
            shown = await client.get(f"/api/workspaces/{workspace.id}/broadcasts/{broadcast_id}")
            done = await _count(env, select(func.count()).where(LineEvent.processed_at.is_not(None)))
            return shown.json()["status"] == "completed" and done == total

        # The sweepers run every 10 to 15 s: what Redis forgot is queued again from the database.
        # (looked at twice a second: this process serves the app the workers' LINE calls go to)
        assert await _until(settled, 120, every=0.5), await _progress(env, client, workspace, broadcast_id)
        assert [w.poll() for w, _ in workers] == [None] * WORKERS, "a worker died"
    finally:
        for worker, _ in workers:
            worker.send_signal(signal.SIGTERM)
        for worker, _ in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    # Every webhook's event stored and processed, and its message in the inbox exactly once: none lost, none
    # processed twice (a processing job lost with Redis and run again by the sweeper must not add a second copy).
    processed = (await _rows(env, select(LineEvent.processed_at.is_not(None)).where(LineEvent.type == "message"))).all()
    assert len(processed) == total and all(done for (done,) in processed)
    texts = [t for (t,) in await _rows(env, select(Message.text).where(Message.direction == "in"))]
    assert len(texts) == total and sorted(texts) == sorted(webhooks.texts)
    # Every recipient got the broadcast exactly once, as LINE (the emulator) saw it.
    copies = _broadcast_deliveries(emulator, workspace, recipients)
    assert (copies.count(0), len(copies) - copies.count(1)) == (0, 0)
    shown = (await client.get(f"/api/workspaces/{workspace.id}/broadcasts/{broadcast_id}")).json()
    assert (shown["progress"]["sent"], shown["progress"]["failed"]) == (RECIPIENTS, 0)
    async with env.db.session() as s:
        assert await s.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id)) == "completed"

    # The outage was logged once by each process, not once per job or request.
    lost = "Redis (the job queue) is unreachable"
    back = "reconnected to Redis"
    for worker, log in workers:
        assert worker.returncode == 0  # stopped by the SIGTERM above, not by Redis
        worker_lines = log.read_text().splitlines()
        assert sum(lost in line for line in worker_lines) == 1, worker_lines
        assert sum(back in line for line in worker_lines) == 1, worker_lines
    app_lines = [r.getMessage() for r in app_log.records]
    assert sum(lost in line for line in app_lines) == 2, app_lines  # before Redis first started, and the kill
    assert sum(back in line for line in app_lines) == 2, app_lines
    assert not [r.getMessage() for r in app_log.records if r.levelno >= logging.ERROR]  # e.g. "could not enqueue"


async def _friends(env: Env, workspace: Workspace, emulator: Any, count: int) -> list[str]:
    """Following friends, in the database and as users of the emulator; returns their LINE user ids."""
    users = [f"U{uuid.uuid4().hex}" for _ in range(count)]
    for user in users:
        emulator.add_user(workspace.line_channel_id, "友だち", user_id=user, following=True)
    rows = [
        {"workspace_id": workspace.id, "line_user_id": u, "display_name": f"友だち{i}", "status": "following"}
        for i, u in enumerate(users)
    ]
    async with env.db.transaction(workspace.id) as s:
        await s.execute(insert(Friend), rows)
    return users


def _broadcast_deliveries(emulator: Any, workspace: Workspace, users: list[str]) -> list[int]:
    """How many copies of the broadcast each user has received."""
    return [
        sum(
            1
            for entry in emulator.deliveries(workspace.line_channel_id, user)
            if (entry.message or {}).get("text") == TEXT
        )
        for user in users
    ]


def _start_worker(env: Env, log: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """`enishi worker`, configured as the app is; its log goes to ``log``."""
    settings = env.settings
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ENISHI_")}
    environ.update(
        {
            "ENISHI_DATABASE_URL": settings.database_url,
            "ENISHI_DATA_DIR": str(settings.data_dir),
            "ENISHI_SECRET_KEY": ",".join(settings.secret_keys),
            "ENISHI_REDIS_URL": settings.redis_url or "",
            "ENISHI_PUBLIC_URL": settings.public_url,
            "ENISHI_LINE_API_URL": settings.line_api_url,
            "ENISHI_LOG_LEVEL": "WARNING",
            "ENISHI_PLUGINS": "tags",
            **{k: v for k, v in settings.extra.items() if k.startswith(("ENISHI_BROADCAST_", "ENISHI_LINE_"))},
        }
    )
    with log.open("wb") as out:
        proc = subprocess.Popen([str(ENISHI), "worker"], env=environ, stdout=out, stderr=subprocess.STDOUT)
    return proc, log


async def _health(env: Env) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"{env.settings.public_url}/api/health")


async def _status(env: Env, status: str) -> bool:
    return bool((await _health(env)).json()["status"] == status)


async def _true(value: bool) -> bool:
    return value


async def _until(check: Any, seconds: float = 20, every: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if await check():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(every)


async def _rows(env: Env, query: Any) -> Any:
    async with env.db.session() as s:
        return await s.execute(query)


async def _count(env: Env, query: Any) -> int:
    async with env.db.session() as s:
        return int(await s.scalar(query) or 0)


async def _progress(env: Env, client: httpx.AsyncClient, workspace: Workspace, broadcast_id: int) -> str:
    shown = (await client.get(f"/api/workspaces/{workspace.id}/broadcasts/{broadcast_id}")).json()
    done = await _count(env, select(func.count()).where(LineEvent.processed_at.is_not(None)))
    tried = await _count(env, select(func.count()).where(LineEvent.processed_at.is_(None), LineEvent.attempts > 0))
    return f"broadcast {shown['status']} {shown['progress']}; events processed: {done}, failed attempts: {tried}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_without_redis_enqueueing_fails_fast_and_quietly_and_the_outage_is_logged_once(
    app_log: Records, make_host: Any
) -> None:
    """No redis-server needed: a port nothing listens on is a Redis that is down. The backoff runs on a clock the
    test moves by hand."""
    from enishi.jobs import ArqQueue, QueueUnavailable
    from enishi.jobs.after_commit import enqueue_quietly
    from enishi.jobs.outage import BACKOFF_CAP, Outage
    from enishi.types import JobType

    async def nothing(ctx: Any) -> None: ...

    now = [1000.0]
    host = make_host(JobType(name="nothing", fn=nothing))
    queue = ArqQueue(f"redis://127.0.0.1:{_free_port()}/0", host.registry)
    queue._outage = outage = Outage("test", clock=lambda: now[0])
    try:
        await queue.start()  # the web process starts anyway
        assert (outage.is_down, outage.failures) == (True, 1)
        assert set(await queue.check()) == {"redis"}
        for i in range(200):
            await enqueue_quietly(queue, "test.nothing", f"job-{i}")
        with pytest.raises(QueueUnavailable, match="Redis"):
            await queue.enqueue("test.nothing", job_id="one-more")
        assert outage.failures == 1  # while it backs off, nobody waits on the network
        now[0] += BACKOFF_CAP
        await enqueue_quietly(queue, "test.nothing", "after-the-backoff")
        assert outage.failures == 2  # then it tries again, and backs off longer
    finally:
        await queue.close()
    lines = [r.getMessage() for r in app_log.records]
    assert len(lines) == 1 and "Redis (the job queue) is unreachable" in lines[0], lines
