"""Before sending: LINE's remaining monthly quota (as a job fetched it, never asked inside the request) and the
plan's message limit; what does not fit is refused unless a partial send is allowed explicitly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from enishi.db.base import utcnow
from enishi.delivery.engine import run_broadcast
from enishi.models import Workspace
from enishi.models.broadcasts import Broadcast, LineQuota
from tests.delivery.conftest import TEXT, Shop, later, until


async def _estimate(shop: Shop, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await shop.client.post(shop.url("/estimate"), json=body or {})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _codes(estimate: dict[str, Any]) -> set[str]:
    return {w["code"] for w in estimate["warnings"]}


async def test_the_quota_is_fetched_by_a_job_and_a_stale_value_is_answered_with_its_age(shop: Shop) -> None:
    shop.emulator.set_quota(shop.channel_id, 4321, consumption=21)
    first = await _estimate(shop)
    assert first["quota"]["known"] is False and first["quota"]["refreshing"] is True
    assert "quota_unknown" in _codes(first) and first["fits"] is True  # not known is no reason to refuse

    async def fetched() -> dict[str, Any] | None:
        answer = await _estimate(shop)
        return answer if answer["quota"]["known"] else None

    known = await until(fetched)
    assert known is not None
    assert (known["quota"]["limit"], known["quota"]["consumption"], known["quota"]["remaining"]) == (4321, 21, 4300)
    assert known["quota"]["stale"] is False and "quota_unknown" not in _codes(known)

    await shop.set_quota_cache(4321, 21, age_seconds=3600)  # an hour old
    shop.emulator.set_quota(shop.channel_id, 4321, consumption=321)
    stale = await _estimate(shop)
    assert stale["quota"]["stale"] is True and stale["quota"]["age_seconds"] >= 3600
    assert stale["quota"]["consumption"] == 21 and "quota_stale" in _codes(stale)  # the cached value, at once
    assert stale["quota"]["refreshing"] is True

    async def refreshed() -> dict[str, Any] | None:
        answer = await _estimate(shop)
        return answer if answer["quota"]["consumption"] == 321 else None

    assert await until(refreshed)


async def test_a_send_that_does_not_fit_is_refused_unless_a_partial_send_is_allowed(shop: Shop) -> None:
    many = await shop.add_friends(18)  # 20 recipients
    await shop.set_quota_cache(1000, 990)  # 10 messages left this month
    estimate = await _estimate(shop)
    assert (estimate["recipients"], estimate["sendable"], estimate["fits"]) == (20, 10, False)
    assert "quota_exceeded" in _codes(estimate)

    refused = await shop.create({"name": "全員へ", "messages": [TEXT]})
    assert refused.status_code == 409 and refused.json()["error"] == "quota_exceeded"
    assert [e["path"] for e in refused.json()["errors"]] == ["$.allow_partial"]
    async with shop.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 0

    made = await shop.send({"name": "入るだけ", "messages": [TEXT], "allow_partial": True})
    done = await shop.finished(made["id"])
    assert (done["status"], done["limited_to"], done["progress"]["total"], done["progress"]["sent"]) == (
        "completed",
        10,
        10,
        10,
    )
    everyone = [shop.friends["aoi"], shop.friends["ren"], *many]
    assert [len(shop.deliveries(f)) for f in everyone] == [1] * 10 + [0] * 10  # oldest friends first


async def test_the_plans_monthly_limit_counts_what_line_counted_and_what_is_reserved(shop: Shop) -> None:
    await shop.add_friends(8)  # 10 recipients
    await shop.set_quota_cache(None, 95)  # LINE: no limit; 95 sent this month
    await shop.set_plan_limit(120)
    scheduled = await shop.send({"name": "予約", "messages": [TEXT], "scheduled_at": later(days=0.01)})
    assert scheduled["estimated_recipients"] == 10
    estimate = await _estimate(shop)
    plan = estimate["plan"]
    assert (plan["monthly_messages"], plan["used"], plan["reserved"], plan["remaining"]) == (120, 95, 10, 15)
    assert estimate["fits"] is True

    await shop.set_plan_limit(100)  # 5 left by the plan, and those are reserved already
    estimate = await _estimate(shop)
    assert (estimate["plan"]["remaining"], estimate["sendable"], estimate["fits"]) == (0, 0, False)
    assert "plan_limit_exceeded" in _codes(estimate)
    refused = await shop.create({"name": "今すぐ", "messages": [TEXT], "allow_partial": True})
    assert refused.status_code == 409  # nothing at all fits: not even a partial send

    # The scheduled one, when its time comes, is refused too: it cannot finish.
    async with shop.db.transaction() as s:
        await s.execute(update(Broadcast).where(Broadcast.id == scheduled["id"]).values(send_at=utcnow()))
    assert await run_broadcast(shop.job_context(), scheduled["id"]) == "failed"
    shown = await shop.show(scheduled["id"])
    assert shown["status"] == "failed" and "プラン" in shown["error"]
    assert shop.deliveries(shop.friends["aoi"]) == []


async def test_a_workspace_on_hold_for_the_monthly_limit_cannot_start_a_broadcast(shop: Shop) -> None:
    async with shop.db.transaction() as s:
        await s.execute(update(Workspace).where(Workspace.id == shop.workspace_id).values(quota_exhausted_at=utcnow()))
    estimate = await _estimate(shop)
    assert estimate["quota"]["held"] and estimate["sendable"] == 0 and "quota_held" in _codes(estimate)
    refused = await shop.create({"name": "止まっている", "messages": [TEXT], "allow_partial": True})
    assert refused.status_code == 409
    async with shop.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(LineQuota)) == 1  # the estimate asked for a refresh
