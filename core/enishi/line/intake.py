"""Webhook intake: check the signature, store every event durably, answer 200, process later.

The acknowledgement path does only what must happen before LINE gets its 200: find the workspace by the
unguessable token in the URL, verify the signature over the raw body, check the envelope, and insert the events
(one statement, duplicates ignored by the unique (workspace, webhookEventId) key) in one transaction. Everything
else — spec validation, friends, messages, plugins — runs in a job afterwards (see ``processing``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from litestar import Request, post
from litestar.params import FromPath
from sqlalchemy import Table, select

from enishi.api.errors import ApiError
from enishi.api.services import Services, services_of
from enishi.db.base import utcnow
from enishi.db.engine import upsert_insert
from enishi.line.signature import verify
from enishi.models import LineEvent, Workspace

log = logging.getLogger("enishi.line.intake")
PROCESS_JOB = "core.process_line_events"
_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class _Channel:
    workspace_id: int
    secret: str
    expires: float


class ChannelCache:
    """Webhook token → (workspace, decrypted secret) for a few seconds, to keep a query off the hot path."""

    def __init__(self) -> None:
        self._by_token: dict[str, _Channel] = {}

    async def lookup(self, services: Services, token: str) -> _Channel | None:
        hit = self._by_token.get(token)
        now = time.monotonic()
        if hit is not None and hit.expires > now:
            return hit
        async with services.db.session() as session:
            row = (
                await session.execute(
                    select(Workspace.id, Workspace.line_channel_secret).where(Workspace.webhook_token == token)
                )
            ).one_or_none()
        if row is None:
            self._by_token.pop(token, None)
            return None
        channel = _Channel(row[0], services.secrets.decrypt(row[1]), now + _CACHE_SECONDS)
        self._by_token[token] = channel
        return channel

    def forget(self, token: str) -> None:
        self._by_token.pop(token, None)


def _bad(path: str, message: str) -> ApiError:
    return ApiError(400, "invalid_webhook", message, [{"path": path, "message": message}])


def event_rows(workspace_id: int, events: Any) -> list[dict[str, Any]]:
    """Rows for the envelope fields every event has; the whole event is kept as it came."""
    if not isinstance(events, list):
        raise _bad("$.events", "events must be an array")
    rows = []
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            raise _bad(f"$.events[{i}]", "an event must be an object")
        event_id, kind, timestamp = event.get("webhookEventId"), event.get("type"), event.get("timestamp")
        if not isinstance(event_id, str) or not 1 <= len(event_id) <= 64:
            raise _bad(f"$.events[{i}].webhookEventId", "webhookEventId must be a string")
        if not isinstance(kind, str) or not 1 <= len(kind) <= 40:
            raise _bad(f"$.events[{i}].type", "type must be a string")
        if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp < 0:
            raise _bad(f"$.events[{i}].timestamp", "timestamp must be milliseconds since the epoch")
        source: dict[str, Any] = event["source"] if isinstance(event.get("source"), dict) else {}
        delivery: dict[str, Any] = event["deliveryContext"] if isinstance(event.get("deliveryContext"), dict) else {}
        user_id = source.get("userId")
        rows.append(
            {
                "workspace_id": workspace_id,
                "webhook_event_id": event_id,
                "type": kind,
                "source_type": source.get("type") if isinstance(source.get("type"), str) else None,
                "line_user_id": user_id if isinstance(user_id, str) and len(user_id) <= 64 else None,
                "occurred_at": datetime.fromtimestamp(timestamp / 1000, UTC),
                "is_redelivery": delivery.get("isRedelivery") is True,
                "payload": event,
                "received_at": utcnow(),
            }
        )
    return rows


class EventWriter:
    """Group commit for webhook events: requests that arrive while a commit is under way share the next one.

    Each request still gets its 200 only after its own events are durably committed, but under load one
    transaction and one queue message serve many requests instead of one each.
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._waiting: list[tuple[int, list[dict[str, Any]], asyncio.Future[list[int]]]] = []
        self._flusher: asyncio.Task[None] | None = None
        table = cast(Table, LineEvent.__table__)  # Core, not ORM: nothing of the ORM's per-statement work here
        self._insert = (
            upsert_insert(services.db.dialect, table)
            .on_conflict_do_nothing(index_elements=["workspace_id", "webhook_event_id"])
            .returning(table.c.id, table.c.workspace_id, table.c.webhook_event_id)
        )

    async def store(self, workspace_id: int, rows: list[dict[str, Any]]) -> list[int]:
        """Commit the rows (duplicates skipped); returns the ids of the new ones, once they are durable."""
        done: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._waiting.append((workspace_id, rows, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with self._services.db.engine.begin() as conn:
                    result = await conn.execute(self._insert, [row for _, rows, _ in batch for row in rows])
                    inserted = {(ws, event_id): row_id for row_id, ws, event_id in result.all()}
            except Exception as exc:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            new_by_workspace: dict[int, list[int]] = {}
            for workspace_id, rows, done in batch:
                ids = [
                    inserted[key]
                    for key in dict.fromkeys((workspace_id, r["webhook_event_id"]) for r in rows)
                    if key in inserted
                ]
                new_by_workspace.setdefault(workspace_id, []).extend(ids)
                if not done.done():
                    done.set_result(ids)
            for workspace_id, ids in new_by_workspace.items():
                if ids:  # committed already: if this enqueue is lost, the sweeper still finds them
                    try:
                        await self._services.jobs.enqueue(
                            PROCESS_JOB, job_id=f"line-events:{ids[0]}", workspace_id=workspace_id, event_ids=ids
                        )
                    except Exception:
                        log.exception("workspace %s: could not enqueue event processing", workspace_id)


@post("/webhook/{token:str}", status_code=200, tags=["line"], exclude_from_auth=True, audit=False)
async def receive_webhook(request: Request[Any, Any, Any], token: FromPath[str]) -> dict[str, Any]:
    """LINE's webhook for one workspace (the URL is shown when the workspace is created)."""
    services = services_of(request)
    cache: ChannelCache = request.app.state["enishi_channels"]
    channel = await cache.lookup(services, token)
    if channel is None:
        raise ApiError(404, "not_found", "not found")
    body = await request.body()
    if not verify(channel.secret, body, request.headers.get("x-line-signature")):
        raise ApiError(401, "bad_signature", "x-line-signature is missing or wrong")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _bad("$", "the body is not JSON") from None
    if not isinstance(document, dict):
        raise _bad("$", "the body must be a JSON object")
    rows = event_rows(channel.workspace_id, document.get("events"))
    if not rows:  # LINE's connectivity check
        return {}
    writer: EventWriter = request.app.state["enishi_event_writer"]
    stored = await writer.store(channel.workspace_id, rows)
    if len(stored) < len(rows):
        duplicates = len(rows) - len(stored)
        log.info("workspace %s: %d duplicate webhook events acknowledged", channel.workspace_id, duplicates)
    return {}
