"""Funnels: exact counts, conversion and drop-off per stage, by period and segment; saved funnels; bad params."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from enishi import Friend
from tests.scenarios.conftest import World

FOLLOWED = {
    "aoi": datetime(2026, 1, 10, 3, tzinfo=UTC),
    "ren": datetime(2026, 2, 5, 3, tzinfo=UTC),
    "yui": datetime(2026, 2, 20, 3, tzinfo=UTC),
    "kai": datetime(2026, 3, 1, 3, tzinfo=UTC),
    "mio": datetime(2026, 1, 31, 3, tzinfo=UTC),
}


async def add_friend(world: World, name: str) -> int:
    async with world.db.transaction(world.workspace_id) as s:
        friend = Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=name, status="following")
        s.add(friend)
        await s.flush()
        world.friends[name] = friend.id
    return friend.id


async def give(world: World, name: str, *tag_ids: int) -> None:
    for tag_id in tag_ids:
        url = f"/api/workspaces/{world.workspace_id}/tags/friends/{world.friends[name]}/{tag_id}"
        response = await world.client.put(url)
        assert response.status_code in (200, 201, 204), response.text


@pytest.fixture
async def tags(world: World) -> dict[str, int]:
    await add_friend(world, "kai")
    await add_friend(world, "mio")
    for name, moment in FOLLOWED.items():
        await world.set_friend(world.friends[name], followed_at=moment)
    ids = {name: await world.tag(name) for name in ("資料請求", "来店", "購入")}
    a, b, c = ids.values()
    await give(world, "aoi", a, b, c)
    await give(world, "ren", a, b)
    await give(world, "yui", a)
    await give(world, "mio", a, c)
    return ids


def stages(tags: dict[str, int]) -> list[dict[str, Any]]:
    return [{"type": "tags.has_tags", "config": {"tag_ids": [tag_id]}, "label": name} for name, tag_id in tags.items()]


async def run(world: World, params: dict[str, Any], status: int = 200) -> Any:
    url = f"/api/workspaces/{world.workspace_id}/reports/funnels.funnel/run"
    response = await world.client.post(url, json={"params": params})
    assert response.status_code == status, response.text
    return response.json()


def table(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    keys = ("friends", "conversion", "overall", "of_population", "drop_off", "drop_off_rate")
    return [tuple(row[k] for k in keys) for row in result["rows"]]


async def test_counts_conversion_drop_off_period_and_segment(world: World, tags: dict[str, int]) -> None:
    result = await run(world, {"stages": stages(tags)})
    assert result["chart"] == "funnel"
    assert [r["label"] for r in result["rows"]] == ["資料請求", "来店", "購入"]
    # 5 friends; 4 have 資料請求, 2 of them also 来店, 1 of those also 購入 (mio's 購入 without 来店 does not count).
    assert table(result) == [
        (4, 80.0, 100.0, 80.0, 1, 20.0),
        (2, 50.0, 50.0, 40.0, 2, 50.0),
        (1, 50.0, 25.0, 20.0, 1, 50.0),
    ]
    assert result["series"][0]["points"] == [["資料請求", 4.0], ["来店", 2.0], ["購入", 1.0]]

    # By follow period (whole days in the workspace's time zone) and by segment.
    february = await run(world, {"stages": stages(tags), "period": {"from": "2026-02-01", "to": "2026-02-28"}})
    assert table(february) == [
        (2, 100.0, 100.0, 100.0, 0, 0.0),
        (1, 50.0, 50.0, 50.0, 1, 50.0),
        (0, 0.0, 0.0, 0.0, 1, 100.0),
    ]
    buyers = {"all": [{"type": "tags.has_tags", "config": {"tag_ids": [tags["購入"]]}}]}
    result = await run(world, {"stages": stages(tags), "segment": buyers})
    assert [r["friends"] for r in result["rows"]] == [2, 1, 1]
    nobody = await run(world, {"stages": stages(tags), "period": {"from": "2025-01-01", "to": "2025-01-31"}})
    assert table(nobody)[0] == (0, None, None, None, 0, None)


async def test_bad_params_name_their_paths(world: World, tags: dict[str, int]) -> None:
    deleted = tags["来店"]
    response = await world.client.delete(f"/api/workspaces/{world.workspace_id}/tags/{deleted}")
    assert response.status_code in (200, 204), response.text
    body = await run(world, {"stages": stages(tags)}, 422)
    assert [e["path"] for e in body["errors"]] == ["$.params.stages[1].config.tag_ids[0]"]
    bad = [{"type": "nope.nothing", "config": {}}, {"type": "tags.has_tags", "config": {"tag_ids": "x"}}]
    body = await run(world, {"stages": bad, "period": {"from": "2026-02-01", "to": "2026-01-01"}}, 422)
    paths = [e["path"] for e in body["errors"]]
    assert paths[0] == "$.params.period.to"
    assert "$.params.stages[0].type" in paths and any(p.startswith("$.params.stages[1].config") for p in paths)
    body = await run(world, {"period": {}}, 422)
    assert body["errors"][0]["path"].startswith("$.params")
    await run(world, {"funnel_id": 999999}, 404)


async def test_saved_funnels_and_csv(world: World, tags: dict[str, int]) -> None:
    base = f"/api/workspaces/{world.workspace_id}/funnels"
    response = await world.client.post(base, json={"name": "購入まで", "stages": stages(tags)})
    assert response.status_code == 201, response.text
    funnel_id = response.json()["id"]
    assert (await world.client.post(base, json={"name": "購入まで", "stages": stages(tags)})).status_code == 409
    listed = (await world.client.get(base)).json()
    assert [f["name"] for f in listed] == ["購入まで"]
    result = await run(world, {"funnel_id": funnel_id})
    assert [r["friends"] for r in result["rows"]] == [4, 2, 1]
    response = await world.client.patch(f"{base}/{funnel_id}", json={"stages": stages(tags)[:2]})
    assert response.status_code == 200, response.text
    assert [r["friends"] for r in (await run(world, {"funnel_id": funnel_id}))["rows"]] == [4, 2]

    url = f"/api/workspaces/{world.workspace_id}/reports/funnels.funnel/export.csv"
    response = await world.client.post(url, json={"params": {"funnel_id": funnel_id}})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:3] == ["段階", "名前", "人数"]
    assert lines[1:] == ["1,資料請求,4,80.0,100.0,80.0,1,20.0", "2,来店,2,50.0,50.0,40.0,2,50.0"]

    await world.client.delete(f"/api/workspaces/{world.workspace_id}/tags/{tags['資料請求']}")
    response = await world.client.post(base, json={"name": "壊れた", "stages": stages(tags)})
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == ["$.stages[0].config.tag_ids[0]"]
    assert (await world.client.delete(f"{base}/{funnel_id}")).status_code == 204
    assert (await world.client.get(f"{base}/{funnel_id}")).status_code == 404
    catalog = (await world.client.get(f"/api/workspaces/{world.workspace_id}/reports")).json()
    funnel = next(r for r in catalog if r["key"] == "funnels.funnel")
    assert funnel["plugin"] == "funnels" and "stages" in funnel["params_schema"]["properties"]
    other = f"/api/workspaces/{world.other_workspace_id}"
    response = await world.client.post(f"{other}/reports/funnels.funnel/run", json={"params": {"funnel_id": 1}})
    assert response.status_code in (403, 404)  # not staff there
    assert (
        await world.client.post(f"/api/workspaces/{world.workspace_id}/reports/nope.nothing/run", json={})
    ).status_code == 404
