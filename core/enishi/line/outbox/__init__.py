"""The durable sending path: every send is a ``line_requests`` row first, a call to LINE second.

:func:`send_to_friend` writes the row (and the outbound ``messages`` rows the inbox shows) in the caller's
transaction, before anything is sent; its ``idempotency_key`` makes asking twice a no-op. A reply is free, so a
friend with a fresh unused reply token gets a reply (the token is taken in the same UPDATE that checks it, so two
senders cannot both use it); otherwise a push, with a new ``X-Line-Retry-Key`` stored on the row.

:func:`deliver` (the job ``core.deliver_line_request``, enqueued after commit, and re-enqueued by the schedule
``core.sweep_line_requests`` for anything due or stuck) claims the row with an atomic UPDATE and a lease, calls
LINE with the stored retry key, and records the outcome. Because the key is stored before the call and reused on
every retry, a worker killed between LINE accepting and us recording cannot deliver twice: the retry gets 409 and
is recorded as accepted.

``attempts`` counts the calls that may have reached LINE: it goes up when a worker claims the row (so a worker
that dies mid-call is counted too) and back down when the answer proves nothing was sent (local rate limit, refused
connection, 429). That number decides when to give up (``ENISHI_LINE_MAX_ATTEMPTS``) and whether a rejected reply
token may be followed by a push (only when no earlier call may have used the token).

:func:`record_requests` writes many pushes and multicasts at once (batched INSERTs), for broadcasts: a row with a
``broadcast_id`` counts its recipients as sent or failed on the broadcast in the transaction that settles it
(delivery listens for settled requests through :func:`on_settled`).

Settings (optional, from ``settings.extra``): ``ENISHI_REPLY_TOKEN_MAX_AGE_SECONDS`` (default 50),
``ENISHI_LINE_MAX_ATTEMPTS`` (default 10), ``ENISHI_LINE_LEASE_SECONDS`` (default 120).

The package is in four parts: :mod:`~enishi.line.outbox.config` (job names, the quota calendar, settings),
:mod:`~enishi.line.outbox.writing` (rows in the caller's transaction), :mod:`~enishi.line.outbox.delivering`
(claiming, calling LINE, recording outcomes and telling listeners) and :mod:`~enishi.line.outbox.jobs` (the jobs
and the sweeper). Everything public is importable from ``enishi.line.outbox`` itself.
"""

from enishi.line.outbox.config import (
    BATCH_GRACE,
    DELIVER_JOB,
    DELIVER_MANY_JOB,
    QUOTA_TIMEZONE,
    RETRY_KEY_LIFETIME,
    SWEEP_SCHEDULE,
    OutboxSettings,
)
from enishi.line.outbox.delivering import (
    SettledListener,
    call_claimed,
    deliver,
    deliver_many,
    on_settled,
    record_outcomes,
    send_claimed,
)
from enishi.line.outbox.jobs import (
    DELIVERY_BATCHES_AT_ONCE,
    deliver_line_request,
    deliver_line_requests,
    register_line_jobs,
    sweep_line_requests,
)
from enishi.line.outbox.writing import (
    FriendSend,
    OutboxRequest,
    delivery_job_id,
    enqueue_after_commit,
    enqueue_delivery,
    job_id,
    multicast_to_friends,
    preview,
    record_requests,
    release_quota_hold,
    send_to_friend,
    send_to_friends,
)

__all__ = [
    "BATCH_GRACE",
    "DELIVERY_BATCHES_AT_ONCE",
    "DELIVER_JOB",
    "DELIVER_MANY_JOB",
    "QUOTA_TIMEZONE",
    "RETRY_KEY_LIFETIME",
    "SWEEP_SCHEDULE",
    "FriendSend",
    "OutboxRequest",
    "OutboxSettings",
    "SettledListener",
    "call_claimed",
    "deliver",
    "deliver_line_request",
    "deliver_line_requests",
    "deliver_many",
    "delivery_job_id",
    "enqueue_after_commit",
    "enqueue_delivery",
    "job_id",
    "multicast_to_friends",
    "on_settled",
    "preview",
    "record_outcomes",
    "record_requests",
    "register_line_jobs",
    "release_quota_hold",
    "send_claimed",
    "send_to_friend",
    "send_to_friends",
    "sweep_line_requests",
]
