"""Segments: which friends, as nested all / any / not groups of conditions, compiled to one SQL query.

Each condition is a registered condition type (a plugin's, or the core's) whose ``compile`` returns one SQL
expression correlated with ``friends.id``; a segment is those expressions joined with AND / OR / NOT, so a
whole segment is one statement on SQLite and PostgreSQL, never a loop over friends in Python. A scenario branch
uses the very same expressions for one friend, so a segment and a branch never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, not_, or_, select, true

from enishi.context import WorkspaceContext
from enishi.models.friends import Friend
from enishi.nodes import check_node_config, node_type
from enishi.registry import Unavailable
from enishi.schema_validation import SchemaProblem, validate
from enishi.types import ConditionType

SCHEMA_FILE = Path(__file__).with_name("segment.schema.json")
EVERYONE: Mapping[str, Any] = {"all": []}


@cache
def segment_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


class InvalidSegment(ValueError):
    def __init__(self, problems: list[SchemaProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))


async def check_segment(ctx: WorkspaceContext, segment: Any, prefix: str = "$") -> list[SchemaProblem]:
    """Every problem of a segment: its shape, then each condition (type usable here, config, references)."""
    problems = validate(segment_schema(), segment, prefix)
    if problems:
        return _shape_problems(segment, prefix) or problems
    out: list[SchemaProblem] = []
    for path, condition in _conditions(segment, prefix):
        key, version = condition["type"], condition.get("type_version")
        try:
            item = node_type(ctx, "conditions", key, version)
        except Unavailable as exc:
            out.append(SchemaProblem(f"{path}.type", f"この条件は使えません / {exc}"))
            continue
        if isinstance(item, ConditionType) and not item.usable_in_segments:
            out.append(SchemaProblem(f"{path}.type", "この条件は絞り込みには使えません / not usable in segments"))
            continue
        out += await check_node_config(ctx, "conditions", key, version, condition["config"], f"{path}.config")
    return out


def compile_segment(ctx: WorkspaceContext, segment: Mapping[str, Any]) -> ColumnElement[bool]:
    """One boolean SQL expression over ``friends``; check the segment with :func:`check_segment` first."""
    if "all" in segment:
        parts = [compile_segment(ctx, part) for part in segment["all"]]
        return and_(true(), *parts) if parts else true()
    if "any" in segment:
        return or_(*(compile_segment(ctx, part) for part in segment["any"]))
    if "not" in segment:
        return not_(compile_segment(ctx, segment["not"]))
    item = node_type(ctx, "conditions", segment["type"], segment.get("type_version"))
    assert isinstance(item, ConditionType)
    return item.compile(ctx, segment["config"])


def friends_in(
    ctx: WorkspaceContext,
    segment: Mapping[str, Any] | None = None,
    *,
    exclude: Mapping[str, Any] | None = None,
    following_only: bool = True,
) -> Select[Any]:
    """The ids of the workspace's friends in ``segment`` and not in ``exclude``: one SELECT, nothing run yet."""
    query = select(Friend.id).where(Friend.workspace_id == ctx.workspace_id)
    if following_only:
        query = query.where(Friend.status == "following")
    if segment is not None and segment != EVERYONE:
        query = query.where(compile_segment(ctx, segment))
    if exclude is not None:
        query = query.where(not_(compile_segment(ctx, exclude)))
    return query


def _conditions(segment: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    if "all" in segment or "any" in segment:
        key = "all" if "all" in segment else "any"
        return [c for i, part in enumerate(segment[key]) for c in _conditions(part, f"{path}.{key}[{i}]")]
    if "not" in segment:
        return _conditions(segment["not"], f"{path}.not")
    return [(path, segment)]


def _shape_problems(segment: Any, path: str) -> list[SchemaProblem]:
    """Precise paths for a malformed segment (oneOf alone would only say "not valid under any schema" at the top)."""
    if not isinstance(segment, dict):
        return [
            SchemaProblem(path, "グループか条件(オブジェクト)にしてください / must be a group or a condition object")
        ]
    groups = [k for k in ("all", "any", "not") if k in segment]
    if len(groups) > 1 or (groups and len(segment) > 1):
        return [SchemaProblem(path, "all / any / not のどれか一つだけ / exactly one of all, any, not")]
    if groups:
        key = groups[0]
        value = segment[key]
        if key == "not":
            return _shape_problems(value, f"{path}.not")
        if not isinstance(value, list):
            return [SchemaProblem(f"{path}.{key}", "配列にしてください / must be an array")]
        if key == "any" and not value:
            return [SchemaProblem(f"{path}.any", "条件を一つ以上 / at least one condition")]
        return [p for i, part in enumerate(value) for p in _shape_problems(part, f"{path}.{key}[{i}]")]
    return validate(segment_schema()["$defs"]["condition"], segment, path)
