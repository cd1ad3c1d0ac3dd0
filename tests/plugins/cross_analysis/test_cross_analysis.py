"""Cross analysis: exact matrices (cells, row and column totals, percentages) over tags, field options, number
ranges, age groups, follow months and conditions; segment filter; CSV; bad params with their paths."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from enishi import Friend
from enishi.models import Workspace
from tests.scenarios.conftest import World

FOLLOWED = {
    "aoi": datetime(2026, 1, 10, 3, tzinfo=UTC),
    "ren": datetime(2026, 2, 5, 3, tzinfo=UTC),
    "yui": datetime(2026, 2, 20, 3, tzinfo=UTC),
    "kai": datetime(2026, 3, 1, 3, tzinfo=UTC),
    "mio": datetime(2026, 1, 31, 3, tzinfo=UTC),
}


@dataclass
class Data:
    world: World
    seminar: int
    buyer: int

    async def run(self, params: dict[str, Any], status: int = 200) -> Any:
        url = f"/api/workspaces/{self.world.workspace_id}/reports/cross_analysis.cross/run"
        response = await self.world.client.post(url, json={"params": params})
        assert response.status_code == status, response.text
        return response.json()


def born(today: date, age: int) -> str:
    return (today.replace(year=today.year - age) - timedelta(days=10)).isoformat()


@pytest.fixture
async def data(world: World) -> Data:
    w = f"/api/workspaces/{world.workspace_id}"
    async with world.db.transaction(world.workspace_id) as s:
        for name in ("kai", "mio"):
            friend = Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=name, status="following")
            s.add(friend)
            await s.flush()
            world.friends[name] = friend.id
    for name, moment in FOLLOWED.items():
        await world.set_friend(world.friends[name], followed_at=moment)
    seminar, buyer = await world.tag("セミナー"), await world.tag("購入")
    for name, tags in {"aoi": (seminar, buyer), "ren": (seminar,), "yui": (buyer,), "mio": (seminar, buyer)}.items():
        for tag_id in tags:
            response = await world.client.put(f"{w}/tags/friends/{world.friends[name]}/{tag_id}")
            assert response.status_code == 200, response.text
    for field in (
        {"key": "plan", "label": "プラン", "type": "select", "options": ["松", "竹", "梅"]},
        {"key": "visits", "label": "来店回数", "type": "number"},
        {"key": "birthday", "label": "誕生日", "type": "date"},
    ):
        response = await world.client.post(f"{w}/friend_fields/fields", json=field)
        assert response.status_code == 201, response.text
    async with world.db.session() as s:
        tz = await s.scalar(select(Workspace.timezone).where(Workspace.id == world.workspace_id))
    today = datetime.now(ZoneInfo(tz or "Asia/Tokyo")).date()
    values = {
        "aoi": {"plan": "松", "visits": 3, "birthday": born(today, 25)},
        "ren": {"plan": "竹", "visits": 12, "birthday": born(today, 35)},
        "yui": {"plan": "松", "visits": 7, "birthday": born(today, 19)},
        "kai": {"visits": 0, "birthday": born(today, 45)},
        "mio": {"plan": "梅"},
    }
    for name, given in values.items():
        response = await world.client.patch(f"{w}/friend_fields/friends/{world.friends[name]}", json={"values": given})
        assert response.status_code == 200, response.text
    return Data(world, seminar, buyer)


def grid(result: dict[str, Any]) -> list[list[Any]]:
    """[row label, cells…, total] per row, counts only."""
    keys = [c["key"] for c in result["columns"] if c["type"] == "integer"]
    return [[row["row"], *(row[k] for k in keys)] for row in result["rows"]]


def shares(result: dict[str, Any]) -> list[list[Any]]:
    keys = [c["key"] for c in result["columns"] if c["type"] == "percent"]
    return [[row[k] for k in keys] for row in result["rows"]]


async def test_tags_options_ranges_and_age_groups(data: Data) -> None:
    result = await data.run(
        {
            "rows": {"kind": "tags", "tag_ids": [data.seminar, data.buyer], "labels": ["セミナー", "購入"]},
            "columns": {"kind": "field_options", "key": "plan"},
        }
    )
    assert result["chart"] == "heatmap"
    assert [c["label"]["ja"] for c in result["columns"] if c["type"] == "integer"] == [
        "松",
        "竹",
        "梅",
        "該当なし",
        "合計",
    ]
    # A friend with both tags counts in both rows; row totals are friends, the grand total is everybody.
    assert grid(result) == [
        ["セミナー", 1, 1, 1, 0, 3],
        ["購入", 2, 0, 1, 0, 3],
        ["該当なし", 0, 0, 0, 1, 1],
        ["合計", 2, 1, 1, 1, 5],
    ]
    assert shares(result) == [
        [33.3, 33.3, 33.3, 0.0, 60.0],
        [66.7, 0.0, 33.3, 0.0, 60.0],
        [0.0, 0.0, 0.0, 100.0, 20.0],
        [40.0, 20.0, 20.0, 20.0, 100.0],
    ]
    assert result["series"][1]["points"] == [["松", 2.0], ["竹", 0.0], ["梅", 1.0], ["該当なし", 0.0]]

    # Number ranges by age groups (from a birth date), then only friends still following.
    params: dict[str, Any] = {
        "rows": {"kind": "field_ranges", "key": "visits", "bounds": [5, 10]},
        "columns": {"kind": "age", "key": "birthday", "bounds": [20, 30, 40]},
    }
    result = await data.run(params)
    labels = [c["label"]["ja"] for c in result["columns"] if c["type"] == "integer"]
    assert labels == ["19歳以下", "20〜29歳", "30〜39歳", "40歳以上", "該当なし", "合計"]
    assert grid(result) == [
        ["5未満", 0, 1, 0, 1, 0, 2],
        ["5〜10未満", 1, 0, 0, 0, 0, 1],
        ["10以上", 0, 0, 1, 0, 0, 1],
        ["該当なし", 0, 0, 0, 0, 1, 1],
        ["合計", 1, 1, 1, 1, 1, 5],
    ]
    following = await data.run({**params, "following_only": True})  # yui blocked the account
    assert grid(following)[1] == ["5〜10未満", 0, 0, 0, 0, 0, 0]
    assert grid(following)[-1] == ["合計", 0, 1, 1, 1, 1, 4]
    assert shares(following)[1] == [None, None, None, None, None, 0.0]

    # Assignee (staff names from the core) by a tag.
    w = f"/api/workspaces/{data.world.workspace_id}"
    [owner] = (await data.world.client.get(f"{w}/assignment/staff")).json()
    for name in ("aoi", "mio"):
        url = f"{w}/assignment/friends/{data.world.friends[name]}"
        assert (await data.world.client.put(url, json={"user_id": owner["user_id"]})).status_code == 200
    by_assignee = await data.run(
        {
            "rows": {"kind": "assignee", "user_ids": [owner["user_id"]]},
            "columns": {"kind": "tags", "tag_ids": [data.seminar], "labels": ["セミナー"], "include_none": False},
        }
    )
    assert grid(by_assignee) == [["オーナー", 2, 2], ["該当なし", 1, 3], ["合計", 3, 5]]


async def test_follow_months_conditions_marks_csv_and_switched_off(data: Data) -> None:
    buyers = {"label": "購入者", "type": "tags.has_tags", "config": {"tag_ids": [data.buyer]}}
    params: dict[str, Any] = {
        "rows": {"kind": "follow_month", "include_none": False},
        "columns": {"kind": "conditions", "buckets": [buyers], "include_none": False},
    }
    assert grid(await data.run(params)) == [
        ["2026-01", 2, 2],
        ["2026-02", 1, 2],
        ["2026-03", 0, 1],
        ["合計", 3, 5],
    ]
    seminar = {"all": [{"type": "tags.has_tags", "config": {"tag_ids": [data.seminar]}}]}
    assert grid(await data.run({**params, "segment": seminar})) == [
        ["2026-01", 2, 2],
        ["2026-02", 0, 1],
        ["合計", 2, 3],
    ]

    url = f"/api/workspaces/{data.world.workspace_id}/reports/cross_analysis.cross/export.csv"
    response = await data.world.client.post(url, json={"params": params})
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "区分,購入者,購入者 (%),合計,合計 (%)",
        "2026-01,2,100.0,2,40.0",
        "2026-02,1,50.0,2,40.0",
        "2026-03,0,0.0,1,20.0",
        "合計,3,60.0,5,100.0",
    ]

    # Response marks (through the marks plugin's condition) by tags; then with the marks plugin switched off.
    w = f"/api/workspaces/{data.world.workspace_id}"
    marks = {m["label"]: m["id"] for m in (await data.world.client.get(f"{w}/response_marks/marks")).json()}
    for name, label in (("aoi", "要対応"), ("ren", "要対応"), ("kai", "対応済")):
        url = f"{w}/response_marks/friends/{data.world.friends[name]}"
        assert (await data.world.client.put(url, json={"mark_id": marks[label]})).status_code == 200
    by_mark: dict[str, Any] = {
        "rows": {"kind": "marks", "mark_ids": [marks["要対応"], marks["対応済"]], "labels": ["要対応", "対応済"]},
        "columns": {"kind": "tags", "tag_ids": [data.seminar], "labels": ["セミナー"], "include_none": False},
    }
    assert grid(await data.run(by_mark)) == [
        ["要対応", 2, 2],
        ["対応済", 0, 1],
        ["該当なし", 1, 2],
        ["合計", 3, 5],
    ]
    assert (await data.world.client.put(f"{w}/plugins/response_marks", json={"enabled": False})).status_code == 200
    body = await data.run(by_mark, 422)
    assert {e["path"] for e in body["errors"]} == {"$.params.rows.kind"}
    assert (await data.world.client.put(f"{w}/plugins/cross_analysis", json={"enabled": False})).status_code == 200
    await data.run(by_mark, 404)
    catalog = (await data.world.client.get(f"{w}/reports")).json()
    assert "cross_analysis.cross" not in {r["key"] for r in catalog}


async def test_bad_params_name_their_paths(data: Data) -> None:
    w = f"/api/workspaces/{data.world.workspace_id}"
    response = await data.world.client.delete(f"{w}/tags/{data.buyer}")
    assert response.status_code in (200, 204), response.text
    body = await data.run(
        {
            "rows": {"kind": "tags", "tag_ids": [data.seminar, data.buyer]},
            "columns": {"kind": "field_options", "key": "nope"},
        },
        422,
    )
    assert [e["path"] for e in body["errors"]] == ["$.params.rows.tag_ids[1]", "$.params.columns.key"]
    body = await data.run(
        {
            "rows": {"kind": "field_ranges", "key": "visits", "bounds": [10, 5]},
            "columns": {
                "kind": "conditions",
                "buckets": [{"label": "x", "type": "tags.has_tags", "config": {"tag_ids": [data.buyer]}}],
            },
            "segment": {"all": [{"type": "tags.has_tags", "config": {"tag_ids": [data.buyer]}}]},
        },
        422,
    )
    assert [e["path"] for e in body["errors"]] == [
        "$.params.rows.bounds[1]",
        "$.params.columns.buckets[0].config.tag_ids[0]",
        "$.params.segment.all[0].config.tag_ids[0]",
    ]
    body = await data.run(
        {"rows": {"kind": "field_options", "key": "visits"}, "columns": {"kind": "age", "key": "plan", "bounds": [20]}},
        422,
    )
    assert [e["path"] for e in body["errors"]] == ["$.params.rows.key", "$.params.columns.key"]
    body = await data.run({"rows": {"kind": "field_options", "key": "plan", "options": ["菊"]}, "columns": {}}, 422)
    assert body["errors"][0]["path"].startswith("$.params.columns")
    body = await data.run(
        {"rows": {"kind": "field_options", "key": "plan", "options": ["菊"]}, "columns": {"kind": "follow_month"}},
        422,
    )
    assert [e["path"] for e in body["errors"]] == ["$.params.rows.options[0]"]
    many = [{"label": f"{i}", "type": "tags.has_tags", "config": {"tag_ids": [data.seminar]}} for i in range(60)]
    wide = {"kind": "conditions", "buckets": many}
    body = await data.run({"rows": wide, "columns": wide}, 422)
    assert [e["path"] for e in body["errors"]] == ["$.params.columns"]
