"""Scenario and segment building blocks: the field_changed trigger, the set_field action and the field_compare
condition.

Configs name fields by key, the name staff see in message variables ({{field.birthday}}); keys never change, so
a saved scenario keeps working while the field exists. ``check_config`` reports keys of deleted fields and
operators or values that do not fit the field's type, with paths such as ``$.key`` or ``$.values[1]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, extract, false, or_, select

from enishi import (
    ActionContext,
    ActionType,
    ConditionType,
    DomainEvent,
    Friend,
    InvalidConfig,
    SchemaProblem,
    Text,
    TriggerType,
    WorkspaceContext,
    choices,
)
from enishi_friend_fields import kinds, service
from enishi_friend_fields.events import FIELD_CHANGED
from enishi_friend_fields.kinds import (
    DATE,
    DATETIME,
    FILE,
    MULTI_SELECT,
    NEGATIVE,
    NUMBER,
    OPERAND_OF,
    OPERATORS_BY_TYPE,
    POSTAL_ADDRESS,
    PREFECTURES,
    SELECT,
    is_number,
    parse_day,
    parse_moment,
    start_of,
)
from enishi_friend_fields.models import FieldDefinition, FieldValue

MAX_KEYS_PER_TRIGGER = 50
UTC_ZONE = ZoneInfo("UTC")
DAYS_LIMIT = 36_500

KEY_SCHEMA: Mapping[str, Any] = {
    "type": "string",
    "title": "項目 / Field",
    "description": "友だち情報欄のキー(例: birthday) / the field's key (e.g. birthday)",
    "pattern": kinds.KEY_PATTERN,
}
LITERAL_SCHEMA: Mapping[str, Any] = {
    "title": "値 / Value",
    "type": ["string", "number", "array", "object"],
}
OPERAND_SCHEMA: Mapping[str, Any] = {"type": ["string", "number"], "maxLength": kinds.TEXT_MAX}


def _one_value_operand(ops: Sequence[str], name: str) -> dict[str, Any]:
    return {
        "if": {"properties": {"operator": {"enum": list(ops)}}, "required": ["operator"]},
        "then": {"required": [name]},
    }


FIELD_COMPARE_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "key": KEY_SCHEMA,
        "operator": {
            "type": "string",
            "title": "条件 / Operator",
            **choices(*((op, kinds.OPERATOR_LABELS[op]) for op in kinds.ALL_OPERATORS)),
        },
        "value": {**OPERAND_SCHEMA, "title": "値 / Value"},
        "values": {
            "type": "array",
            "title": "値(複数) / Values",
            "items": {"type": "string", "minLength": 1, "maxLength": kinds.OPTION_MAX},
            "minItems": 1,
            "maxItems": kinds.OPTIONS_MAX,
            "uniqueItems": True,
        },
        "min": {**OPERAND_SCHEMA, "title": "下限 / From"},
        "max": {**OPERAND_SCHEMA, "title": "上限 / To"},
        "days": {
            "type": "integer",
            "title": "日数 / Days",
            "minimum": -DAYS_LIMIT,
            "maximum": DAYS_LIMIT,
            "description": "days_from_today では負の数で過去 / negative = past for days_from_today",
        },
        "month": {"type": "integer", "title": "月 / Month", "minimum": 1, "maximum": 12},
    },
    "required": ["key", "operator"],
    "additionalProperties": False,
    "allOf": [
        _one_value_operand([op for op, need in OPERAND_OF.items() if need == "value"], "value"),
        _one_value_operand([op for op, need in OPERAND_OF.items() if need == "values"], "values"),
        {
            "if": {"properties": {"operator": {"const": "between"}}, "required": ["operator"]},
            "then": {"required": ["min", "max"]},
        },
        _one_value_operand([op for op, need in OPERAND_OF.items() if need == "days"], "days"),
        _one_value_operand(["month_is"], "month"),
    ],
}

FIELD_CHANGED_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "keys": {
            "type": "array",
            "title": "項目 / Fields",
            "items": KEY_SCHEMA,
            "minItems": 1,
            "maxItems": MAX_KEYS_PER_TRIGGER,
            "uniqueItems": True,
        },
        "change": {
            "type": "string",
            "title": "変化 / Change",
            **choices(
                ("any", "すべての変化 / Any change"),
                ("set", "値が入ったとき / Got a value"),
                ("cleared", "空になったとき / Was emptied"),
            ),
            "default": "any",
        },
        "to_equals": {**LITERAL_SCHEMA, "title": "変更後の値がこの値のとき / Only when the new value equals"},
        "sources": {
            "type": "array",
            "title": "変更元 / Changed by",
            "description": "manual, bulk, scenario, form … 空なら全て / empty = any",
            "items": {"type": "string", "pattern": "^[a-z][a-z0-9_.]{0,31}$"},
            "uniqueItems": True,
            "maxItems": 20,
        },
    },
    "required": ["keys"],
    "additionalProperties": False,
}

DELTA_DAYS = {"type": "integer", "title": "日 / Days", "minimum": -DAYS_LIMIT, "maximum": DAYS_LIMIT}
SET_FIELD_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "key": KEY_SCHEMA,
        "value": LITERAL_SCHEMA,
        "expression": {
            "type": "object",
            "title": "計算 / Expression",
            "oneOf": [
                {
                    "title": "現在日時から / From now",
                    "properties": {
                        "now_plus": {
                            "type": "object",
                            "properties": {
                                "days": DELTA_DAYS,
                                "hours": {
                                    "type": "integer",
                                    "title": "時間 / Hours",
                                    "minimum": -876_000,
                                    "maximum": 876_000,
                                },
                                "minutes": {
                                    "type": "integer",
                                    "title": "分 / Minutes",
                                    "minimum": -52_560_000,
                                    "maximum": 52_560_000,
                                },
                            },
                            "minProperties": 1,
                            "additionalProperties": False,
                        }
                    },
                    "required": ["now_plus"],
                    "additionalProperties": False,
                },
                {
                    "title": "今日から / From today",
                    "properties": {
                        "today_plus": {
                            "type": "object",
                            "properties": {"days": DELTA_DAYS},
                            "required": ["days"],
                            "additionalProperties": False,
                        }
                    },
                    "required": ["today_plus"],
                    "additionalProperties": False,
                },
                {
                    "title": "加算 / Increment",
                    "properties": {
                        "increment": {
                            "type": "number",
                            "title": "増やす量 / Amount",
                            "minimum": -kinds.NUMBER_LIMIT,
                            "maximum": kinds.NUMBER_LIMIT,
                            "not": {"const": 0},
                        }
                    },
                    "required": ["increment"],
                    "additionalProperties": False,
                },
            ],
        },
        "clear": {"type": "boolean", "const": True, "title": "空にする / Clear"},
    },
    "required": ["key"],
    "additionalProperties": False,
    "oneOf": [{"required": ["value"]}, {"required": ["expression"]}, {"required": ["clear"]}],
}


# --- looking fields up -------------------------------------------------------------------------------------


def field_id_of(ctx: WorkspaceContext, key: str) -> ColumnElement[Any]:
    """The id of the workspace's field ``key`` as a scalar subquery (NULL once the field is deleted)."""
    return (
        select(FieldDefinition.id)
        .where(FieldDefinition.workspace_id == ctx.workspace_id, FieldDefinition.key == key)
        .scalar_subquery()
    )


def _unknown_key(path: str, key: str) -> SchemaProblem:
    return SchemaProblem(path, f"項目「{key}」がありません(削除された可能性があります) / no field {key!r}")


def _type_name(field: FieldDefinition) -> str:
    ja, en = kinds.TYPE_LABELS[field.type]
    return f"「{field.label}」({ja} / {en})"


# --- trigger -----------------------------------------------------------------------------------------------


def same_value(a: Any, b: Any) -> bool:
    """Equal as field values: date-times by instant, multiple choices as sets, numbers by value."""
    if isinstance(a, str) and isinstance(b, str) and a != b:
        moments = [parse_moment(v, UTC_ZONE) for v in (a, b)]
        return all(m is not None for m in moments) and moments[0] == moments[1]
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and set(map(str, a)) == set(map(str, b))
    return bool(a == b)


def field_changed_matches(config: Mapping[str, Any], event: DomainEvent) -> bool:
    data = event.data
    if data.get("key") not in set(config.get("keys") or ()):
        return False
    sources = config.get("sources") or ()
    if sources and data.get("source") not in sources:
        return False
    change = config.get("change", "any")
    if change == "set" and data.get("new") is None:
        return False
    if change == "cleared" and data.get("new") is not None:
        return False
    return "to_equals" not in config or same_value(data.get("new"), config["to_equals"])


async def check_field_changed(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    keys = list(config.get("keys") or ())
    fields = await service.definitions_by_key(ctx, keys)
    problems = [_unknown_key(f"$.keys[{i}]", k) for i, k in enumerate(keys) if k not in fields]
    if "to_equals" in config:
        for field in fields.values():
            problems += _literal_problems(ctx, field, config["to_equals"], "$.to_equals")
    return problems


field_changed = TriggerType(
    name="field_changed",
    permission="core.search_friends",
    label=Text("友だち情報が変わったとき", "When a friend field changes"),
    description=Text(
        "指定した友だち情報欄の値が変わったときに開始します(同じ値での上書きでは開始しません)。",
        "Starts when the value of one of the fields changes (not when it is overwritten with the same value).",
    ),
    config_schema=FIELD_CHANGED_CONFIG,
    ui_schema={"ui:order": ["keys", "change", "to_equals", "sources"]},
    listens_to=(FIELD_CHANGED,),
    matches=field_changed_matches,
    check_config=check_field_changed,
)


# --- action ------------------------------------------------------------------------------------------------


def _literal_problems(ctx: WorkspaceContext, field: FieldDefinition, value: Any, path: str) -> list[SchemaProblem]:
    if field.type == FILE:
        return [SchemaProblem(path, "ファイルはアップロードでのみ設定できます / files are set by uploading them")]
    stored, problems = kinds.normalize(field, value, ctx.tz, path)
    if problems:
        return problems
    if stored is None:
        return [SchemaProblem(path, "空の値は「空にする」を使ってください / to empty a field, use clear")]
    return []


async def check_set_field(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    field = (await service.definitions_by_key(ctx, [config["key"]])).get(config["key"])
    if field is None:
        return [_unknown_key("$.key", config["key"])]
    if "value" in config:
        return _literal_problems(ctx, field, config["value"], "$.value")
    expression = config.get("expression") or {}
    if "increment" in expression and field.type != NUMBER:
        return [
            SchemaProblem("$.expression.increment", f"{_type_name(field)}は数値ではありません / not a number field")
        ]
    for name in ("now_plus", "today_plus"):
        if name in expression and field.type not in (DATE, DATETIME):
            return [
                SchemaProblem(f"$.expression.{name}", f"{_type_name(field)}は日付ではありません / not a date field")
            ]
    if config.get("clear") and field.required:
        return [SchemaProblem("$.clear", f"{_type_name(field)}は必須のため空にできません / the field is required")]
    return []


def expression_value(ctx: WorkspaceContext, field: FieldDefinition, expression: Mapping[str, Any]) -> Any:
    """The value a date expression stands for now, in the workspace's time zone (ctx.tz)."""
    local_now = ctx.now.astimezone(ctx.tz)
    if "now_plus" in expression:
        delta = expression["now_plus"]
        moment = local_now + timedelta(
            days=delta.get("days", 0), hours=delta.get("hours", 0), minutes=delta.get("minutes", 0)
        )
        return moment.date().isoformat() if field.type == DATE else moment.replace(microsecond=0).isoformat()
    day = local_now.date() + timedelta(days=expression["today_plus"]["days"])
    return day.isoformat() if field.type == DATE else start_of(day, ctx.tz).isoformat()


async def _field_for(ctx: WorkspaceContext, config: Mapping[str, Any]) -> FieldDefinition | None:
    """The configured field, or None once it is deleted (the action then does nothing, like a deleted tag).

    A value that no longer fits the field (its options changed since the scenario was saved) is an error the
    run reports, rather than something silently skipped.
    """
    field = (await service.definitions_by_key(ctx, [config["key"]])).get(config["key"])
    if field is None:
        return None
    problems = await check_set_field(ctx, config)
    if problems:
        raise InvalidConfig(list(problems))
    return field


async def _set(
    ctx: WorkspaceContext, friends: Select[Any], field: FieldDefinition, config: Mapping[str, Any], source: str
) -> service.FieldChange:
    expression = config.get("expression") or {}
    if "increment" in expression:
        return await service.apply_increment(ctx, friends, field, expression["increment"], source=source)
    if config.get("clear"):
        return await service.apply(ctx, friends, field, None, source=source)
    raw = config["value"] if "value" in config else expression_value(ctx, field, expression)
    stored, problems = kinds.normalize(field, raw, ctx.tz, "$.value")
    if problems or stored is None:
        raise InvalidConfig(problems or [SchemaProblem("$.value", "empty")])
    return await service.apply(ctx, friends, field, stored, source=source)


async def run_set_field(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    # The scoped session does not find another workspace's friend, exactly like a missing one.
    if await ctx.session.get(Friend, friend_id) is None:
        raise LookupError(f"friend {friend_id} is not in workspace {ctx.workspace_id}")
    field = await _field_for(ctx, config)
    if field is None:
        return {"key": config["key"], "changed": False, "skipped": "the field was deleted"}
    change = await _set(ctx, service.one_friend(friend_id), field, config, ctx.source)
    value = (await service.values_of(ctx, [friend_id], [field.key])).get(friend_id, {}).get(field.key)
    return {"key": field.key, "changed": change.friends > 0, "value": value}


async def run_set_field_bulk(ctx: WorkspaceContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    """How many friends' value changed (friends who already had the value are not counted)."""
    field = await _field_for(ctx, config)
    if field is None:
        return 0
    return (await _set(ctx, friend_ids, field, config, "bulk")).friends


set_field = ActionType(
    name="set_field",
    permission="friend_fields.edit",
    label=Text("友だち情報を設定", "Set a friend field"),
    description=Text(
        "友だち情報欄に値を入れます。固定の値、今日や現在日時からの日付、数値の加算、または空にする。",
        "Sets a friend field: a fixed value, a date from today or now, adding to a number, or clearing it.",
    ),
    config_schema=SET_FIELD_CONFIG,
    ui_schema={"ui:order": ["key", "value", "expression", "clear"]},
    run=run_set_field,
    run_bulk=run_set_field_bulk,
    check_config=check_set_field,
)


# --- condition ---------------------------------------------------------------------------------------------


def compile_field_compare(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    """Correlated with ``friends.id``: one expression for a single friend's branch and for a whole segment.

    The field is found by key in SQL, so the expression needs no lookup first; a deleted field has no values,
    so positive conditions find nobody and negative ones everybody. Every typed column but the field type's own
    is NULL, so a comparison written for several types (a date operand against value_date and value_datetime)
    only ever matches on the one that applies.
    """
    operator = config["operator"]
    base = (FieldValue.friend_id == Friend.id, FieldValue.field_id == field_id_of(ctx, config["key"]))
    if operator == "is_empty":
        return ~exists().where(*base)
    if operator == "is_not_empty":
        return exists().where(*base)
    if operator not in OPERAND_OF:
        raise ValueError(f"unknown operator {operator!r}")
    found = exists().where(*base, _predicate(ctx, NEGATIVE.get(operator, operator), config))
    return ~found if operator in NEGATIVE else found


def _operand(config: Mapping[str, Any], name: str) -> Any:
    if name not in config:
        raise ValueError(f"the operator {config['operator']!r} needs {name!r}")
    return config[name]


def _predicate(ctx: WorkspaceContext, operator: str, config: Mapping[str, Any]) -> ColumnElement[bool]:
    v = FieldValue
    if operator == "equals":
        return _equals(ctx, _operand(config, "value"))
    if operator == "contains":
        return v.value_text.icontains(str(_operand(config, "value")), autoescape=True)
    if operator == "starts_with":
        return v.value_text.istartswith(str(_operand(config, "value")), autoescape=True)
    if operator == "in":
        values = list(_operand(config, "values"))
        prefectures = [v.value_text.like(kinds.prefecture_like(p)) for p in values if p in PREFECTURES]
        return or_(v.value_text.in_(values), *prefectures)
    if operator in ("has_any", "has_all"):
        held = [
            v.value_key.contains(f"\n{kinds.escape_choice(o)}\n", autoescape=True) for o in _operand(config, "values")
        ]
        return or_(*held) if operator == "has_any" else and_(*held)
    if operator in ("gt", "gte", "lt", "lte", "before", "after"):
        return _compare(ctx, {"before": "lt", "after": "gt"}.get(operator, operator), _operand(config, "value"))
    if operator == "between":
        return and_(_compare(ctx, "gte", _operand(config, "min")), _compare(ctx, "lte", _operand(config, "max")))
    if operator == "month_is":
        return extract("month", v.value_date) == int(_operand(config, "month"))
    return _relative(ctx, operator, config)


def _equals(ctx: WorkspaceContext, value: Any) -> ColumnElement[bool]:
    v = FieldValue
    if is_number(value):
        return v.value_number == value
    options: list[ColumnElement[bool]] = [v.value_text == str(value)]
    day = parse_day(value)
    if day is not None:
        options += [v.value_date == day, _moment_within(ctx, day, day)]
    moment = parse_moment(value, ctx.tz)
    if moment is not None:
        options.append(v.value_datetime == moment)
    return or_(*options)


def _compare(ctx: WorkspaceContext, operator: str, value: Any) -> ColumnElement[bool]:
    """Numbers against value_number; a date against value_date and, by whole local days, value_datetime."""
    v = FieldValue
    if is_number(value):
        return _cmp(v.value_number, operator, value)
    day = parse_day(value)
    if day is not None:
        tz = ctx.tz
        by_day = {
            "gt": v.value_datetime >= start_of(day + timedelta(days=1), tz),
            "gte": v.value_datetime >= start_of(day, tz),
            "lt": v.value_datetime < start_of(day, tz),
            "lte": v.value_datetime < start_of(day + timedelta(days=1), tz),
        }[operator]
        return or_(_cmp(v.value_date, operator, day), by_day)
    moment = parse_moment(value, ctx.tz)
    if moment is not None:
        return _cmp(v.value_datetime, operator, moment)
    return false()


def _cmp(column: Any, operator: str, operand: Any) -> ColumnElement[bool]:
    if operator == "gt":
        return column > operand
    if operator == "gte":
        return column >= operand
    if operator == "lt":
        return column < operand
    return column <= operand


def _moment_within(ctx: WorkspaceContext, first: date, last: date) -> ColumnElement[bool]:
    """value_datetime falls on one of the local days first..last."""
    return and_(
        FieldValue.value_datetime >= start_of(first, ctx.tz),
        FieldValue.value_datetime < start_of(last + timedelta(days=1), ctx.tz),
    )


def _relative(ctx: WorkspaceContext, operator: str, config: Mapping[str, Any]) -> ColumnElement[bool]:
    """Operators relative to today in the workspace's time zone; date-times compare by local day or by now."""
    v = FieldValue
    today = service.today_in(ctx)
    now: datetime = ctx.now
    if operator == "in_current_month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        last = following - timedelta(days=1)
        return or_(and_(v.value_date >= first, v.value_date <= last), _moment_within(ctx, first, last))
    days = int(_operand(config, "days"))
    if operator == "within_last_days":
        first = today - timedelta(days=days)
        return or_(
            and_(v.value_date >= first, v.value_date <= today),
            and_(v.value_datetime >= start_of(first, ctx.tz), v.value_datetime <= now),
        )
    if operator == "within_next_days":
        last = today + timedelta(days=days)
        return or_(
            and_(v.value_date >= today, v.value_date <= last),
            and_(v.value_datetime >= now, v.value_datetime < start_of(last + timedelta(days=1), ctx.tz)),
        )
    if operator == "more_than_days_ago":
        limit = today - timedelta(days=days)
        return or_(v.value_date < limit, v.value_datetime < start_of(limit, ctx.tz))
    if operator == "more_than_days_ahead":
        limit = today + timedelta(days=days)
        return or_(v.value_date > limit, v.value_datetime >= start_of(limit + timedelta(days=1), ctx.tz))
    if operator == "days_from_today":
        day = today + timedelta(days=days)
        return or_(v.value_date == day, _moment_within(ctx, day, day))
    raise ValueError(f"unknown operator {operator!r}")


async def check_field_compare(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    field = (await service.definitions_by_key(ctx, [config["key"]])).get(config["key"])
    if field is None:
        return [_unknown_key("$.key", config["key"])]
    operator = config["operator"]
    allowed = OPERATORS_BY_TYPE[field.type]
    if operator not in allowed:
        return [
            SchemaProblem(
                "$.operator",
                f"{_type_name(field)}では「{operator}」は使えません(使える条件: {', '.join(allowed)}) / "
                f"{operator!r} does not apply to a {field.type} field",
            )
        ]
    return _operand_problems(ctx, field, operator, config)


def _operand_problems(
    ctx: WorkspaceContext, field: FieldDefinition, operator: str, config: Mapping[str, Any]
) -> list[SchemaProblem]:
    need = OPERAND_OF[operator]
    kind = field.type
    if need == "value":
        value = config["value"]
        if operator in ("contains", "not_contains", "starts_with"):
            ok = isinstance(value, str) and value.strip() != ""
            return [] if ok else [SchemaProblem("$.value", "文字を入力してください / enter some text")]
        return _comparable(ctx, field, value, "$.value", operator in ("equals", "not_equals"))
    if need == "values":
        if kind in (SELECT, MULTI_SELECT):
            allowed, what = set(field.options), "選択肢にありません / not one of the field's options"
        elif kind == POSTAL_ADDRESS:
            allowed, what = set(PREFECTURES), "都道府県名ではありません / not a prefecture"
        else:
            return []
        return [SchemaProblem(f"$.values[{i}]", what) for i, v in enumerate(config["values"]) if v not in allowed]
    if need == "range":
        problems = _comparable(ctx, field, config["min"], "$.min", False)
        problems += _comparable(ctx, field, config["max"], "$.max", False)
        if not problems and _sort_key(ctx, config["min"]) > _sort_key(ctx, config["max"]):
            problems.append(SchemaProblem("$.max", "上限が下限より小さいです / max is below min"))
        return problems
    if need == "days" and operator != "days_from_today" and config["days"] < 0:
        return [SchemaProblem("$.days", "0以上にしてください / must be 0 or more")]
    return []


def _comparable(
    ctx: WorkspaceContext, field: FieldDefinition, value: Any, path: str, equality: bool
) -> list[SchemaProblem]:
    """Whether ``value`` is something the field's values can be compared with."""
    kind = field.type
    if kind == NUMBER:
        return [] if is_number(value) else [SchemaProblem(path, "数値を指定してください / must be a number")]
    if kind == DATE:
        ok = parse_day(value) is not None
        return [] if ok else [SchemaProblem(path, "日付(YYYY-MM-DD)を指定してください / must be a date")]
    if kind == DATETIME:
        ok = parse_day(value) is not None or parse_moment(value, ctx.tz) is not None
        return [] if ok else [SchemaProblem(path, "日付または日時を指定してください / must be a date or date-time")]
    if equality:
        _, problems = kinds.normalize(field, value, ctx.tz, path)
        return problems
    return []


def _sort_key(ctx: WorkspaceContext, value: Any) -> Any:
    if is_number(value):
        return float(value)
    day = parse_day(value)
    if day is not None:
        return start_of(day, ctx.tz)
    return parse_moment(value, ctx.tz)


field_compare = ConditionType(
    name="field_compare",
    permission="core.search_friends",
    label=Text("友だち情報", "Friend field"),
    description=Text(
        "友だち情報欄の値で絞り込みます(一致・含む・大小・範囲・日付・選択肢・空かどうか)。",
        "Friends whose field value matches: equality, text, ranges, dates relative to today, choices, emptiness.",
    ),
    config_schema=FIELD_COMPARE_CONFIG,
    ui_schema={"ui:order": ["key", "operator", "value", "values", "min", "max", "days", "month"]},
    compile=compile_field_compare,
    check_config=check_field_compare,
)
