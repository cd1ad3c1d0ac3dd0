"""Scenario building blocks: a trigger (and the event it listens to), an action and a condition.

Config schemas are JSON Schema Draft 2020-12 objects. The core validates every saved config against them (formats
included) before a node runs, and the builder renders its form from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from sqlalchemy import ColumnElement, Select, exists

from enishi import (
    ActionContext,
    ActionType,
    ConditionType,
    DomainEvent,
    EventType,
    Text,
    TriggerType,
    WorkspaceContext,
)
from enishi.models.friends import Friend

from . import store
from .models import Birthday

# The domain event this plugin publishes on a friend's birthday (namespaced like everything it registers),
# declared in the events catalogue with the data it carries.
BIRTHDAY_TODAY = "birthday.birthday_today"


class BirthdayTodayData(TypedDict):
    birthday: str  # "YYYY-MM-DD"
    month: int  # 1-12
    day: int  # 1-31


birthday_today_event = EventType(
    name="birthday_today",
    description=Text("今日が友だちの誕生日", "Today is the friend's birthday"),
    data=BirthdayTodayData,
)

MONTH_SCHEMA: Mapping[str, Any] = {"type": "integer", "minimum": 1, "maximum": 12}


# --- trigger -----------------------------------------------------------------------------------------------

TRIGGER_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "months": {
            "type": "array",
            "title": "Only in these months (empty = every month)",
            "items": MONTH_SCHEMA,
            "uniqueItems": True,
        }
    },
    "additionalProperties": False,
}


def birthday_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    """Every birthday matches unless the config narrows it to some months."""
    months = config.get("months") or ()
    return not months or event.data.get("month") in months


birthday_today = TriggerType(
    name="birthday_today",
    permission="core.search_friends",
    label=Text("誕生日当日", "On the friend's birthday"),
    description=Text("友だちの誕生日にシナリオを開始します。", "Starts the scenario on a friend's birthday."),
    config_schema=TRIGGER_CONFIG,
    listens_to=(BIRTHDAY_TODAY,),
    matches=birthday_matches,
)


# --- action ------------------------------------------------------------------------------------------------

SET_BIRTHDAY_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {"date": {"type": "string", "format": "date", "title": "Birthday (YYYY-MM-DD)"}},
    "required": ["date"],
    "additionalProperties": False,
}


async def run_set_birthday(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    birthday = store.parse_birthday(config["date"], store.today_in(ctx))
    if not await store.set_birthday(ctx, friend_id, birthday):
        raise LookupError(f"friend {friend_id} is not in workspace {ctx.workspace_id}")
    return {"birthday": birthday.isoformat()}


async def run_set_birthday_bulk(ctx: WorkspaceContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    # One statement for any number of friends: bulk operations must never loop over friends in Python.
    return await store.set_birthdays(ctx, friend_ids, store.parse_birthday(config["date"], store.today_in(ctx)))


set_birthday = ActionType(
    name="set_birthday",
    # What a user needs to use it in a scenario or a bulk operation: the same as setting a birthday by hand.
    permission="birthday.manage",
    label=Text("誕生日を登録", "Set birthday"),
    description=Text("友だちの誕生日を登録・上書きします。", "Records or overwrites the friend's birthday."),
    config_schema=SET_BIRTHDAY_CONFIG,
    run=run_set_birthday,
    run_bulk=run_set_birthday_bulk,
)


# --- condition ---------------------------------------------------------------------------------------------

IN_MONTH_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {"month": {**MONTH_SCHEMA, "title": "Month"}},
    "required": ["month"],
    "additionalProperties": False,
}


def compile_in_month(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    """Correlated with ``friends.id``, so one expression serves a single friend's branch and a whole segment.

    No workspace filter is needed: friend ids are unique across workspaces and the outer query is scoped.
    """
    return exists().where(Birthday.friend_id == Friend.id, store.birth_month() == int(config["month"]))


birthday_in_month = ConditionType(
    name="birthday_in_month",
    permission="core.search_friends",
    label=Text("誕生月", "Birthday in month"),
    description=Text("誕生日が指定の月にある友だち", "Friends whose birthday is in the given month."),
    config_schema=IN_MONTH_CONFIG,
    compile=compile_in_month,
)
