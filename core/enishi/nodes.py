"""Running registered node types for one friend: the one place the engine, bulk operations and plugins do it.

A plugin that runs another plugin's action (a button that adds a tag when tapped, a route that starts a
scenario) goes through :func:`run_action`, so enablement, version pinning and config validation are checked the
same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import select

from enishi.context import ActionContext, WorkspaceContext
from enishi.models.friends import Friend
from enishi.registry import Unavailable
from enishi.schema_validation import SchemaProblem, validate
from enishi.types import ActionType, ConditionType, NodeType

NodeKind = Literal["triggers", "actions", "conditions", "waits"]


class InvalidConfig(ValueError):
    """A node config that does not satisfy its type's schema or names data that does not exist."""

    def __init__(self, problems: list[SchemaProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))


def node_type(ctx: WorkspaceContext, kind: NodeKind, key: str, version: int | None = None) -> NodeType:
    """The node type the workspace may use; raises :class:`enishi.registry.Unavailable` otherwise."""
    item: NodeType = ctx.host.registry.usable(kind, key, version, ctx.enabled_plugins).item
    return item


async def check_node_config(
    ctx: WorkspaceContext, kind: NodeKind, key: str, version: int | None, config: Any, prefix: str = "$"
) -> list[SchemaProblem]:
    """Every problem of ``config`` for that node type: unknown or disabled type, schema, then references."""
    try:
        item = node_type(ctx, kind, key, version)
    except Unavailable as exc:
        return [SchemaProblem(prefix, str(exc))]
    problems = validate(dict(item.config_schema), config, prefix)
    if problems or item.check_config is None:
        return problems
    return [
        SchemaProblem(prefix + p.path[1:] if p.path.startswith("$") else f"{prefix}.{p.path}", p.message)
        for p in await item.check_config(ctx, config)
    ]


async def run_action(
    ctx: WorkspaceContext,
    key: str,
    version: int | None,
    friend_id: int,
    config: Mapping[str, Any],
    *,
    idempotency_key: str,
    source: str,
) -> Mapping[str, Any]:
    """Run one action for one friend in ``ctx``'s transaction; ``idempotency_key`` must be stable across retries."""
    item = node_type(ctx, "actions", key, version)
    assert isinstance(item, ActionType)
    # The schema only: references were checked when the scenario was published or the button sent, and an
    # action meets data deleted since then as it sees fit (the tags actions skip a deleted tag).
    problems = validate(dict(item.config_schema), config)
    if problems:
        raise InvalidConfig(problems)
    action_ctx = ctx.as_(ActionContext, idempotency_key=idempotency_key, source=source)
    return dict(await item.run(action_ctx, friend_id, config) or {})


async def evaluate_condition(
    ctx: WorkspaceContext, key: str, version: int | None, friend_id: int, config: Mapping[str, Any]
) -> bool:
    """Whether one friend satisfies a condition: the same SQL a segment uses, limited to that friend."""
    item = node_type(ctx, "conditions", key, version)
    assert isinstance(item, ConditionType)
    expression = item.compile(ctx, config)
    found = await ctx.session.scalar(select(Friend.id).where(Friend.id == friend_id, expression))
    return found is not None
