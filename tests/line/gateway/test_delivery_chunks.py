"""A large batch of sends becomes several delivery jobs, replies first and ahead of the queue."""

from __future__ import annotations

from sqlalchemy import insert, select

from enishi.context import JobContext
from enishi.db.base import utcnow
from enishi.jobs.workspace_state import workspace_context, workspace_state
from enishi.line.outbox import DELIVER_MANY_JOB, FriendSend, send_to_friends
from enishi.line.outbox.writing import DELIVERY_CHUNK
from enishi.models import Friend, LineRequest
from enishi.testing import RecordingQueue
from tests.line.gateway.conftest import World


async def test_a_large_batch_is_delivered_by_several_jobs_replies_first(world: World) -> None:
    shop = await world.shop()
    ws = shop.workspace.id
    now = utcnow()
    rows = [
        {
            "workspace_id": ws,
            "line_user_id": f"U{n:032x}",
            "display_name": f"友{n}",
            # every third friend has just written: a fresh reply token
            "reply_token": f"token{n}" if n % 3 == 0 else None,
            "reply_token_at": now if n % 3 == 0 else None,
        }
        for n in range(600)
    ]
    async with world.db.transaction(ws) as s:
        await s.execute(insert(Friend), rows)
        friend_ids = list((await s.scalars(select(Friend.id).order_by(Friend.id))).all())
    queue = RecordingQueue()
    job = JobContext(settings=world.env.settings, db=world.db, host=world.env.host, jobs=queue)
    state = await workspace_state(job, ws)
    message = [{"type": "text", "text": "お知らせ"}]
    async with world.db.transaction(ws) as s:
        ctx = workspace_context(job, s, ws, state)
        await send_to_friends(ctx, [FriendSend(f, f"chunk:{f}", message) for f in friend_ids], source="scenario")
        assert queue.enqueued == [], "nothing is queued before the commit"

    deliveries = [(job.defer_until, job.kwargs["request_ids"]) for job in queue.named(DELIVER_MANY_JOB)]
    assert [len(ids) for _, ids in deliveries] == [DELIVERY_CHUNK, DELIVERY_CHUNK, 600 - 2 * DELIVERY_CHUNK]
    async with world.db.session() as s:
        kinds = dict((await s.execute(select(LineRequest.id, LineRequest.kind))).all())
    replies = [ids for _, ids in deliveries if kinds[ids[0]] == "reply"]
    assert [kinds[i] for _, ids in deliveries for i in ids] == ["reply"] * 200 + ["push"] * 400
    # The jobs holding replies start ahead of what is queued; pushes take their turn.
    assert all(defer is not None and defer < now for defer, ids in deliveries if ids in replies)
    assert all(defer is None for defer, ids in deliveries if ids not in replies)
