"""Pause, resume and cancel while a broadcast is sending; progress as it goes; LINE's monthly limit holding it.

One batch of 500 at a time and a slow emulator (LINE answering each multicast after a while), so a broadcast of
a few batches is still sending when staff act on it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from enishi.delivery.engine import run_broadcast, sweep_broadcasts
from enishi.line.outbox import sweep_line_requests
from tests.delivery.conftest import TEXT, Shop, later, until

LATENCY_MS = 250


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {"ENISHI_BROADCAST_CONCURRENCY": "1", "ENISHI_BROADCAST_WINDOW": "1"}


async def _sending(shop: Shop, friends: int) -> tuple[dict[str, Any], list[int]]:
    """A broadcast to ``friends`` + 2 friends, once its first batch went out."""
    many = await shop.add_friends(friends)
    shop.emulator.set_faults(latency_ms=LATENCY_MS, endpoints=frozenset({"multicast"}))
    made = await shop.send({"name": "大量配信", "messages": [TEXT]})

    async def first_batch_sent() -> dict[str, Any] | None:
        shown = await shop.show(made["id"])
        return shown if shown["progress"]["sent"] >= 500 else None

    assert await until(first_batch_sent), await shop.show(made["id"])
    return made, many


async def _settled(shop: Shop, broadcast_id: int) -> dict[str, Any]:
    """The broadcast once nothing it handed to LINE is still on its way: every request written is counted."""
    previous = None
    for _ in range(100):
        shown = await shop.show(broadcast_id)
        progress = shown["progress"]
        moving = (progress["sent"], progress["failed"], progress["cancelled"], progress["written"])
        counted = progress["sent"] + progress["failed"] + progress["cancelled"]
        expected = progress["total"] if shown["status"] == "cancelled" else progress["written"]
        if moving == previous and counted == expected:
            return shown
        previous = moving
        await asyncio.sleep(LATENCY_MS / 1000 * 2)
    raise AssertionError(f"broadcast {broadcast_id} kept moving")


async def test_pause_stops_further_batches_and_resume_sends_the_rest_once(shop: Shop) -> None:
    made, many = await _sending(shop, 4998)  # 5,000 recipients: 10 batches
    paused = await shop.client.post(shop.url(f"/{made['id']}/pause"))
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert paused.json()["paused_at"] is not None
    shown = await _settled(shop, made["id"])
    progress = shown["progress"]
    assert shown["status"] == "paused" and progress["written"] < progress["total"] == 5000
    assert progress["remaining"] == 5000 - progress["sent"] > 0
    assert progress["estimated_finish_at"] is None  # not while paused
    reached = [f for f in many if shop.deliveries(f)]
    assert len(reached) + 2 == progress["sent"]  # aoi and ren are in the first batch
    await asyncio.sleep(LATENCY_MS / 1000 * 3)
    assert (await shop.show(made["id"]))["progress"]["sent"] == progress["sent"]  # nothing more while paused

    again = await shop.client.post(shop.url(f"/{made['id']}/pause"))
    assert again.status_code == 409 and again.json()["error"] == "bad_status"
    resumed = await shop.client.post(shop.url(f"/{made['id']}/resume"))
    assert resumed.status_code == 200 and resumed.json()["status"] == "sending"
    done = await shop.finished(made["id"])
    assert (done["status"], done["progress"]["sent"], done["progress"]["remaining"]) == ("completed", 5000, 0)
    assert all(len(shop.deliveries(f)) == 1 for f in many)
    assert (await shop.client.post(shop.url(f"/{made['id']}/resume"))).status_code == 409
    assert (await shop.client.post(shop.url(f"/{made['id']}/cancel"))).status_code == 409


async def test_cancel_counts_what_was_not_sent_and_sends_nothing_more(shop: Shop) -> None:
    made, many = await _sending(shop, 4998)
    cancelled = await shop.client.post(shop.url(f"/{made['id']}/cancel"))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    shown = await _settled(shop, made["id"])
    progress = shown["progress"]
    assert shown["status"] == "cancelled" and shown["finished_at"] is not None
    assert progress["sent"] + progress["failed"] + progress["cancelled"] == 5000
    assert progress["cancelled"] > 0 and progress["remaining"] == 0
    reached = [f for f in many if shop.deliveries(f)]
    assert len(reached) + 2 == progress["sent"]
    recipients = (await shop.client.get(shop.url(f"/{made['id']}/recipients"), params={"limit": 200})).json()
    assert {r["status"] for r in recipients["items"]} == {"sent"}
    last = await shop.client.get(shop.url(f"/{made['id']}/recipients"), params={"after": "NDk5OQ", "limit": 5})
    assert [r["status"] for r in last.json()["items"]] == ["cancelled"]  # position 5,000
    assert (await shop.client.post(shop.url(f"/{made['id']}/resume"))).status_code == 409


async def test_a_scheduled_broadcast_cancelled_never_starts(shop: Shop) -> None:
    made = await shop.send({"name": "予約", "messages": [TEXT], "scheduled_at": later(days=1)})
    assert (await shop.client.post(shop.url(f"/{made['id']}/pause"))).status_code == 409  # not sending yet
    cancelled = await shop.client.post(shop.url(f"/{made['id']}/cancel"))
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["progress"]["total"] is None
    assert await run_broadcast(shop.job_context(), made["id"]) == "cancelled"
    assert shop.deliveries(shop.friends["aoi"]) == []


async def test_progress_tells_the_rate_and_when_it_should_finish(shop: Shop) -> None:
    made, _ = await _sending(shop, 1998)
    shown = await shop.show(made["id"])
    progress = shown["progress"]
    assert shown["status"] == "sending" and progress["total"] == 2000
    assert 0 < progress["percent"] < 100 and progress["remaining"] == 2000 - progress["sent"] - progress["failed"]
    assert progress["rate_per_second"] > 0
    finish = datetime.fromisoformat(progress["estimated_finish_at"].replace("Z", "+00:00"))
    assert finish > datetime.fromisoformat(shown["started_at"].replace("Z", "+00:00"))
    done = await shop.finished(made["id"])
    assert done["progress"]["estimated_finish_at"] is None and done["progress"]["rate_per_second"] > 0


async def test_lines_monthly_limit_holds_the_broadcast_until_staff_lift_it(shop: Shop) -> None:
    many = await shop.add_friends(1198)  # 1,200 recipients: 3 batches
    await shop.set_quota_cache(None)  # as far as we last heard, no limit
    shop.emulator.set_quota(shop.channel_id, 600)  # but LINE stops after the first batch
    made = await shop.send({"name": "上限", "messages": [TEXT]})

    async def held() -> dict[str, Any] | None:
        shown = await shop.show(made["id"])
        return shown if shown["held"] else None

    shown = await until(held)
    assert shown is not None, await shop.show(made["id"])
    assert shown["status"] == "sending" and shown["progress"]["sent"] == 500
    workspace = (await shop.client.get(f"/api/workspaces/{shop.workspace_id}")).json()["workspace"]
    assert workspace["quota_exhausted_at"] is not None
    estimate = (await shop.client.post(shop.url("/estimate"), json={})).json()
    assert (
        estimate["quota"]["held"] and not estimate["fits"] and "quota_held" in {w["code"] for w in estimate["warnings"]}
    )

    shop.emulator.set_quota(shop.channel_id, 5000)  # more messages bought
    lifted = await shop.client.delete(f"/api/workspaces/{shop.workspace_id}/line/quota-hold")
    assert lifted.status_code == 200
    await sweep_line_requests(shop.job_context())  # what the sweepers do every few seconds
    await sweep_broadcasts(shop.job_context())
    done = await shop.finished(made["id"])
    assert (done["status"], done["progress"]["sent"], done["held"]) == ("completed", 1200, False)
    assert all(len(shop.deliveries(f)) == 1 for f in many)
