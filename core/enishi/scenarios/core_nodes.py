"""The node types the core itself provides: entry triggers on LINE events, waits, and scenario start/stop.

Plugins provide everything else (tags, marks, fields, messages …) through the registration hooks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import regex
from sqlalchemy import Select, select

from enishi.context import ActionContext, BulkActionContext, WorkspaceContext
from enishi.events import FRIEND_FOLLOWED, MESSAGE_RECEIVED, POSTBACK_RECEIVED
from enishi.labelled_choices import choices
from enishi.registry import Registered, Registry
from enishi.scenarios.engine import start_for_friend, start_for_friends, stop_for_friend, stop_for_friends
from enishi.scenarios.times import next_time_of_day, parse_time
from enishi.schema_validation import SchemaProblem
from enishi.text import Text
from enishi.types import NEXT, ActionType, DomainEvent, Port, TriggerType, WaitType

TIMEOUT = Port("timeout", Text("期限切れ", "Timed out"))
EVENT = Port("event", Text("発生した", "Happened"))
SKIPPED = Port("skipped", Text("日付なし・過去", "No date / past"))

DURATION_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "title": "時間 / Duration",
    "properties": {
        "days": {"type": "integer", "minimum": 0, "maximum": 3650, "default": 0, "title": "日 / Days"},
        "hours": {"type": "integer", "minimum": 0, "maximum": 23, "default": 0, "title": "時間 / Hours"},
        "minutes": {"type": "integer", "minimum": 0, "maximum": 59, "default": 0, "title": "分 / Minutes"},
    },
    "additionalProperties": False,
    "anyOf": [
        {"properties": {"days": {"minimum": 1}}, "required": ["days"]},
        {"properties": {"hours": {"minimum": 1}}, "required": ["hours"]},
        {"properties": {"minutes": {"minimum": 1}}, "required": ["minutes"]},
    ],
}
TIME_OF_DAY = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "title": "時刻 / Time (HH:MM)"}


def duration(config: Mapping[str, Any]) -> timedelta:
    return timedelta(days=config.get("days", 0), hours=config.get("hours", 0), minutes=config.get("minutes", 0))


# --- triggers ----------------------------------------------------------------------------------------------


def _followed_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    when = config.get("when", "both")
    unblocked = bool(event.data.get("unblocked"))
    return when == "both" or (when == "unblocked") == unblocked


friend_followed = TriggerType(
    name="friend_followed",
    permission="core.search_friends",
    label=Text("友だち追加されたとき", "When a friend adds the account"),
    description=Text(
        "新しく友だち追加されたとき、またはブロック解除されたときに開始します。",
        "Starts when someone adds the account as a friend, or unblocks it.",
    ),
    config_schema={
        "type": "object",
        "properties": {
            "when": {
                "type": "string",
                "title": "対象 / Which",
                **choices(
                    ("both", "新規とブロック解除 / New friends and unblocks"),
                    ("new", "新規の友だち追加のみ / New friends only"),
                    ("unblocked", "ブロック解除のみ / Unblocks only"),
                ),
                "default": "both",
            }
        },
        "additionalProperties": False,
    },
    listens_to=(FRIEND_FOLLOWED,),
    matches=_followed_matches,
)

# How a text is compared with the staff's patterns (a message trigger adds "any": every message).
TEXT_MATCHES = (
    ("exact", "完全一致 / Is exactly"),
    ("contains", "含む / Contains"),
    ("starts_with", "前方一致 / Starts with"),
    ("regex", "正規表現 / Regular expression"),
)
# Staff write these patterns and friends write the text: a pattern that backtracks without end (ReDoS) must not
# hold up the processing of a workspace's messages. The ``regex`` package stops a search after this long.
REGEX_TIMEOUT_SECONDS = 0.1
log = logging.getLogger(__name__)


def regex_search(pattern: str, text: str) -> bool:
    """Whether the staff-written ``pattern`` matches; one that takes too long (or was saved broken) does not."""
    try:
        return regex.search(pattern, text, timeout=REGEX_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        log.warning(
            "regular expression %r gave up after %ss on %d characters", pattern, REGEX_TIMEOUT_SECONDS, len(text)
        )
    except regex.error as exc:
        log.warning("regular expression %r does not compile: %s", pattern, exc)
    return False


def text_matches(mode: str, patterns: Sequence[str], text: str | None) -> bool:
    if mode == "any":
        return True
    if text is None:
        return False
    folded = text.strip().casefold()
    for pattern in patterns:
        p = pattern.strip().casefold()
        if (
            (mode == "exact" and folded == p)
            or (mode == "contains" and p in folded)
            or (mode == "starts_with" and folded.startswith(p))
            or (mode == "regex" and regex_search(pattern, text))
        ):
            return True
    return False


def _message_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    kinds = config.get("kinds") or ["text"]
    if event.data.get("kind") not in kinds:
        return False
    return text_matches(config.get("match", "any"), config.get("keywords") or [], event.data.get("text"))


def _check_patterns(config: Mapping[str, Any], field: str) -> list[SchemaProblem]:
    if config.get("match") != "regex":
        return []
    problems = []
    for i, pattern in enumerate(config.get(field) or []):
        try:
            regex.compile(pattern)  # the same engine that matches
        except regex.error as exc:
            problems.append(SchemaProblem(f"$.{field}[{i}]", f"正規表現が正しくありません / invalid regex: {exc}"))
    return problems


async def _check_message_config(ctx: WorkspaceContext, config: Mapping[str, Any]) -> list[SchemaProblem]:
    return _check_patterns(config, "keywords")


message_received = TriggerType(
    name="message_received",
    permission="core.search_friends",
    label=Text("メッセージを受信したとき", "When a message arrives"),
    description=Text(
        "友だちからメッセージが届いたときに開始します。キーワードで絞り込めます。",
        "Starts when a friend sends a message, optionally only for given keywords.",
    ),
    config_schema={
        "type": "object",
        "properties": {
            "match": {
                "type": "string",
                "title": "一致条件 / Match",
                **choices(("any", "すべてのメッセージ / Every message"), *TEXT_MATCHES),
                "default": "any",
            },
            "keywords": {
                "type": "array",
                "title": "キーワード / Keywords",
                "items": {"type": "string", "minLength": 1, "maxLength": 200},
                "maxItems": 50,
            },
            "kinds": {
                "type": "array",
                "title": "種類 / Kinds",
                "items": {
                    "type": "string",
                    **choices(
                        ("text", "テキスト / Text"),
                        ("image", "画像 / Image"),
                        ("video", "動画 / Video"),
                        ("audio", "音声 / Audio"),
                        ("file", "ファイル / File"),
                        ("location", "位置情報 / Location"),
                        ("sticker", "スタンプ / Sticker"),
                    ),
                },
                "uniqueItems": True,
                "default": ["text"],
            },
        },
        "additionalProperties": False,
        "if": {"properties": {"match": {"not": {"const": "any"}}}, "required": ["match"]},
        "then": {"required": ["keywords"], "properties": {"keywords": {"minItems": 1}}},
    },
    listens_to=(MESSAGE_RECEIVED,),
    matches=_message_matches,
    check_config=_check_message_config,
)


def _postback_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    return text_matches(config.get("match", "exact"), [config["data"]], event.data.get("text"))


async def _check_postback_config(ctx: WorkspaceContext, config: Mapping[str, Any]) -> list[SchemaProblem]:
    return [SchemaProblem("$.data", p.message) for p in _check_patterns({**config, "d": [config["data"]]}, "d")]


postback_received = TriggerType(
    name="postback_received",
    permission="core.search_friends",
    label=Text("ボタンが押されたとき(ポストバック)", "When a button is tapped (postback)"),
    description=Text(
        "ポストバックのデータが一致したときに開始します。",
        "Starts when a postback arrives whose data matches.",
    ),
    config_schema={
        "type": "object",
        "properties": {
            "data": {"type": "string", "minLength": 1, "maxLength": 300, "title": "データ / Data"},
            "match": {
                "type": "string",
                "title": "一致条件 / Match",
                **choices(*TEXT_MATCHES),
                "default": "exact",
            },
        },
        "required": ["data"],
        "additionalProperties": False,
    },
    listens_to=(POSTBACK_RECEIVED,),
    matches=_postback_matches,
    check_config=_check_postback_config,
)

manual_start = TriggerType(
    name="manual_start",
    label=Text("手動・一括・他のシナリオから開始", "Started by staff, in bulk or by another scenario"),
    description=Text(
        "スタッフの操作、一括操作、または「シナリオを開始」アクションで始まる入口です。",
        "The entry used when staff, a bulk operation or a 'start scenario' action starts this scenario.",
    ),
    listens_to=(),
    matches=lambda config, event: False,
)


# --- waits -------------------------------------------------------------------------------------------------


def _same_for_everyone(
    resume_at: Callable[[WorkspaceContext, int, Mapping[str, Any], datetime], Awaitable[datetime | None]],
) -> Callable[[WorkspaceContext, Sequence[int], Mapping[str, Any], datetime], Awaitable[dict[int, datetime | None]]]:
    """The set-based form of a wait whose end does not depend on the friend: computed once for the batch."""

    async def many(
        ctx: WorkspaceContext, friend_ids: Sequence[int], config: Mapping[str, Any], since: datetime
    ) -> dict[int, datetime | None]:
        if not friend_ids:
            return {}
        return dict.fromkeys(friend_ids, await resume_at(ctx, friend_ids[0], config, since))

    return many


async def _delay_until(ctx: WorkspaceContext, friend_id: int, config: Mapping[str, Any], since: datetime) -> datetime:
    return since + duration(config)


wait_delay = WaitType(
    name="wait_delay",
    label=Text("時間をおく", "Wait for a while"),
    description=Text("指定した時間が経ってから次へ進みます。", "Goes on after the given time."),
    config_schema={**DURATION_SCHEMA, "title": "待ち時間 / Wait"},
    resume_at=_delay_until,
    resume_at_many=_same_for_everyone(_delay_until),
)


async def _time_of_day(ctx: WorkspaceContext, friend_id: int, config: Mapping[str, Any], since: datetime) -> datetime:
    return next_time_of_day(since, ctx.tz, parse_time(config["time"]), config.get("days_after", 0))


wait_until_time = WaitType(
    name="wait_until_time",
    label=Text("日時を指定して待つ", "Wait until a day and time"),
    description=Text(
        "開始日から数えてN日後の指定時刻まで待ちます(0日後は次のその時刻)。時刻はワークスペースのタイムゾーン。",
        "Waits until the given time N days after the day the step was reached (day 0: the next such time), "
        "in the workspace's time zone.",
    ),
    config_schema={
        "type": "object",
        "properties": {
            "days_after": {"type": "integer", "minimum": 0, "maximum": 3650, "default": 0, "title": "N日後 / Day"},
            "time": TIME_OF_DAY,
        },
        "required": ["time"],
        "additionalProperties": False,
    },
    resume_at=_time_of_day,
    resume_at_many=_same_for_everyone(_time_of_day),
)

FIELD_REF = {
    "type": "object",
    "title": "日付の項目 / Date field",
    "properties": {
        "source": {"type": "string", "minLength": 3, "maxLength": 120, "title": "情報源 / Source"},
        "key": {"type": "string", "minLength": 1, "maxLength": 120, "title": "項目 / Field"},
    },
    "required": ["source", "key"],
    "additionalProperties": False,
}


def _as_datetime(value: Any, tz: Any, at: time | None) -> datetime | None:
    if isinstance(value, dict):  # a source may give {"value": ...}
        value = value.get("value")
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, at or time(0, 0), tzinfo=tz)
    elif isinstance(value, str):
        try:
            parsed = (
                datetime.fromisoformat(value)
                if "T" in value
                else datetime.combine(date.fromisoformat(value), at or time(0, 0), tzinfo=tz)
            )
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    if at is not None:
        local = parsed.astimezone(tz)
        parsed = datetime.combine(local.date(), at, tzinfo=tz)
    return parsed


async def _field_date(
    ctx: WorkspaceContext, friend_id: int, config: Mapping[str, Any], since: datetime
) -> datetime | None:
    return (await _field_dates(ctx, [friend_id], config, since))[friend_id]


async def _field_dates(
    ctx: WorkspaceContext, friend_ids: Sequence[int], config: Mapping[str, Any], since: datetime
) -> dict[int, datetime | None]:
    """Each friend's date from the field, with the offset: one load for the whole batch."""
    entry = ctx.host.registry.usable("friend_fields", config["field"]["source"], None, ctx.enabled_plugins)
    key = config["field"]["key"]
    values = await entry.item.load(ctx, list(friend_ids), [key])
    at = parse_time(config["time"]) if config.get("time") else None
    offset = timedelta(days=config.get("offset_days", 0), hours=config.get("offset_hours", 0))
    dues: dict[int, datetime | None] = {}
    for friend_id in friend_ids:
        base = _as_datetime((values.get(friend_id) or {}).get(key), ctx.tz, at)
        due = None if base is None else base + offset
        dues[friend_id] = None if due is None or due < since else due
    return dues


async def _check_field_ref(ctx: WorkspaceContext, config: Mapping[str, Any]) -> list[SchemaProblem]:
    source = config["field"]["source"]
    entry = ctx.host.registry.get("friend_fields", source)
    if entry is None or (entry.plugin != "core" and entry.plugin not in ctx.enabled_plugins):
        return [SchemaProblem("$.field.source", f"友だち情報の情報源 {source!r} は使えません / unknown field source")]
    keys = {d.key: d for d in await entry.item.describe(ctx)}
    descriptor = keys.get(config["field"]["key"])
    if descriptor is None:
        return [SchemaProblem("$.field.key", f"項目 {config['field']['key']!r} はありません / no such field")]
    schema = descriptor.value_schema
    formats = {schema.get("format")} | {s.get("format") for s in schema.get("anyOf", []) if isinstance(s, dict)}
    if not formats & {"date", "date-time"}:
        return [SchemaProblem("$.field.key", "日付・日時の項目を選んでください / choose a date or date-time field")]
    return []


wait_until_field_date = WaitType(
    name="wait_until_field_date",
    label=Text("友だち情報の日付まで待つ(リマインダ)", "Wait until a date in a friend field (reminder)"),
    description=Text(
        "友だち情報の日付(予約日など)の前後まで待ちます。日付が空か過ぎていれば「日付なし・過去」へ進みます。",
        "Waits until a date taken from a friend field, with an offset (e.g. the day before a booking). Without "
        "a date, or when it has passed, goes on through 'No date / past'.",
    ),
    config_schema={
        "type": "object",
        "properties": {
            "field": FIELD_REF,
            "offset_days": {"type": "integer", "minimum": -365, "maximum": 365, "default": 0, "title": "日数 / Days"},
            "offset_hours": {"type": "integer", "minimum": -23, "maximum": 23, "default": 0, "title": "時間 / Hours"},
            "time": {**TIME_OF_DAY, "title": "時刻(任意) / Time of day (optional)"},
        },
        "required": ["field"],
        "additionalProperties": False,
    },
    outputs=(NEXT, SKIPPED),
    resume_at=_field_date,
    resume_at_many=_field_dates,
    check_config=_check_field_ref,
)


async def _event_timeout(ctx: WorkspaceContext, friend_id: int, config: Mapping[str, Any], since: datetime) -> datetime:
    return since + duration(config["timeout"])


def _event_of(config: Mapping[str, Any]) -> tuple[str, int | None, Mapping[str, Any]]:
    event = config["event"]
    return event["type"], event.get("type_version"), event.get("config") or {}


wait_for_event = WaitType(
    name="wait_for_event",
    label=Text("出来事を待つ(期限つき)", "Wait for something to happen (with a time limit)"),
    description=Text(
        "期限までに指定した出来事(タグが付く、ボタンが押される等)があれば「発生した」へ、なければ「期限切れ」へ進みます。",
        "Goes on through 'Happened' as soon as the event occurs (a tag added, a button tapped …), or through "
        "'Timed out' when the time limit passes first.",
    ),
    config_schema={
        "type": "object",
        "properties": {
            "event": {
                "type": "object",
                "title": "出来事 / Event",
                "description": "トリガーの種類と設定 / a trigger type and its settings",
                "properties": {
                    "type": {"type": "string", "pattern": "^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$"},
                    "type_version": {"type": "integer", "minimum": 1},
                    "config": {"type": "object"},
                },
                "required": ["type", "type_version", "config"],
                "additionalProperties": False,
            },
            "timeout": {**DURATION_SCHEMA, "title": "期限 / Time limit"},
        },
        "required": ["event", "timeout"],
        "additionalProperties": False,
    },
    outputs=(TIMEOUT, EVENT),
    resume_at=_event_timeout,
    resume_at_many=_same_for_everyone(_event_timeout),
    event_of=_event_of,
)


# --- actions -----------------------------------------------------------------------------------------------

SCENARIO_REF = {
    "type": "object",
    "properties": {"scenario_id": {"type": "integer", "minimum": 1, "title": "シナリオ / Scenario"}},
    "required": ["scenario_id"],
    "additionalProperties": False,
}


async def _check_scenario_ref(ctx: WorkspaceContext, config: Mapping[str, Any]) -> list[SchemaProblem]:
    from enishi.models.scenarios import Scenario

    found = await ctx.session.scalar(select(Scenario.id).where(Scenario.id == config["scenario_id"]))
    if found is None:
        return [SchemaProblem("$.scenario_id", "そのシナリオはありません / no such scenario in this workspace")]
    return []


async def _run_start(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    run_id = await start_for_friend(ctx, config["scenario_id"], friend_id, source=ctx.source)
    return {"run_id": run_id, "started": run_id is not None}


async def _run_stop(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"stopped": await stop_for_friend(ctx, config["scenario_id"], friend_id)}


async def _run_start_bulk(ctx: BulkActionContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    """Runs started, in one INSERT … SELECT (friends already in the scenario, or blocked, are left out)."""
    return await start_for_friends(ctx, int(config["scenario_id"]), friend_ids, source=ctx.source)


async def _run_stop_bulk(ctx: BulkActionContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    """Runs ended, in one UPDATE."""
    return await stop_for_friends(ctx, int(config["scenario_id"]), friend_ids)


start_scenario = ActionType(
    name="start_scenario",
    permission="core.write",
    label=Text("シナリオを開始", "Start a scenario"),
    description=Text(
        "友だちを別のシナリオに登録します(公開中のシナリオのみ。すでに実行中なら何もしません)。",
        "Starts another (published) scenario for the friend; nothing happens if it is already running.",
    ),
    config_schema=SCENARIO_REF,
    run=_run_start,
    run_bulk=_run_start_bulk,
    check_config=_check_scenario_ref,
)

stop_scenario = ActionType(
    name="stop_scenario",
    permission="core.write",
    label=Text("シナリオを停止", "Stop a scenario"),
    description=Text("友だちの実行中のシナリオを終了します。", "Ends the friend's run of the scenario."),
    config_schema=SCENARIO_REF,
    run=_run_stop,
    run_bulk=_run_stop_bulk,
    check_config=_check_scenario_ref,
)

CORE_NODES: tuple[tuple[str, Any], ...] = (
    ("triggers", friend_followed),
    ("triggers", message_received),
    ("triggers", postback_received),
    ("triggers", manual_start),
    ("waits", wait_delay),
    ("waits", wait_until_time),
    ("waits", wait_until_field_date),
    ("waits", wait_for_event),
    ("actions", start_scenario),
    ("actions", stop_scenario),
)


def register_core_nodes(registry: Registry) -> None:
    from enishi.version import CORE_API_VERSION

    for kind, item in CORE_NODES:
        registry.add(
            kind, Registered(key=f"core.{item.name}", plugin="core", plugin_version=CORE_API_VERSION, item=item)
        )
