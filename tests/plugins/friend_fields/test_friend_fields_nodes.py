"""The friend_fields nodes and friend field source against the real database: condition SQL for every operator
family, the set_field action (literal, date expressions in the workspace's time zone, increment, clear, bulk),
trigger matching and config checks with paths."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from enishi_friend_fields import fields, kinds, nodes
from enishi_friend_fields.events import FIELD_CHANGED
from sqlalchemy import select

from enishi import DomainEvent, Friend, InvalidConfig, check_node_config, evaluate_condition

if TYPE_CHECKING:
    from tests.plugins.friend_fields.conftest import World

# 01:00 on 11 March 2026 in Tokyo, still 10 March in UTC: "today" depends on the workspace's time zone.
NOW = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
COMPARE = "friend_fields.field_compare"


async def segment(world: World, config: Mapping[str, Any], timezone: str = "Asia/Tokyo") -> set[str]:
    """The friends (by name) a field_compare condition selects, as a segment query in a scoped session."""
    ctx = world.context(timezone=timezone, now=NOW)
    async with ctx.session:
        expression = nodes.compile_field_compare(ctx, config)
        ids = set(await ctx.session.scalars(select(Friend.id).where(expression)))
    names = {v: k for k, v in world.friends.items()}
    return {names.get(i, str(i)) for i in ids}


async def ok(world: World, **values: Any) -> None:
    for name, friend_values in values.items():
        response = await world.set(name, **friend_values)
        assert response.status_code == 200, response.text
    world.recorder.take()


async def test_text_operators_and_emptiness(world: World) -> None:
    await world.field("nickname")
    await ok(world, aoi={"nickname": "Aoi Tanaka"}, ren={"nickname": "れん_100%"})
    # The other workspace has a friend with the same key and value: never selected here.
    await world.field("nickname", workspace_id=world.other_workspace_id)
    assert (await world.set(world.stranger, world.other_workspace_id, nickname="Aoi Tanaka")).status_code == 200

    def c(operator: str, **operand: Any) -> dict[str, Any]:
        return {"key": "nickname", "operator": operator, **operand}

    assert await segment(world, c("equals", value="Aoi Tanaka")) == {"aoi"}
    assert await segment(world, c("equals", value="aoi tanaka")) == set()  # equality is exact
    assert await segment(world, c("not_equals", value="Aoi Tanaka")) == {"ren", "yui"}  # yui has no value
    assert await segment(world, c("contains", value="TANAKA")) == {"aoi"}  # text search ignores case
    assert await segment(world, c("contains", value="_100%")) == {"ren"}
    assert await segment(world, c("contains", value="%")) == {"ren"}  # LIKE wildcards are literal
    assert await segment(world, c("contains", value="_")) == {"ren"}
    assert await segment(world, c("not_contains", value="tanaka")) == {"ren", "yui"}
    assert await segment(world, c("starts_with", value="aoi")) == {"aoi"}
    assert await segment(world, c("starts_with", value="Tanaka")) == set()
    assert await segment(world, c("in", values=["れん_100%", "x"])) == {"ren"}
    assert await segment(world, c("not_in", values=["れん_100%"])) == {"aoi", "yui"}
    assert await segment(world, c("is_empty")) == {"yui"}
    assert await segment(world, c("is_not_empty")) == {"aoi", "ren"}

    # The same expression as a scenario branch for one friend.
    ctx = world.context(now=NOW)
    async with ctx.session:
        branch = {
            name: await evaluate_condition(ctx, COMPARE, None, fid, c("contains", value="tanaka"))
            for name, fid in world.friends.items()
        }
    assert branch == {"aoi": True, "ren": False, "yui": False}


async def test_choice_operators(world: World) -> None:
    await world.field("rank", "select", options=["gold", "silver", "50%_off"])
    await world.field("hobbies", "multi_select", options=["釣り", "料理", "旅行", "a_b"])
    await ok(
        world,
        aoi={"rank": "gold", "hobbies": ["釣り", "料理"]},
        ren={"rank": "50%_off", "hobbies": ["料理", "a_b"]},
        yui={"hobbies": ["旅行"]},
    )
    assert await segment(world, {"key": "rank", "operator": "equals", "value": "gold"}) == {"aoi"}
    assert await segment(world, {"key": "rank", "operator": "not_equals", "value": "gold"}) == {"ren", "yui"}
    assert await segment(world, {"key": "rank", "operator": "in", "values": ["gold", "50%_off"]}) == {"aoi", "ren"}
    assert await segment(world, {"key": "rank", "operator": "not_in", "values": ["gold"]}) == {"ren", "yui"}

    def h(operator: str, *values: str) -> dict[str, Any]:
        return {"key": "hobbies", "operator": operator, "values": list(values)}

    assert await segment(world, h("has_any", "釣り", "旅行")) == {"aoi", "yui"}
    assert await segment(world, h("has_all", "釣り", "料理")) == {"aoi"}
    assert await segment(world, h("has_all", "料理")) == {"aoi", "ren"}
    assert await segment(world, h("has_none", "料理")) == {"yui"}
    assert await segment(world, h("has_any", "a_b")) == {"ren"}
    assert await segment(world, h("has_any", "a")) == set()  # whole options only, never a part of one
    assert await segment(world, {"key": "hobbies", "operator": "is_empty"}) == set()


async def test_number_operators(world: World) -> None:
    await world.field("visits", "number")
    [newcomer] = await world.add_friends(1)
    await ok(world, aoi={"visits": 3}, ren={"visits": 10.5}, yui={"visits": -2})

    def n(operator: str, **operand: Any) -> dict[str, Any]:
        return {"key": "visits", "operator": operator, **operand}

    assert await segment(world, n("gt", value=3)) == {"ren"}
    assert await segment(world, n("gte", value=3)) == {"aoi", "ren"}
    assert await segment(world, n("lt", value=0)) == {"yui"}
    assert await segment(world, n("lte", value=3)) == {"aoi", "yui"}
    assert await segment(world, n("between", min=-2, max=3)) == {"aoi", "yui"}
    assert await segment(world, n("equals", value=10.5)) == {"ren"}
    assert await segment(world, n("equals", value=3.0)) == {"aoi"}
    assert await segment(world, n("not_equals", value=3)) == {"ren", "yui", str(newcomer)}
    assert await segment(world, n("is_empty")) == {str(newcomer)}


async def test_date_operators_relative_to_today_in_the_workspace_time_zone(world: World) -> None:
    await world.field("visit_day", "date")
    [old] = await world.add_friends(1)
    # Today is 2026-03-11 in Tokyo (2026-03-10 in UTC).
    await ok(world, aoi={"visit_day": "2026-03-11"}, ren={"visit_day": "2026-03-08"}, yui={"visit_day": "2026-03-14"})
    assert (await world.set(old, visit_day="1990-03-25")).status_code == 200

    def d(operator: str, **operand: Any) -> dict[str, Any]:
        return {"key": "visit_day", "operator": operator, **operand}

    assert await segment(world, d("days_from_today", days=0)) == {"aoi"}
    assert await segment(world, d("days_from_today", days=-3)) == {"ren"}
    assert await segment(world, d("days_from_today", days=3)) == {"yui"}
    assert await segment(world, d("days_from_today", days=0), timezone="UTC") == set()  # 10 March in UTC
    assert await segment(world, d("days_from_today", days=1), timezone="UTC") == {"aoi"}
    assert await segment(world, d("within_last_days", days=3)) == {"aoi", "ren"}
    assert await segment(world, d("within_last_days", days=2)) == {"aoi"}
    assert await segment(world, d("within_next_days", days=3)) == {"aoi", "yui"}
    assert await segment(world, d("more_than_days_ago", days=2)) == {"ren", str(old)}
    assert await segment(world, d("more_than_days_ahead", days=2)) == {"yui"}
    assert await segment(world, d("before", value="2026-03-11")) == {"ren", str(old)}
    assert await segment(world, d("after", value="2026-03-11")) == {"yui"}
    assert await segment(world, d("equals", value="2026-03-11")) == {"aoi"}
    assert await segment(world, d("not_equals", value="2026-03-11")) == {"ren", "yui", str(old)}
    assert await segment(world, d("gte", value="2026-03-11")) == {"aoi", "yui"}
    assert await segment(world, d("between", min="2026-03-08", max="2026-03-11")) == {"aoi", "ren"}
    assert await segment(world, d("month_is", month=3)) == {"aoi", "ren", "yui", str(old)}
    assert await segment(world, d("month_is", month=4)) == set()
    assert await segment(world, d("in_current_month")) == {"aoi", "ren", "yui"}


async def test_datetime_operators_by_local_day_and_by_now(world: World) -> None:
    await world.field("last_visit", "datetime")
    # Now is 2026-03-11 01:00 in Tokyo.
    await ok(
        world,
        aoi={"last_visit": "2026-03-11T00:30:00+09:00"},  # half an hour ago
        ren={"last_visit": "2026-03-09T23:59:00+09:00"},
        yui={"last_visit": "2026-03-12T00:00:00Z"},  # 09:00 tomorrow in Tokyo
    )

    def t(operator: str, **operand: Any) -> dict[str, Any]:
        return {"key": "last_visit", "operator": operator, **operand}

    assert await segment(world, t("days_from_today", days=0)) == {"aoi"}
    assert await segment(world, t("equals", value="2026-03-11")) == {"aoi"}  # a date: the local day
    assert await segment(world, t("equals", value="2026-03-10")) == set()
    assert await segment(world, t("equals", value="2026-03-10"), timezone="UTC") == {"aoi"}
    assert await segment(world, t("equals", value="2026-03-10T15:30:00Z")) == {"aoi"}  # an instant
    assert await segment(world, t("within_last_days", days=1)) == {"aoi"}  # since 10 March 00:00, until now
    assert await segment(world, t("within_last_days", days=2)) == {"aoi", "ren"}
    assert await segment(world, t("within_next_days", days=1)) == {"yui"}
    assert await segment(world, t("within_next_days", days=0)) == set()
    assert await segment(world, t("more_than_days_ago", days=0)) == {"ren"}
    assert await segment(world, t("more_than_days_ahead", days=0)) == {"yui"}
    assert await segment(world, t("gt", value="2026-03-11T00:00:00+09:00")) == {"aoi", "yui"}
    assert await segment(world, t("before", value="2026-03-11")) == {"ren"}
    assert await segment(world, t("after", value="2026-03-11")) == {"yui"}
    assert await segment(world, t("lte", value="2026-03-11")) == {"aoi", "ren"}
    assert await segment(world, t("between", min="2026-03-10", max="2026-03-11")) == {"aoi"}
    assert await segment(world, t("in_current_month")) == {"aoi", "ren", "yui"}


async def test_address_and_file_operators(world: World) -> None:
    await world.field("address", "postal_address")
    await world.field("doc", "file")
    await ok(
        world,
        aoi={"address": {"postal_code": "100-0001", "prefecture": "東京都", "city": "千代田区", "line1": "千代田1-1"}},
        ren={
            "address": {
                "postal_code": "600-8216",
                "prefecture": "京都府",
                "city": "京都市下京区",
                "line2": "東京都ビル",
            }
        },
    )
    response = await world.client.put(
        world.url(f"/friends/{world.friends['ren']}/files/doc"),
        files={"file": ("領収書.pdf", b"%PDF", "application/pdf")},
    )
    assert response.status_code == 200, response.text

    def a(operator: str, **operand: Any) -> dict[str, Any]:
        return {"key": "address", "operator": operator, **operand}

    assert await segment(world, a("in", values=["東京都"])) == {"aoi"}  # not ren, whose building is 東京都ビル
    assert await segment(world, a("in", values=["京都府", "大阪府"])) == {"ren"}
    assert await segment(world, a("not_in", values=["東京都"])) == {"ren", "yui"}
    assert await segment(world, a("contains", value="千代田区千代田")) == {"aoi"}
    assert await segment(world, a("contains", value="東京都")) == {"aoi", "ren"}
    assert await segment(world, a("starts_with", value="600")) == {"ren"}
    assert await segment(world, {"key": "doc", "operator": "is_not_empty"}) == {"ren"}
    assert await segment(world, {"key": "doc", "operator": "contains", "value": "領収書"}) == {"ren"}


async def test_a_deleted_field_selects_nobody_positively_and_everybody_negatively(world: World) -> None:
    memo = await world.field("memo")
    await ok(world, aoi={"memo": "x"})
    assert (await world.client.delete(world.url(f"/fields/{memo['id']}?force=true"))).status_code == 204
    assert await segment(world, {"key": "memo", "operator": "equals", "value": "x"}) == set()
    assert await segment(world, {"key": "memo", "operator": "is_not_empty"}) == set()
    assert await segment(world, {"key": "memo", "operator": "not_equals", "value": "x"}) == {"aoi", "ren", "yui"}
    assert await segment(world, {"key": "memo", "operator": "is_empty"}) == {"aoi", "ren", "yui"}


async def problems(world: World, kind: str, key: str, config: Any) -> list[tuple[str, str]]:
    ctx = world.context(now=NOW)
    async with ctx.session:
        found = await check_node_config(ctx, kind, key, None, config)  # type: ignore[arg-type]
    return [(p.path, p.message) for p in found]


async def problem_paths(world: World, kind: str, key: str, config: Any) -> list[str]:
    return [path for path, _ in await problems(world, kind, key, config)]


async def test_field_compare_check_config(world: World) -> None:
    await world.field("nickname")
    await world.field("email", "email")
    await world.field("visits", "number")
    await world.field("birthday", "date")
    await world.field("rank", "select", options=["gold", "silver"])
    await world.field("hobbies", "multi_select", options=["釣り"])
    await world.field("address", "postal_address")
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"key": "nickname", "operator": "contains", "value": "a"}, []),
        ({"key": "gone", "operator": "is_empty"}, ["$.key"]),
        ({"key": "nickname", "operator": "gt", "value": 3}, ["$.operator"]),
        ({"key": "hobbies", "operator": "equals", "value": "釣り"}, ["$.operator"]),
        ({"key": "visits", "operator": "contains", "value": "1"}, ["$.operator"]),
        ({"key": "visits", "operator": "gt", "value": "3"}, ["$.value"]),
        ({"key": "birthday", "operator": "before", "value": "2026-02-30"}, ["$.value"]),
        ({"key": "birthday", "operator": "after", "value": 20260101}, ["$.value"]),
        ({"key": "birthday", "operator": "within_last_days", "days": -1}, ["$.days"]),
        ({"key": "birthday", "operator": "days_from_today", "days": -1}, []),
        ({"key": "birthday", "operator": "between", "min": "2026-03-01", "max": "2026-02-01"}, ["$.max"]),
        ({"key": "visits", "operator": "between", "min": 1, "max": "x"}, ["$.max"]),
        ({"key": "rank", "operator": "in", "values": ["gold", "platinum"]}, ["$.values[1]"]),
        ({"key": "rank", "operator": "equals", "value": "platinum"}, ["$.value"]),
        ({"key": "hobbies", "operator": "has_all", "values": ["登山"]}, ["$.values[0]"]),
        ({"key": "address", "operator": "in", "values": ["東京"]}, ["$.values[0]"]),
        ({"key": "email", "operator": "equals", "value": "not-an-email"}, ["$.value"]),
        ({"key": "nickname", "operator": "contains", "value": "  "}, ["$.value"]),
        # The schema: operands each operator needs, unknown operators and properties.
        ({"key": "nickname", "operator": "equals"}, ["$.value"]),
        ({"key": "visits", "operator": "between", "min": 1}, ["$.max"]),
        ({"key": "birthday", "operator": "month_is", "month": 13}, ["$.month"]),
        ({"key": "nickname", "operator": "sounds_like", "value": "x"}, ["$.operator"]),
        ({"key": "Nick", "operator": "is_empty"}, ["$.key"]),
        ({"key": "nickname", "operator": "is_empty", "extra": 1}, ["$.extra"]),
    ]
    for config, expected in cases:
        assert await problem_paths(world, "conditions", COMPARE, config) == expected, config
    [(_, message)] = await problems(world, "conditions", COMPARE, {"key": "nickname", "operator": "gt", "value": 1})
    assert "contains" in message  # the message lists the operators that do apply


async def test_set_field_and_trigger_check_config(world: World) -> None:
    await world.field("visits", "number")
    await world.field("rank", "select", options=["gold"])
    await world.field("birthday", "date")
    await world.field("doc", "file")
    await world.field("email", "email", required=True)
    action, trigger = "friend_fields.set_field", "friend_fields.field_changed"
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"key": "rank", "value": "gold"}, []),
        ({"key": "gone", "value": "x"}, ["$.key"]),
        ({"key": "rank", "value": "platinum"}, ["$.value"]),
        ({"key": "visits", "value": "many"}, ["$.value"]),
        ({"key": "rank", "value": ""}, ["$.value"]),
        ({"key": "doc", "value": {"file_id": 1}}, ["$.value"]),
        ({"key": "doc", "clear": True}, []),
        ({"key": "email", "clear": True}, ["$.clear"]),
        ({"key": "rank", "expression": {"increment": 1}}, ["$.expression.increment"]),
        ({"key": "visits", "expression": {"now_plus": {"days": 3}}}, ["$.expression.now_plus"]),
        ({"key": "birthday", "expression": {"today_plus": {"days": -1}}}, []),
        ({"key": "visits", "expression": {"increment": -2.5}}, []),
        ({"key": "visits"}, ["$"]),
        ({"key": "visits", "value": 1, "clear": True}, ["$"]),
        ({"key": "visits", "expression": {"increment": 0}}, ["$.expression.increment"]),
        ({"key": "visits", "expression": {"now_plus": {}}}, ["$.expression"]),
        ({"key": "visits", "clear": False}, ["$.clear"]),
    ]
    for config, expected in cases:
        found = await problem_paths(world, "actions", action, config)
        assert found[:1] == expected[:1] and bool(found) == bool(expected), (config, found)
    assert await problem_paths(world, "triggers", trigger, {"keys": ["rank", "gone"]}) == ["$.keys[1]"]
    assert await problem_paths(world, "triggers", trigger, {"keys": ["rank"], "to_equals": "platinum"}) == [
        "$.to_equals"
    ]
    assert await problem_paths(world, "triggers", trigger, {"keys": []}) == ["$.keys"]
    assert (
        await problem_paths(world, "triggers", trigger, {"keys": ["rank"], "change": "set", "sources": ["scenario"]})
        == []
    )


async def test_set_field_action_for_one_friend(world: World) -> None:
    f = world.friends
    await world.field("visit_day", "date")
    await world.field("reserved_at", "datetime")
    await world.field("rank", "select", options=["gold", "silver"])
    await world.field("points", "number")
    ctx = world.action_context(source="scenario", now=NOW)
    async with ctx.session.begin():
        assert await nodes.run_set_field(ctx, f["aoi"], {"key": "rank", "value": "gold"}) == {
            "key": "rank",
            "changed": True,
            "value": "gold",
        }
        assert (await nodes.run_set_field(ctx, f["aoi"], {"key": "rank", "value": "gold"}))["changed"] is False
        # now + 3 days in Asia/Tokyo: 01:00 on 14 March there (it is still 10 March in UTC).
        three_days = {"now_plus": {"days": 3}}
        day = await nodes.run_set_field(ctx, f["aoi"], {"key": "visit_day", "expression": three_days})
        assert day["value"] == "2026-03-14"
        moment = await nodes.run_set_field(ctx, f["aoi"], {"key": "reserved_at", "expression": three_days})
        assert moment["value"] == "2026-03-14T01:00:00+09:00"
        tomorrow = {"today_plus": {"days": 1}}
        assert (await nodes.run_set_field(ctx, f["ren"], {"key": "visit_day", "expression": tomorrow}))[
            "value"
        ] == "2026-03-12"
        midnight = await nodes.run_set_field(ctx, f["ren"], {"key": "reserved_at", "expression": tomorrow})
        assert midnight["value"] == "2026-03-12T00:00:00+09:00"
        hours = {"now_plus": {"hours": -2, "minutes": 30}}
        assert (await nodes.run_set_field(ctx, f["yui"], {"key": "reserved_at", "expression": hours}))["value"] == (
            "2026-03-10T23:30:00+09:00"
        )
        assert (await nodes.run_set_field(ctx, f["aoi"], {"key": "points", "expression": {"increment": 5}}))[
            "value"
        ] == 5
        assert (await nodes.run_set_field(ctx, f["aoi"], {"key": "points", "expression": {"increment": 2.5}}))[
            "value"
        ] == 7.5
        assert (await nodes.run_set_field(ctx, f["aoi"], {"key": "rank", "clear": True}))["changed"] is True
        with pytest.raises(LookupError):
            await nodes.run_set_field(ctx, world.stranger, {"key": "rank", "value": "gold"})
    in_utc = world.action_context(source="scenario", now=NOW, timezone="UTC")
    async with in_utc.session.begin():
        day = await nodes.run_set_field(in_utc, f["yui"], {"key": "visit_day", "expression": {"now_plus": {"days": 3}}})
    assert day["value"] == "2026-03-13"
    assert await world.values("aoi") == {
        "visit_day": "2026-03-14",
        "reserved_at": "2026-03-14T01:00:00+09:00",
        "points": 7.5,
    }
    events = world.recorder.take()
    assert events[0] == (f["aoi"], "rank", None, "gold", "scenario")
    assert (f["aoi"], "points", 5, 7.5, "scenario") in events and (f["aoi"], "rank", "gold", None, "scenario") in events
    assert len(events) == 10  # the repeated "gold" announced nothing

    # A deleted field is skipped; a value that no longer fits its field fails the step with the reason.
    rank = next(x for x in (await world.client.get(world.url("/fields"))).json() if x["key"] == "rank")
    await world.client.patch(world.url(f"/fields/{rank['id']}"), json={"options": ["silver"]})
    ctx = world.action_context(now=NOW)
    async with ctx.session.begin():
        with pytest.raises(InvalidConfig) as refused:
            await nodes.run_set_field(ctx, f["ren"], {"key": "rank", "value": "gold"})
        assert refused.value.problems[0].path == "$.value"
        skipped = await nodes.run_set_field(ctx, f["ren"], {"key": "gone", "value": "x"})
    assert skipped == {"key": "gone", "changed": False, "skipped": "the field was deleted"}


async def test_set_field_in_bulk(world: World) -> None:
    f = world.friends
    await world.field("points", "number")
    await world.field("campaign")
    everyone = select(Friend.id)  # the scoped session limits it to the workspace
    await ok(world, aoi={"points": 999_999_999_999}, ren={"points": -3})
    ctx = world.context(now=NOW)
    async with ctx.session.begin():
        assert await nodes.run_set_field_bulk(ctx, everyone, {"key": "campaign", "value": "春"}) == 3
        assert await nodes.run_set_field_bulk(ctx, everyone, {"key": "campaign", "value": "春"}) == 0
        # aoi would leave the allowed range and is skipped; yui had no value and starts from 0.
        assert await nodes.run_set_field_bulk(ctx, everyone, {"key": "points", "expression": {"increment": 10}}) == 2
        assert await nodes.run_set_field_bulk(ctx, everyone, {"key": "gone", "clear": True}) == 0
    assert [await world.values(n) for n in ("aoi", "ren", "yui")] == [
        {"points": 999_999_999_999, "campaign": "春"},
        {"points": 7, "campaign": "春"},
        {"points": 10, "campaign": "春"},
    ]
    assert sorted(e for e in world.recorder.take() if e[1] == "points") == sorted(
        [(f["ren"], "points", -3, 7, "bulk"), (f["yui"], "points", None, 10, "bulk")]
    )
    # Numbers changed in SQL compare and sort like numbers set by hand.
    assert await segment(world, {"key": "points", "operator": "equals", "value": 7}) == {"ren"}
    assert await sorted_by(world, "points") == ["ren", "yui", "aoi"]
    async with ctx.session.begin():
        assert await nodes.run_set_field_bulk(ctx, everyone, {"key": "points", "expression": {"increment": -8.5}}) == 3
    assert await sorted_by(world, "points") == ["ren", "yui", "aoi"]  # -1.5, 1.5, …
    assert (await world.values("ren"))["points"] == -1.5
    assert await segment(world, {"key": "points", "operator": "lt", "value": 0}) == {"ren"}


async def sorted_by(world: World, key: str) -> list[str]:
    ctx = world.context()
    async with ctx.session:
        column = fields.column(ctx, key)
        ids = list(await ctx.session.scalars(select(Friend.id).order_by(column, Friend.id)))
    names = {v: k for k, v in world.friends.items()}
    return [names[i] for i in ids]


def event(key: str, new: Any, source: str = "manual") -> DomainEvent:
    data = {"field_id": 1, "key": key, "old": None, "new": new, "source": source}
    return DomainEvent(name=FIELD_CHANGED, workspace_id=1, friend_id=1, occurred_at=NOW, data=data)


def test_trigger_matching() -> None:
    matches = nodes.field_changed_matches
    assert matches({"keys": ["rank"]}, event("rank", "gold"))
    assert not matches({"keys": ["rank"]}, event("plan", "gold"))
    assert matches({"keys": ["rank"], "to_equals": "gold"}, event("rank", "gold"))
    assert not matches({"keys": ["rank"], "to_equals": "gold"}, event("rank", "silver"))
    assert matches({"keys": ["t"], "to_equals": "2026-03-10T16:00:00Z"}, event("t", "2026-03-11T01:00:00+09:00"))
    assert matches({"keys": ["h"], "to_equals": ["料理", "釣り"]}, event("h", ["釣り", "料理"]))
    assert not matches({"keys": ["h"], "to_equals": ["料理"]}, event("h", ["釣り", "料理"]))
    assert matches({"keys": ["n"], "to_equals": 3}, event("n", 3.0))
    assert matches({"keys": ["rank"], "change": "set"}, event("rank", "gold"))
    assert not matches({"keys": ["rank"], "change": "set"}, event("rank", None))
    assert matches({"keys": ["rank"], "change": "cleared"}, event("rank", None))
    assert not matches({"keys": ["rank"], "sources": ["manual"]}, event("rank", "gold", "scenario"))
    assert matches({"keys": ["rank"], "sources": ["manual", "bulk"]}, event("rank", "gold", "bulk"))


async def test_friend_field_source(world: World) -> None:
    await world.field("birthday", "date", label="誕生日", label_en="Birthday", sort_order=1)
    await world.field("nickname", label="ニックネーム", sort_order=0)
    await world.field("hobbies", "multi_select", options=["釣り"], sort_order=2)
    await ok(
        world,
        aoi={"birthday": "2001-02-03", "nickname": "あお"},
        ren={"birthday": "1999-12-31", "hobbies": ["釣り"]},
        yui={"birthday": "2010-01-01"},
    )
    ctx = world.context()
    async with ctx.session:
        described = await fields.describe(ctx)
        loaded = await fields.load(
            ctx, [world.friends["aoi"], world.friends["ren"], world.stranger], ["birthday", "hobbies"]
        )
    assert [(d.key, d.label.ja, d.label.en, d.sortable) for d in described] == [
        ("nickname", "ニックネーム", "ニックネーム", True),
        ("birthday", "誕生日", "Birthday", True),
        ("hobbies", "hobbies", "hobbies", False),
    ]
    assert described[1].value_schema == {"title": "birthday", "type": "string", "format": "date"}
    assert loaded == {
        world.friends["aoi"]: {"birthday": "2001-02-03"},
        world.friends["ren"]: {"birthday": "1999-12-31", "hobbies": ["釣り"]},
    }
    assert await sorted_by(world, "birthday") == ["ren", "aoi", "yui"]
    assert await sorted_by(world, "gone") == ["aoi", "ren", "yui"]  # NULL for everyone: by id
    assert (
        kinds.display({"postal_code": "100-0001", "prefecture": "東京都", "city": "千代田区"})
        == "〒100-0001 東京都千代田区"
    )
