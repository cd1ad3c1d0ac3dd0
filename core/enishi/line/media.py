"""Images, videos, audio and files friends send: fetched from LINE only when staff open them, with a size limit.

The web request never waits on LINE: the first request for a message's content records that it is wanted
(``messages.content_wanted_at``), enqueues a fetch and answers 202; the job stores the bytes under the data
directory (``media/<workspace>/<message>``) with a small JSON sidecar, and later requests serve them. The row is
the truth: with the queue down the request still answers 202, and the sweeper queues the fetch once it is back.
Content LINE does not host (``contentProvider.type == "external"``) is linked.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar.response import File
from sqlalchemy import select, update

from enishi.context import JobContext
from enishi.crypto import SecretBox
from enishi.db.base import utcnow
from enishi.jobs.after_commit import enqueue_quietly
from enishi.line.channels import load_channel
from enishi.models import Message
from enishi.security_headers import untrusted_content
from enishi.settings import Settings, env_int

if TYPE_CHECKING:
    from enishi.db.engine import Database
    from enishi.jobs.queue import JobQueue

log = logging.getLogger("enishi.line.media")
FETCH_CONTENT_JOB = "core.fetch_message_content"
MEDIA_KINDS = frozenset({"image", "video", "audio", "file"})
# A wanted content's job is given this long before the sweeper queues it again; LINE keeps content for a limited
# time, so after a day a fetch that never succeeded is given up (staff opening it again asks anew).
SWEEP_AFTER = timedelta(seconds=30)
GIVE_UP_AFTER = timedelta(days=1)


def data_url(settings: Settings) -> str:
    """LINE serves content from its data host; the emulator serves it beside the API."""
    explicit = settings.extra.get("ENISHI_LINE_DATA_URL")
    if explicit:
        return explicit.rstrip("/")
    return "https://api-data.line.me" if settings.line_api_url == "https://api.line.me" else settings.line_api_url


def max_bytes(settings: Settings) -> int:
    return env_int(settings.extra, "ENISHI_MEDIA_MAX_BYTES", 50 * 1024 * 1024, 1024, 1 << 31)


def content_path(settings: Settings, workspace_id: int, message_id: int) -> Path:
    return settings.data_dir / "media" / str(workspace_id) / str(message_id)


def stored(settings: Settings, workspace_id: int, message_id: int) -> dict[str, Any] | None:
    """The sidecar of a fetched (or refused) content: {"content_type", "size"} or {"error", …}."""
    sidecar = content_path(settings, workspace_id, message_id).with_suffix(".json")
    if not sidecar.exists():
        return None
    loaded: dict[str, Any] = json.loads(sidecar.read_text())
    return loaded


def content_file(path: Path, content_type: str, file_name: Any = None) -> File:
    """The stored bytes as a response. They are a friend's choice (an "image" may be SVG with a script), so they
    download in a sandbox unless their type is one a browser only shows."""
    media_type, disposition, headers = untrusted_content(content_type)
    name = file_name if isinstance(file_name, str) and file_name.strip() else path.name
    return File(
        path=path,
        filename=name,
        media_type=media_type,
        content_disposition_type=disposition,
        headers={**headers, "Cache-Control": "private, no-store"},
    )


def _job_id(message_id: int) -> str:
    return f"content:{message_id}"


async def want_content(db: Database, jobs: JobQueue | None, message: Message) -> None:
    """Record that staff want ``message``'s content (once), then wake a worker to fetch it.

    The record is its own short write (the caller's request only reads); the enqueue is quiet, so a queue outage
    only delays the fetch until the sweeper queues it.
    """
    if message.content_wanted_at is None:
        async with db.transaction(message.workspace_id) as session:
            await session.execute(
                update(Message)
                .where(Message.id == message.id, Message.content_wanted_at.is_(None))
                .values(content_wanted_at=utcnow())
            )
    if jobs is not None:
        await enqueue_quietly(
            jobs, FETCH_CONTENT_JOB, _job_id(message.id), workspace_id=message.workspace_id, message_id=message.id
        )


async def _no_longer_wanted(db: Database, workspace_id: int, message_id: int) -> None:
    async with db.transaction(workspace_id) as session:
        await session.execute(
            update(Message)
            .where(Message.id == message_id, Message.content_wanted_at.is_not(None))
            .values(content_wanted_at=None)
        )


async def sweep_wanted_content(ctx: JobContext) -> int:
    """Queue again the fetches of wanted contents still not stored (a lost job, the queue was down)."""
    now = utcnow()
    async with ctx.db.transaction() as session:
        given_up = await session.execute(
            update(Message)
            .where(Message.content_wanted_at.is_not(None), Message.content_wanted_at < now - GIVE_UP_AFTER)
            .values(content_wanted_at=None)
        )
    given_up_count = int(getattr(given_up, "rowcount", 0) or 0)
    if given_up_count:
        log.warning("gave up fetching %d message contents wanted for over %s", given_up_count, GIVE_UP_AFTER)
    async with ctx.db.session() as session:
        rows = (
            await session.execute(
                select(Message.workspace_id, Message.id)
                .where(Message.content_wanted_at.is_not(None), Message.content_wanted_at < now - SWEEP_AFTER)
                .order_by(Message.content_wanted_at)
                .limit(500)
            )
        ).all()
    for workspace_id, message_id in rows:
        if stored(ctx.settings, workspace_id, message_id) is not None:
            await _no_longer_wanted(ctx.db, workspace_id, message_id)
        else:
            await enqueue_quietly(
                ctx.jobs, FETCH_CONTENT_JOB, _job_id(message_id), workspace_id=workspace_id, message_id=message_id
            )
    return len(rows)


async def fetch_content(ctx: JobContext, workspace_id: int, message_id: int) -> bool:
    """Download one message's content from LINE, refusing anything over ENISHI_MEDIA_MAX_BYTES."""
    if stored(ctx.settings, workspace_id, message_id) is not None:
        await _no_longer_wanted(ctx.db, workspace_id, message_id)
        return False  # done already (the job may run twice)
    async with ctx.db.session(workspace_id) as session:
        message = await session.get(Message, message_id)
        channel = await load_channel(session, workspace_id)
    if message is None or channel is None or message.kind not in MEDIA_KINDS or not message.line_message_id:
        if message is not None:
            await _no_longer_wanted(ctx.db, workspace_id, message_id)
        return False
    token = SecretBox(ctx.settings.secret_keys).decrypt(channel.access_token)
    limit = max_bytes(ctx.settings)
    from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApiBlob, Configuration  # on first use: ~1 s

    async with AsyncApiClient(Configuration(host=data_url(ctx.settings), access_token=token)) as client:
        response = await AsyncMessagingApiBlob(client).get_message_content_with_http_info(message.line_message_id)
    data = bytes(response.data or b"")
    content_type = (response.headers or {}).get("Content-Type", "application/octet-stream")
    path = content_path(ctx.settings, workspace_id, message_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(data) > limit:
        meta: dict[str, Any] = {"error": "too_large", "size": len(data), "limit": limit}
        log.warning(
            "workspace %s: content of message %s is %d bytes, over %d", workspace_id, message_id, len(data), limit
        )
    else:
        path.write_bytes(data)
        meta = {"content_type": content_type, "size": len(data)}
    # The sidecar last: its presence means the content (or the refusal) is complete.
    path.with_suffix(".json").write_text(json.dumps(meta))
    await _no_longer_wanted(ctx.db, workspace_id, message_id)
    return "error" not in meta
