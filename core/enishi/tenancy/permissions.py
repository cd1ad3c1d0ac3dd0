"""Roles grant permissions: the declared defaults, changed per workspace by role grants; owners hold all."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.models import RoleGrant
from enishi.registry import NODE_KINDS, Registry
from enishi.text import Text
from enishi.types import ActionType, NodeType, Permission

if TYPE_CHECKING:
    from enishi.context import WorkspaceContext

ROLE_RANK = {"viewer": 0, "operator": 1, "admin": 2, "owner": 3}


def declared(registry: Registry, enabled: Iterable[str]) -> dict[str, Permission]:
    return {e.key: e.item for e in registry.all("permissions", enabled)}


async def permissions_of(
    session: AsyncSession, registry: Registry, workspace_id: int, role: str, enabled: Iterable[str]
) -> frozenset[str]:
    perms = declared(registry, enabled)
    if role == "owner":
        return frozenset(perms)
    granted = {key for key, p in perms.items() if role in p.roles}
    rows = await session.execute(
        select(RoleGrant.permission, RoleGrant.granted).where(
            RoleGrant.workspace_id == workspace_id, RoleGrant.role == role
        )
    )
    for permission, is_granted in rows:
        if permission in perms:
            (granted.add if is_granted else granted.discard)(permission)
    return frozenset(granted)


def higher_role(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if ROLE_RANK[a] >= ROLE_RANK[b] else b


# ---- what putting nodes to work needs -----------------------------------------------------------------------------

BROADCAST = "core.broadcast"
# Starting a message-sending scenario for more friends than this at once (or for a segment) is a broadcast, and
# needs what a broadcast needs; a few hand-picked friends are a personal follow-up.
MANY_FRIENDS = 10


@dataclass(frozen=True)
class NodeNeed:
    """A node of a scenario document that needs a permission to be used."""

    path: str  # where it is: ``$.nodes[2]``, or the start_scenario node that leads to it
    node_type: str
    label: Text
    permission: str
    through_scenario: int | None = None  # the scenario a start_scenario node starts, when the node is in there


@dataclass
class ScenarioNeeds:
    nodes: list[NodeNeed] = field(default_factory=list)
    sends_messages: bool = False  # some action sends LINE messages (here or in a scenario it starts)

    def missing(self, held: frozenset[str]) -> list[NodeNeed]:
        return [n for n in self.nodes if n.permission not in held]


def _node_type(registry: Registry, enabled: frozenset[str], key: Any, version: Any) -> NodeType | None:
    """The node type, if the workspace can use it: unknown types and those of plugins that are off are the
    document checker's concern (they cannot be published or run), and their permissions are not declared."""
    if not isinstance(key, str):
        return None
    for kind in NODE_KINDS:
        entry = registry.get(kind, key, version if isinstance(version, int) else None)
        if entry is not None:
            return cast(NodeType, entry.item) if entry.plugin == "core" or entry.plugin in enabled else None
    return None


async def scenario_needs(ctx: WorkspaceContext, document: Any, *, scenario_id: int | None = None) -> ScenarioNeeds:
    """Every permission the nodes of a scenario document need, following start_scenario nodes into the published
    versions of the scenarios they start (a scenario could otherwise send through one published by someone else),
    and the actions a node carries to run later (a message's buttons: ``ActionType.actions_inside``).

    ``ctx.session`` is scoped to the workspace, so only its own scenarios and templates are followed.
    """
    nodes = document.get("nodes") if isinstance(document, dict) else None
    placed = [(f"$.nodes[{i}]", node) for i, node in enumerate(nodes if isinstance(nodes, list) else [])]
    return await _needs(ctx, placed, {scenario_id})


async def actions_needs(ctx: WorkspaceContext, actions: Iterable[tuple[str, Any]]) -> ScenarioNeeds:
    """What configuring these actions (``(path, {"type", "type_version", "config"})`` each) needs, as for nodes."""
    return await _needs(ctx, list(actions), {None})


async def _needs(ctx: WorkspaceContext, placed: list[tuple[str, Any]], seen: set[int | None]) -> ScenarioNeeds:
    from enishi.models.scenarios import Scenario, ScenarioVersion

    needs = ScenarioNeeds()
    plugins = frozenset(ctx.enabled_plugins)
    registry = ctx.host.registry
    # (where it is reported, the node, the scenario it is in when reached through a start_scenario node)
    pending: list[tuple[str, Any, int | None]] = [(path, node, None) for path, node in reversed(placed)]
    while pending:
        path, node, through = pending.pop()
        if not isinstance(node, dict):
            continue
        raw_config = node.get("config")
        config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}
        used = [(node.get("type"), node.get("type_version"))]
        event = config.get("event")
        if node.get("type") == "core.wait_for_event" and isinstance(event, dict):
            used.append((event.get("type"), event.get("type_version")))  # the trigger it waits for
        for key, version in used:
            item = _node_type(registry, plugins, key, version)
            if item is None:
                continue
            needs.sends_messages |= isinstance(item, ActionType) and item.sends_messages
            if item.permission:
                needs.nodes.append(NodeNeed(path, str(key), item.label, item.permission, through))
            if isinstance(item, ActionType) and item.actions_inside is not None:
                inside = await item.actions_inside(ctx, config)
                # Inside a started scenario everything is reported at the start_scenario node that leads there.
                pending.extend(
                    (path if through else f"{path}.config{at.removeprefix('$')}", action, through)
                    for at, action in reversed(inside)
                )
        target = config.get("scenario_id")
        if node.get("type") == "core.start_scenario" and isinstance(target, int) and target not in seen:
            seen.add(target)
            started = await ctx.session.scalar(
                select(ScenarioVersion.document)
                .join(Scenario, Scenario.current_version_id == ScenarioVersion.id)
                .where(Scenario.id == target)
            )
            started_nodes = started.get("nodes") if isinstance(started, dict) else None
            if isinstance(started_nodes, list):
                pending.extend((path, inner, target) for inner in reversed(started_nodes))
    return needs


def needs_broadcast(needs: ScenarioNeeds, *, friends: int | None) -> bool:
    """Whether starting the scenario for these friends (None: a segment) is a broadcast."""
    return needs.sends_messages and (friends is None or friends > MANY_FRIENDS)
