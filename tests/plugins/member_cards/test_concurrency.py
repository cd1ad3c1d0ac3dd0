"""Simultaneous point changes on one card stay consistent: every addition counts, and of many subtractions only
as many succeed as the points cover (one UPDATE … WHERE points + delta >= 0 each, no read-then-write)."""

from __future__ import annotations

import asyncio

import pytest

from tests.plugins.member_cards.helpers import design, issue, points, url
from tests.scenarios.conftest import World


@pytest.fixture(autouse=True)
def _postgresql_only(database_url: str) -> None:
    """Skipped before the world is built: SQLite has one writer at a time, concurrency is PostgreSQL's to prove."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")


async def test_concurrent_point_changes(world: World) -> None:
    await design(world)
    await issue(world, "aoi")
    clients = [world.env.new_client() for _ in range(4)]
    for c in clients:
        c.cookies = world.client.cookies
        c.headers["X-CSRF-Token"] = world.client.headers["X-CSRF-Token"]

    added = await asyncio.gather(
        *(points(world, clients[n % 4], member_number="EN000001", delta=10, reason=f"+{n}") for n in range(20))
    )
    assert [r.status_code for r in added] == [200] * 20
    card = (await world.client.get(url(world, f"/cards/{world.friends['aoi']}"))).json()
    assert card["points"] == 200

    spent = await asyncio.gather(
        *(points(world, clients[n % 4], member_number="EN000001", delta=-30, reason=f"-{n}") for n in range(10))
    )
    codes = sorted(r.status_code for r in spent)
    assert codes == [200] * 6 + [422] * 4, codes
    assert all(r.json()["errors"][0]["path"] == "$.delta" for r in spent if r.status_code == 422)
    card = (await world.client.get(url(world, f"/cards/{world.friends['aoi']}"))).json()
    assert card["points"] == 20
    history = (
        await world.client.get(url(world, f"/cards/{world.friends['aoi']}/history"), params={"limit": 200})
    ).json()
    assert len(history) == 26
    assert sum(h["points_delta"] for h in history) == 20
    # Each history row records the value its own statement produced, as in some serial order.
    after_adds = sorted(h["points_after"] for h in history if h["points_delta"] > 0)
    after_spends = sorted(h["points_after"] for h in history if h["points_delta"] < 0)
    assert after_adds == list(range(10, 201, 10))
    assert after_spends == [20, 50, 80, 110, 140, 170]
