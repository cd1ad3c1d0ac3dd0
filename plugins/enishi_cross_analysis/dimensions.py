"""Dimensions: what a row or a column of the matrix is, as buckets of friends.

A bucket is a label and a boolean SQL expression correlated with ``friends.id``. Every bucket that depends on
another plugin's data is one or more *registered conditions* compiled through the registry (``tags.has_tags``
per tag, ``friend_fields.field_compare`` per option, range or age group, ``response_marks.mark_is`` per mark,
``assignment.assignee_is`` per staff member, or any condition at all with ``kind: "conditions"``), so this plugin
never reads another plugin's tables and a plugin switched off in the workspace is reported, not queried. The
follow month is the core's own ``friends.followed_at``.

Kinds:

- ``tags``: one bucket per tag (a friend with several tags counts in each), e.g. the tags of a folder;
- ``field_options``: one bucket per option of a select or multi-select field (all its options unless listed);
- ``field_ranges``: number ranges ``[b0, b1)``, ``[b1, b2)`` … from ascending bounds, plus below / above;
- ``age``: age groups from a birth-date field, from ascending ages (e.g. 20, 30, 40 → 〜19歳, 20〜29歳 …);
- ``marks``: one bucket per response mark; ``assignee``: one per staff member;
- ``follow_month``: one bucket per month friends followed in (workspace time zone), first to last;
- ``conditions``: buckets of any registered conditions, each ``{label, type, type_version?, config}``.

Unless ``include_none`` is false, a last bucket ``該当なし`` holds the friends in none of the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, select, true

from enishi import Friend, SchemaProblem, User, WorkspaceContext, WorkspaceMembership, segments

MAX_BUCKETS = 60
MAX_MONTHS = 120
NONE_LABEL = "該当なし"
FIELDS_SOURCE = "friend_fields.fields"

ID_LIST = {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": MAX_BUCKETS}
LABELS = {
    "type": "array",
    "items": {"type": "string", "maxLength": 100},
    "maxItems": MAX_BUCKETS,
    "title": "表示名(省略可) / Labels (optional)",
}
KEY = {"type": "string", "minLength": 1, "maxLength": 64, "title": "友だち情報欄 / Friend field"}
BOUNDS = {
    "type": "array",
    "items": {"type": "number"},
    "minItems": 1,
    "maxItems": MAX_BUCKETS - 2,
    "title": "区切りの値 / Bucket bounds",
}
KIND_TITLES = {
    "tags": "タグ / Tags",
    "field_options": "友だち情報欄の選択肢 / Field options",
    "field_ranges": "友だち情報欄の数値の範囲 / Field ranges",
    "age": "年代(生年月日から) / Age groups (from a birth date)",
    "marks": "対応マーク / Response marks",
    "assignee": "担当者 / Assignee",
    "follow_month": "友だち追加の月 / Month followed",
    "conditions": "条件ごと / Conditions",
}
NONE_FLAG = {"type": "boolean", "default": True, "title": "該当なしの列 / A bucket for the rest"}


def _kind(name: str, properties: Mapping[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"kind": {"const": name}, "include_none": NONE_FLAG, **properties},
        "required": ["kind", *required],
        "additionalProperties": False,
    }


CONDITION_BUCKET = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "minLength": 1, "maxLength": 100},
        "type": {"type": "string", "minLength": 1, "maxLength": 200},
        "type_version": {"type": "integer", "minimum": 1},
        "config": {"type": "object"},
    },
    "required": ["label", "type", "config"],
    "additionalProperties": False,
}
DIMENSION_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {
            "type": "string",
            "title": "分類 / Dimension",
            "oneOf": [{"const": kind, "title": title} for kind, title in KIND_TITLES.items()],
        }
    },
    "required": ["kind"],
    "allOf": [
        {"if": {"properties": {"kind": {"const": k}}}, "then": schema}
        for k, schema in {
            "tags": _kind("tags", {"tag_ids": {**ID_LIST, "title": "タグ / Tags"}, "labels": LABELS}, ["tag_ids"]),
            "field_options": _kind(
                "field_options",
                {"key": KEY, "options": {**LABELS, "minItems": 1, "title": "選択肢 / Options"}},
                ["key"],
            ),
            "field_ranges": _kind("field_ranges", {"key": KEY, "bounds": BOUNDS}, ["key", "bounds"]),
            "age": _kind(
                "age",
                {"key": KEY, "bounds": {**BOUNDS, "items": {"type": "integer", "minimum": 0, "maximum": 150}}},
                ["key", "bounds"],
            ),
            "marks": _kind(
                "marks", {"mark_ids": {**ID_LIST, "title": "対応マーク / Marks"}, "labels": LABELS}, ["mark_ids"]
            ),
            "assignee": _kind("assignee", {"user_ids": ID_LIST}, ["user_ids"]),
            "follow_month": _kind("follow_month", {}),
            "conditions": _kind(
                "conditions",
                {"buckets": {"type": "array", "items": CONDITION_BUCKET, "minItems": 1, "maxItems": MAX_BUCKETS}},
                ["buckets"],
            ),
        }.items()
    ],
}

# Where a problem of a generated condition points in the parameters: given the path inside the condition
# (".config.tag_ids[0]", ".type"), the path in the dimension.
PathOf = Callable[[str], str]


@dataclass
class Bucket:
    label: str
    conditions: list[tuple[dict[str, Any], PathOf]] = field(default_factory=list)
    where: ColumnElement[bool] | None = None  # core expressions (follow month)


@dataclass
class Dimension:
    buckets: list[Bucket]
    problems: list[SchemaProblem]
    include_none: bool = True


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


async def _field(ctx: WorkspaceContext, key: str, path: str) -> tuple[Mapping[str, Any] | None, list[SchemaProblem]]:
    """The value schema of a friend field, from the friend fields plugin's source through the registry."""
    try:
        source = ctx.host.registry.usable("friend_fields", FIELDS_SOURCE, None, ctx.enabled_plugins).item
    except LookupError as exc:  # the plugin is off here, or not installed
        return None, [SchemaProblem(f"{path}.kind", f"友だち情報欄が使えません / friend fields unavailable ({exc})")]
    for descriptor in await source.describe(ctx):
        if descriptor.key == key:
            return descriptor.value_schema, []
    message = f"項目「{key}」がありません(削除された可能性があります) / no field {key!r}"
    return None, [SchemaProblem(f"{path}.key", message)]


def _compare(key: str, operator: str, **operand: Any) -> dict[str, Any]:
    return {"type": "friend_fields.field_compare", "config": {"key": key, "operator": operator, **operand}}


async def build(ctx: WorkspaceContext, spec: Mapping[str, Any], path: str) -> Dimension:
    kind = spec["kind"]
    include_none = bool(spec.get("include_none", True))
    problems: list[SchemaProblem] = []
    buckets: list[Bucket] = []

    def at(target: str) -> PathOf:
        return lambda inner: target if inner.startswith(".config") else f"{path}.kind"

    if kind == "tags":
        labels = spec.get("labels") or []
        for i, tag_id in enumerate(spec["tag_ids"]):
            label = labels[i] if i < len(labels) and labels[i] else f"タグ {tag_id}"
            condition = {"type": "tags.has_tags", "config": {"tag_ids": [tag_id]}}
            buckets.append(Bucket(label, [(condition, at(f"{path}.tag_ids[{i}]"))]))
    elif kind == "marks":
        labels = spec.get("labels") or []
        for i, mark_id in enumerate(spec["mark_ids"]):
            label = labels[i] if i < len(labels) and labels[i] else f"マーク {mark_id}"
            condition = {"type": "response_marks.mark_is", "config": {"mark_ids": [mark_id]}}
            buckets.append(Bucket(label, [(condition, at(f"{path}.mark_ids[{i}]"))]))
    elif kind == "assignee":
        # Names of this workspace's staff only; other ids stay numbers.
        staff = (
            select(User.id, User.display_name)
            .join(WorkspaceMembership, WorkspaceMembership.user_id == User.id)
            .where(WorkspaceMembership.workspace_id == ctx.workspace_id, User.id.in_(spec["user_ids"]))
        )
        names = {row[0]: row[1] for row in await ctx.session.execute(staff)}
        for i, user_id in enumerate(spec["user_ids"]):
            condition = {"type": "assignment.assignee_is", "config": {"match": "any_of", "user_ids": [user_id]}}
            buckets.append(
                Bucket(names.get(user_id) or f"スタッフ {user_id}", [(condition, at(f"{path}.user_ids[{i}]"))])
            )
    elif kind == "field_options":
        key = spec["key"]
        schema, problems = await _field(ctx, key, path)
        if schema is not None:
            multi = schema.get("type") == "array"
            options = (schema.get("items", {}) if multi else schema).get("enum")
            if options is None:
                problems.append(SchemaProblem(f"{path}.key", "選択肢の項目ではありません / not a select field"))
            else:
                chosen = spec.get("options") or options
                for i, option in enumerate(chosen):
                    if option not in options:
                        problems.append(SchemaProblem(f"{path}.options[{i}]", "選択肢にありません / not an option"))
                        continue
                    condition = (
                        _compare(key, "has_any", values=[option]) if multi else _compare(key, "equals", value=option)
                    )
                    buckets.append(Bucket(str(option), [(condition, at(f"{path}.key"))]))
    elif kind == "field_ranges":
        key, bounds = spec["key"], spec["bounds"]
        schema, problems = await _field(ctx, key, path)
        problems += _ascending(bounds, f"{path}.bounds")
        if schema is not None and schema.get("type") != "number":
            problems.append(SchemaProblem(f"{path}.key", "数値の項目ではありません / not a number field"))
        if not problems:
            to_key = at(f"{path}.key")
            buckets.append(Bucket(f"{_number(bounds[0])}未満", [(_compare(key, "lt", value=bounds[0]), to_key)]))
            for low, high in pairwise(bounds):
                both = [(_compare(key, "gte", value=low), to_key), (_compare(key, "lt", value=high), to_key)]
                buckets.append(Bucket(f"{_number(low)}〜{_number(high)}未満", both))
            buckets.append(Bucket(f"{_number(bounds[-1])}以上", [(_compare(key, "gte", value=bounds[-1]), to_key)]))
    elif kind == "age":
        key, ages = spec["key"], spec["bounds"]
        schema, problems = await _field(ctx, key, path)
        problems += _ascending(ages, f"{path}.bounds")
        if schema is not None and schema.get("format") != "date":
            problems.append(SchemaProblem(f"{path}.key", "日付の項目ではありません / not a date field"))
        if not problems:
            buckets = _age_buckets(ctx, key, ages, at(f"{path}.key"))
    elif kind == "follow_month":
        buckets = []  # filled by months(), once the population is known
    elif kind == "conditions":
        for i, item in enumerate(spec["buckets"]):
            condition = {k: item[k] for k in ("type", "type_version", "config") if k in item}
            buckets.append(Bucket(item["label"], [(condition, _under(f"{path}.buckets[{i}]"))]))
    if len(buckets) > MAX_BUCKETS:
        problems.append(SchemaProblem(path, f"区分が多すぎます(最大{MAX_BUCKETS}) / too many buckets"))
    for bucket in buckets:
        for condition, path_of in bucket.conditions:
            for p in await segments.check_segment(ctx, {"all": [condition]}, "$"):
                problems.append(SchemaProblem(path_of(p.path.removeprefix("$.all[0]")), p.message))
    return Dimension(buckets, _unique(problems), include_none)


def _under(where: str) -> PathOf:
    return lambda inner: where + inner


def _ascending(bounds: Sequence[float], path: str) -> list[SchemaProblem]:
    return [
        SchemaProblem(f"{path}[{i + 1}]", "小さい順に、重複なく / ascending, without repeats")
        for i, (a, b) in enumerate(pairwise(bounds))
        if b <= a
    ]


def _age_buckets(ctx: WorkspaceContext, key: str, ages: Sequence[int], path_of: PathOf) -> list[Bucket]:
    """Age ≥ a ⇔ born on or before today − a years; age < b ⇔ born after today − b years."""
    today = ctx.now.astimezone(ctx.tz).date()

    def at_least(age: int) -> tuple[dict[str, Any], PathOf]:
        return _compare(key, "lte", value=_years_before(today, age).isoformat()), path_of

    def under(age: int) -> tuple[dict[str, Any], PathOf]:
        return _compare(key, "gt", value=_years_before(today, age).isoformat()), path_of

    buckets = [Bucket(f"{ages[0] - 1}歳以下" if ages[0] > 0 else "0歳未満", [under(ages[0])])]
    for low, high in pairwise(ages):
        buckets.append(Bucket(f"{low}〜{high - 1}歳", [at_least(low), under(high)]))
    buckets.append(Bucket(f"{ages[-1]}歳以上", [at_least(ages[-1])]))
    return buckets


def _unique(problems: list[SchemaProblem]) -> list[SchemaProblem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


def months(
    ctx: WorkspaceContext, first: datetime, last: datetime, path: str
) -> tuple[list[Bucket], list[SchemaProblem]]:
    """A bucket per calendar month (workspace time zone) from the first follow to the last."""
    start = first.astimezone(ctx.tz).date().replace(day=1)
    end = last.astimezone(ctx.tz).date().replace(day=1)
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    if count > MAX_MONTHS:
        return [], [SchemaProblem(path, f"月が多すぎます(最大{MAX_MONTHS}か月) / too many months; narrow the segment")]
    buckets = []
    month = start
    for _ in range(count):
        following = (month + timedelta(days=32)).replace(day=1)
        where = and_(
            Friend.followed_at >= datetime.combine(month, time(), tzinfo=ctx.tz),
            Friend.followed_at < datetime.combine(following, time(), tzinfo=ctx.tz),
        )
        buckets.append(Bucket(f"{month.year}-{month.month:02d}", where=where))
        month = following
    return buckets, []


def compile_bucket(ctx: WorkspaceContext, bucket: Bucket) -> ColumnElement[bool]:
    parts = [segments.compile_segment(ctx, condition) for condition, _ in bucket.conditions]
    if bucket.where is not None:
        parts.append(bucket.where)
    return and_(true(), *parts) if parts else true()


def compiled(ctx: WorkspaceContext, dimension: Dimension) -> list[tuple[str, ColumnElement[bool]]]:
    """(label, expression) per bucket, and the rest when asked for."""
    out = [(b.label, compile_bucket(ctx, b)) for b in dimension.buckets]
    if dimension.include_none:
        rest = not_(or_(*(e for _, e in out))) if out else true()
        out.append((NONE_LABEL, rest))
    return out
