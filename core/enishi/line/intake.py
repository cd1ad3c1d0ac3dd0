"""Webhook intake: check the signature, store every event durably, answer 200, process later.

The acknowledgement path does only what must happen before LINE gets its 200: find the workspace by the
unguessable token in the URL, verify the signature over the raw body, check the envelope, and insert the events
(duplicates ignored by the unique (workspace, webhookEventId) key) in one transaction. Everything else — spec
validation, friends, messages, plugins — runs in a job afterwards (see ``processing``).

It is the hottest route, so it is a plain ASGI handler (no dependency injection, body parsing or response
machinery), requests arriving together share one commit (``EventWriter``), and the job that processes the events
is queued without the request waiting for it: the events are committed already, and the sweeper finds any
whose job was lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import msgspec
from litestar.exceptions import MethodNotAllowedException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import asgi
from litestar.types import HTTPReceiveMessage, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send
from sqlalchemy import Table, event, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Mapper, object_session

from enishi.api.errors import ApiError
from enishi.api.services import Services
from enishi.db.base import utcnow
from enishi.jobs.after_commit import enqueue_quietly
from enishi.jobs.inprocess import InProcessQueue
from enishi.line.signature import verify
from enishi.models import LineEvent, Workspace

log = logging.getLogger("enishi.line.intake")
PROCESS_JOB = "core.process_line_events"
# How long a web process keeps a workspace's channel secret. A change made through this process takes effect at
# once (see _channel_changed); other processes refuse the old secret after at most this long.
CACHE_SECONDS = 5.0
# A signature that fails against a secret cached longer than this re-reads the secret once, so a secret replaced
# in another process is accepted at once, while a flood of forged requests costs at most one query a second.
RECHECK_SECONDS = 1.0
WAKE_CHUNK = 100  # event ids per processing job, so several workers can share a burst
WAKE_INTERVAL = 0.05  # seconds between two rounds of queuing jobs; the first after a quiet spell goes at once
_OK_START: HTTPResponseStartEvent = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
}
_OK_BODY: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"{}", "more_body": False}


@dataclass(frozen=True)
class _Channel:
    workspace_id: int
    secret: str
    fetched: float


_caches: weakref.WeakSet[ChannelCache] = weakref.WeakSet()


class ChannelCache:
    """Webhook token → (workspace, decrypted secret) for a few seconds, to keep a query off the hot path."""

    def __init__(self) -> None:
        self._by_token: dict[str, _Channel] = {}
        self._loading: dict[str, asyncio.Future[_Channel | None]] = {}
        self._forgotten = 0  # counts forgettings: a read that started before one does not fill the cache
        _caches.add(self)

    async def lookup(self, services: Services, token: str) -> _Channel | None:
        hit = self._by_token.get(token)
        if hit is not None and time.monotonic() - hit.fetched < CACHE_SECONDS:
            return hit
        return await self.reload(services, token)

    async def reload(self, services: Services, token: str) -> _Channel | None:
        """Read the token's channel again; requests that ask meanwhile share the one query."""
        loading = self._loading.get(token)
        if loading is None:
            # A task of its own: a request that goes away does not take the others' answer with it.
            loading = self._loading[token] = asyncio.ensure_future(self._read(services, token))
            loading.add_done_callback(lambda _: self._loading.pop(token, None))
        return await asyncio.shield(loading)

    async def _read(self, services: Services, token: str) -> _Channel | None:
        started, forgotten = time.monotonic(), self._forgotten
        async with services.db.session() as session:
            row = (
                await session.execute(
                    select(Workspace.id, Workspace.line_channel_secret).where(Workspace.webhook_token == token)
                )
            ).one_or_none()
        if row is None:
            self._by_token.pop(token, None)
            return None
        channel = _Channel(row[0], services.secrets.decrypt(row[1]), started)
        if forgotten == self._forgotten:  # else a change may have been committed after the query read the row
            self._by_token[token] = channel
        return channel

    def forget_workspace(self, workspace_id: int) -> None:
        self._forgotten += 1
        for token in [t for t, channel in self._by_token.items() if channel.workspace_id == workspace_id]:
            del self._by_token[token]


def _forget_everywhere(workspace_id: int) -> None:
    for cache in list(_caches):
        cache.forget_workspace(workspace_id)


@event.listens_for(Workspace, "after_update")
def _channel_changed(mapper: Mapper[Any], connection: Any, target: Workspace) -> None:
    """A changed channel secret (or webhook token) is forgotten by this process's caches at once.

    Forgotten again after the commit: a webhook arriving between the flush and the commit would have cached the
    old secret, which is still the committed one until then.
    """
    attrs = inspect(target).attrs
    if not attrs.line_channel_secret.history.has_changes() and not attrs.webhook_token.history.has_changes():
        return
    workspace_id = target.id
    _forget_everywhere(workspace_id)
    session = object_session(target)
    if session is not None:
        event.listen(session, "after_commit", lambda _session: _forget_everywhere(workspace_id), once=True)


@event.listens_for(Workspace, "after_delete")
def _workspace_deleted(mapper: Mapper[Any], connection: Any, target: Workspace) -> None:
    _forget_everywhere(target.id)


# Past this no datetime exists (Python's end at 9999-12-31), and LINE sends the present anyway.
MAX_TIMESTAMP_MS = 253_402_300_800_000
# LINE's events nest a few levels; the database's JSON functions give up near 1,000 and so does the decoder.
MAX_DEPTH = 64


def _too_deep(document: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether the decoded body nests deeper than ``limit`` arrays and objects (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _bad(path: str, message: str) -> ApiError:
    return ApiError(400, "invalid_webhook", message, [{"path": path, "message": message}])


def event_rows(workspace_id: int, events: Any) -> list[dict[str, Any]]:
    """Rows for the envelope fields every event has; the whole event is kept as it came."""
    if not isinstance(events, list):
        raise _bad("$.events", "events must be an array")
    rows = []
    received_at = utcnow()
    for i, event_ in enumerate(events):
        if not isinstance(event_, dict):
            raise _bad(f"$.events[{i}]", "an event must be an object")
        event_id, kind, timestamp = event_.get("webhookEventId"), event_.get("type"), event_.get("timestamp")
        if not isinstance(event_id, str) or not 1 <= len(event_id) <= 64:
            raise _bad(f"$.events[{i}].webhookEventId", "webhookEventId must be a string")
        if not isinstance(kind, str) or not 1 <= len(kind) <= 40:
            raise _bad(f"$.events[{i}].type", "type must be a string")
        if not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 <= timestamp < MAX_TIMESTAMP_MS:
            raise _bad(f"$.events[{i}].timestamp", "timestamp must be milliseconds since the epoch, before year 10000")
        source: dict[str, Any] = event_["source"] if isinstance(event_.get("source"), dict) else {}
        delivery: dict[str, Any] = event_["deliveryContext"] if isinstance(event_.get("deliveryContext"), dict) else {}
        user_id = source.get("userId")
        source_type = source.get("type")
        rows.append(
            {
                "workspace_id": workspace_id,
                "webhook_event_id": event_id,
                "type": kind,
                "source_type": source_type if isinstance(source_type, str) and len(source_type) <= 16 else None,
                "line_user_id": user_id if isinstance(user_id, str) and len(user_id) <= 64 else None,
                "occurred_at": datetime.fromtimestamp(timestamp / 1000, UTC),
                "is_redelivery": delivery.get("isRedelivery") is True,
                "payload": event_,
                "received_at": received_at,
            }
        )
    return rows


class _HeldConnection:
    """One connection the writer keeps checked out, so a commit does not pay for a pool checkout (and its
    pre-ping) each time. Dropped on any error; the next commit checks out a fresh one."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._driver: Any = None

    async def get(self) -> tuple[Any, bool]:
        """The driver's connection (asyncpg's, aiosqlite's), and whether it was held already (and so may have
        gone stale)."""
        if self._conn is not None and not self._conn.closed and not self._conn.invalidated:
            return self._driver, True
        self._conn = await self._engine.connect()
        self._driver = (await self._conn.get_raw_connection()).driver_connection
        return self._driver, False

    async def drop(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        if conn is None:
            return
        try:
            await conn.invalidate()
        except Exception:
            log.debug("could not invalidate the webhook writer's connection", exc_info=True)
        try:
            await conn.close()
        except Exception:
            log.debug("could not close the webhook writer's connection", exc_info=True)

    async def close(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        if conn is not None:
            await conn.close()


# The columns the webhook writer fills (besides attempts = 0); the rest are nullable or have server defaults.
_COLUMNS = (
    "workspace_id",
    "webhook_event_id",
    "type",
    "source_type",
    "line_user_id",
    "occurred_at",
    "is_redelivery",
    "payload",
    "received_at",
)


def _check_columns(table: Table) -> None:
    """Fails at startup, not on the first webhook, if the table and the writer's INSERT ever drift apart."""
    given = {*_COLUMNS, "attempts", "id"}
    missing = [name for name in given if name not in table.c]
    unfilled = [c.name for c in table.c if c.name not in given and not c.nullable and c.server_default is None]
    if missing or unfilled:
        raise RuntimeError(f"{table.name}: the webhook writer's INSERT needs updating ({missing or unfilled})")


_QUOTED = ", ".join(f'"{name}"' for name in _COLUMNS)
_ON_CONFLICT = (
    'ON CONFLICT ("workspace_id", "webhook_event_id") DO NOTHING RETURNING "id", "workspace_id", "webhook_event_id"'
)


class _SqliteInserter:
    """SQLite: one statement, one trip to the driver's thread, however many rows — INSERT … SELECT FROM
    json_each(?) … ON CONFLICT DO NOTHING RETURNING, the rows in one JSON parameter. The connection is in
    autocommit mode (see enishi.db.engine), so the statement is its own transaction, committed when it returns.
    Values go through the columns' own SQLAlchemy bind processors: stored exactly as an ORM insert stores them."""

    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        _check_columns(table)
        self._held = _HeldConnection(engine)
        dialect = engine.dialect
        self._processors = [
            (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in _COLUMNS
        ]
        values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(_COLUMNS)))
        # Names from the table definition; the values are one bound parameter. (WHERE true: without it SQLite
        # would read ON CONFLICT as a join constraint.)
        self._sql = (
            f'INSERT INTO "{table.name}" ({_QUOTED}, "attempts") '  # noqa: S608
            f"SELECT {values}, 0 FROM json_each(?) WHERE true {_ON_CONFLICT}"
        )
        self._encode = msgspec.json.Encoder().encode

    async def insert(self, rows: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
        data = self._encode([[row[n] if p is None else p(row[n]) for n, p in self._processors] for row in rows])
        driver, _ = await self._held.get()
        try:
            records = await driver.execute_fetchall(self._sql, (data.decode(),))
            return [(r[0], r[1], r[2]) for r in records]
        except Exception:
            await self._held.drop()
            raise

    async def close(self) -> None:
        await self._held.close()


class _PostgresInserter:
    """PostgreSQL: one statement, one round trip, however many rows — INSERT … SELECT FROM unnest(arrays) …
    ON CONFLICT DO NOTHING RETURNING, prepared once by asyncpg. Outside an explicit transaction the statement is
    its own transaction: it has committed (and, with synchronous_commit on, reached the disk) when it returns."""

    _TYPES = ("int8", "text", "text", "text", "text", "timestamptz", "bool", "text", "timestamptz")

    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        _check_columns(table)
        self._held = _HeldConnection(engine)
        arrays = ", ".join(f"${i}::{kind}[]" for i, kind in enumerate(self._TYPES, 1))
        selected = ", ".join('"payload"::jsonb' if name == "payload" else f'"{name}"' for name in _COLUMNS)
        # Names from the table definition; the values are bound parameters.
        self._sql = (
            f'INSERT INTO "{table.name}" ({_QUOTED}, "attempts") '  # noqa: S608
            f"SELECT {selected}, 0 FROM unnest({arrays}) AS r({_QUOTED}) {_ON_CONFLICT}"
        )
        self._encode = msgspec.json.Encoder().encode

    async def insert(self, rows: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
        arrays = [[row[name] for row in rows] for name in _COLUMNS]
        arrays[_COLUMNS.index("payload")] = [self._encode(row["payload"]).decode() for row in rows]
        while True:
            driver, held = await self._held.get()
            try:
                records = await driver.fetch(self._sql, *arrays)
                return [(r[0], r[1], r[2]) for r in records]
            except Exception as exc:
                if not _connection_trouble(exc):
                    raise  # the statement was refused; the connection is fine
                await self._held.drop()
                if not held:
                    raise
                # A connection held since an earlier commit may have died meanwhile; the insert ignores rows
                # stored already, so trying once more on a fresh connection is safe.
                log.info("webhook writer: retrying on a fresh connection", exc_info=True)

    async def close(self) -> None:
        await self._held.close()


def _connection_trouble(exc: Exception) -> bool:
    """Whether a failed statement says more about the connection than about the statement."""
    from asyncpg import PostgresError
    from asyncpg.exceptions import OperatorInterventionError, PostgresConnectionError

    if isinstance(exc, PostgresError):  # reported by the server: only some concern the connection
        return isinstance(exc, PostgresConnectionError | OperatorInterventionError)
    return True  # closed, reset, timed out


_Waiting = tuple[int, list[dict[str, Any]], "asyncio.Future[list[int]]"]


class EventWriter:
    """Group commit for webhook events: requests that arrive while a commit is under way share the next one.

    Each request still gets its 200 only after its own events are durably committed, but under load one
    transaction (one statement on PostgreSQL) serves many requests instead of one each. Processing jobs are
    queued by a background task that the requests do not wait for; while it talks to the queue, the ids of
    further commits gather up for its next round.
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._waiting: list[_Waiting] = []
        self._flusher: asyncio.Task[None] | None = None
        self._to_wake: dict[int, list[int]] = {}
        self._waker: asyncio.Task[None] | None = None
        table = cast(Table, LineEvent.__table__)  # Core, not ORM: nothing of the ORM's per-statement work here
        db = services.db
        self._inserter: _SqliteInserter | _PostgresInserter = (
            _PostgresInserter(db.engine, table) if db.dialect == "postgresql" else _SqliteInserter(db.engine, table)
        )

    async def store(self, workspace_id: int, rows: list[dict[str, Any]]) -> list[int]:
        """Commit the rows (duplicates skipped); returns the ids of the new ones, once they are durable."""
        done: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._waiting.append((workspace_id, rows, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await done

    async def idle(self) -> None:
        """Wait until every stored event is committed and its processing job queued."""
        while tasks := [t for t in (self._flusher, self._waker) if t is not None and not t.done()]:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.idle(), timeout=10)
        except TimeoutError:
            log.warning("webhook writer: gave up waiting for its queue; the sweeper will pick the events up")
        await self._inserter.close()

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self._commit(batch)
            except Exception as exc:
                if len(batch) == 1:
                    _fail(batch[0], exc)
                    continue
                # One bad delivery must not fail the others that happened to share its commit.
                for one in batch:
                    try:
                        await self._commit([one])
                    except Exception as one_exc:
                        _fail(one, one_exc)

    async def _commit(self, batch: list[_Waiting]) -> None:
        inserted = await self._inserter.insert([row for _, rows, _ in batch for row in rows])
        new = {(workspace_id, event_id): row_id for row_id, workspace_id, event_id in inserted}
        answers = []
        for workspace_id, rows, done in batch:
            # pop: an event sent twice within one commit is new for the first request only
            ids = [i for row in rows if (i := new.pop((workspace_id, row["webhook_event_id"]), None)) is not None]
            if ids:
                self._to_wake.setdefault(workspace_id, []).extend(ids)
            answers.append((done, ids))
        if self._to_wake and (self._waker is None or self._waker.done()):
            # Started before the answers, so after a quiet spell the in-process queue has the job before the 200.
            self._waker = asyncio.create_task(self._wake())
            if isinstance(self._services.jobs, InProcessQueue):
                # Commits made while it waits are queued by it later: drain() must not return before that.
                self._services.jobs.hold(self._waker)
        for done, ids in answers:
            if not done.done():
                done.set_result(ids)

    async def _wake(self) -> None:
        while True:
            pending, self._to_wake = self._to_wake, {}
            for workspace_id, ids in pending.items():
                for start in range(0, len(ids), WAKE_CHUNK):
                    chunk = ids[start : start + WAKE_CHUNK]
                    # committed already: if this is lost (Redis down), the sweeper still finds the events
                    await enqueue_quietly(
                        self._services.jobs,
                        PROCESS_JOB,
                        f"line-events:{chunk[0]}",
                        workspace_id=workspace_id,
                        event_ids=chunk,
                    )
            # Under load, what is committed meanwhile gathers for one job instead of one job per commit.
            await asyncio.sleep(WAKE_INTERVAL)
            if not self._to_wake:
                return


def _fail(waiting: _Waiting, exc: Exception) -> None:
    done = waiting[2]
    if not done.done():
        done.set_exception(exc)


def _headers(scope: Scope) -> tuple[str | None, int | None]:
    signature = length = None
    for name, value in scope["headers"]:
        if name == b"x-line-signature":
            signature = value.decode("latin-1")
        elif name == b"content-length" and value.isdigit():
            length = int(value)
    return signature, length


async def _read_body(receive: Receive, announced: int | None, limit: int) -> bytes | None:
    """The raw body, or None if the client went away; RequestEntityTooLarge past ``limit`` bytes."""
    if announced is not None and announced > limit:
        raise RequestEntityTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = cast(HTTPReceiveMessage, await receive())
        if message["type"] == "http.disconnect":
            return None
        chunk = message["body"]
        if chunk:
            size += len(chunk)
            if size > limit:
                raise RequestEntityTooLarge
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_decode = msgspec.json.Decoder().decode


# Mounted rather than routed as /webhook/{token}: Litestar cannot route an ASGI handler with path parameters.
@asgi("/webhook", is_mount=True, copy_scope=False, exclude_from_auth=True, audit=False)
async def receive_webhook(scope: Scope, receive: Receive, send: Send) -> None:
    """LINE's webhook for one workspace, POST /webhook/{token} (the URL is shown when the workspace is created)."""
    token = scope["path"].strip("/")  # what follows the mount path
    if not token or "/" in token:
        raise ApiError(404, "not_found", "not found")
    if scope.get("method") != "POST":
        raise MethodNotAllowedException(headers={"Allow": "POST"})
    state = scope["litestar_app"].state
    services: Services = state["enishi"]
    cache: ChannelCache = state["enishi_channels"]
    channel = await cache.lookup(services, token)
    if channel is None:
        raise ApiError(404, "not_found", "not found")
    signature, announced = _headers(scope)
    body = await _read_body(receive, announced, services.settings.max_request_bytes)
    if body is None:
        return
    if not verify(channel.secret, body, signature):
        if time.monotonic() - channel.fetched < RECHECK_SECONDS:
            raise ApiError(401, "bad_signature", "x-line-signature is missing or wrong")
        channel = await cache.reload(services, token)  # the secret may have been replaced in another process
        if channel is None or not verify(channel.secret, body, signature):
            raise ApiError(401, "bad_signature", "x-line-signature is missing or wrong")
    try:
        document = _decode(body)
    except msgspec.DecodeError:
        raise _bad("$", "the body is not JSON") from None
    except RecursionError:
        raise _bad("$", f"the body nests deeper than {MAX_DEPTH} levels") from None
    if not isinstance(document, dict):
        raise _bad("$", "the body must be a JSON object")
    # Counting brackets runs at C speed; only a body with more of them than the limit is walked.
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _too_deep(document):
        raise _bad("$", f"the body nests deeper than {MAX_DEPTH} levels")
    rows = event_rows(channel.workspace_id, document.get("events"))
    if rows:  # no events: LINE's connectivity check
        writer: EventWriter = state["enishi_event_writer"]
        stored = await writer.store(channel.workspace_id, rows)
        if len(stored) < len(rows):
            duplicates = len(rows) - len(stored)
            log.info("workspace %s: %d duplicate webhook events acknowledged", channel.workspace_id, duplicates)
    await send(_OK_START)
    await send(_OK_BODY)
