"""The broadcasts a friend received, for their talk history in the inbox.

    GET /inbox/friends/{friend_id}/broadcasts?since=   newest first, at most 100 broadcasts

A broadcast keeps no copy of its messages per friend: the friend's numbered place among its recipients
(``broadcast_recipients``) names the outbox row that carried them (a multicast batch of 500, or their own push), and
that row holds the messages as LINE got them and what became of them. They are joined at read time; the inbox shows
them among the conversation's messages, marked as a broadcast with its name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from sqlalchemy import select

from enishi.api.errors import not_found
from enishi.api.params import Db
from enishi.delivery.progress import CANCELLED, request_key
from enishi.line.outbox import preview
from enishi.models import Friend, LineRequest
from enishi.models.broadcasts import Broadcast, BroadcastRecipient

MAX_BROADCASTS = 100


class ReceivedBroadcastOut(msgspec.Struct):
    key: str  # unique in the conversation ("broadcast:<id>:<n>"); a broadcast's messages are not inbox messages
    broadcast_id: int
    broadcast_name: str
    kind: str  # the LINE message type
    text: str | None
    body: dict[str, Any]
    occurred_at: datetime  # when LINE accepted it, or when it was handed to the outbox
    delivery: str  # pending / sending / accepted / failed / held


class InboxBroadcastController(Controller):
    path = "/inbox"
    tags = ("inbox",)

    @get("/friends/{friend_id:int}/broadcasts")
    async def received_broadcasts(
        self, db: Db, friend_id: FromPath[int], since: FromQuery[datetime | None] = None
    ) -> list[ReceivedBroadcastOut]:
        """The messages of the broadcasts handed to LINE for this friend, newest first (``since``: those
        written from that time on, to go with the conversation's messages shown)."""
        if await db.get(Friend, friend_id) is None:
            raise not_found("friend")
        query = (
            select(BroadcastRecipient.position, Broadcast.id, Broadcast.name, Broadcast.delivery)
            .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)
            .where(BroadcastRecipient.friend_id == friend_id)
            .order_by(BroadcastRecipient.broadcast_id.desc())
            .limit(MAX_BROADCASTS)
        )
        if since is not None:
            query = query.where(Broadcast.started_at >= since)
        places = (await db.execute(query)).all()
        if not places:
            return []
        keys = {request_key(b_id, delivery, position): (b_id, name) for position, b_id, name, delivery in places}
        requests = (
            await db.execute(
                select(LineRequest).where(
                    LineRequest.broadcast_id.in_({b_id for _, b_id, _, _ in places}),
                    LineRequest.idempotency_key.in_(set(keys)),
                )
            )
        ).scalars()
        out: list[ReceivedBroadcastOut] = []
        for request in requests:
            if friend_id not in (request.friend_ids or []) or request.error == CANCELLED:
                continue  # left out of its batch (blocked or deleted by then), or never sent
            b_id, name = keys[request.idempotency_key]
            at = request.accepted_at or request.created_at
            for n, message in enumerate(request.messages):
                out.append(
                    ReceivedBroadcastOut(
                        key=f"broadcast:{b_id}:{n}",
                        broadcast_id=b_id,
                        broadcast_name=name,
                        kind=str(message.get("type", "")),
                        text=preview(message),
                        body=message,
                        occurred_at=at,
                        delivery=request.status,
                    )
                )
        out.sort(key=lambda m: (m.occurred_at, m.broadcast_id, m.key), reverse=True)
        return out
