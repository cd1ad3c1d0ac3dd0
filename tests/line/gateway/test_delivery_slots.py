"""A worker with a backlog of sends holds only a few batches in hand: the others wait with their ids alone."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from enishi.line import outbox
from enishi.line.outbox import jobs as outbox_jobs


async def test_delivery_jobs_beyond_the_limit_wait_before_claiming_their_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    in_hand = 0
    most = 0
    claimed: list[list[int]] = []

    async def slow_batch(db: Any, gateway: Any, request_ids: list[int], **kwargs: Any) -> list[str]:
        nonlocal in_hand, most
        in_hand += 1
        most = max(most, in_hand)
        claimed.append(request_ids)
        await asyncio.sleep(0.01)  # LINE answering
        in_hand -= 1
        return ["accepted"] * len(request_ids)

    monkeypatch.setattr(outbox_jobs, "deliver_many", slow_batch)  # what the job calls
    monkeypatch.setattr("enishi.line.gateway.gateway_for", lambda settings: None)
    ctx = SimpleNamespace(db=None, settings=None, jobs=None)
    jobs = [outbox.deliver_line_requests(ctx, [n * 10 + i for i in range(10)]) for n in range(40)]  # type: ignore[arg-type]
    accepted = await asyncio.gather(*jobs)

    assert accepted == [10] * 40, "every job still delivers its batch"
    assert len(claimed) == 40
    assert most == outbox.DELIVERY_BATCHES_AT_ONCE, "no more batches in hand at once than the limit"
