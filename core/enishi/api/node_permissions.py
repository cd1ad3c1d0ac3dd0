"""The 403 ``missing_permission``: what putting node types to work needs, checked for the user doing it.

A node type names the permission its use needs (``NodeType.permission``). Saving, publishing or starting a
scenario checks every node in it; a bulk operation its action; and anything else a staff member configures to run
later on its own (a button's actions, an inflow route's actions) the actions it holds, through
:func:`require_action_permissions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from enishi.api.errors import ApiError
from enishi.context import WorkspaceContext
from enishi.tenancy.access import WorkspaceAccess
from enishi.tenancy.permissions import BROADCAST, MANY_FRIENDS, NodeNeed, actions_needs, needs_broadcast, scenario_needs


def missing_permissions_error(missing: list[NodeNeed]) -> ApiError:
    """403 naming the nodes the user may not use and the permissions they lack."""
    permissions = ", ".join(sorted({n.permission for n in missing}))
    ja = "、".join(dict.fromkeys(f"「{n.label.ja}」" for n in missing))
    en = ", ".join(dict.fromkeys(f"“{n.label.en}”" for n in missing))
    errors = []
    for n in missing:
        where_ja = f"(開始するシナリオ {n.through_scenario} の中)" if n.through_scenario else ""
        where_en = f" (in scenario {n.through_scenario}, which it starts)" if n.through_scenario else ""
        errors.append(
            {
                "path": n.path,
                "message": f"「{n.label.ja}」{where_ja}には {n.permission} の権限が必要です / "
                f"“{n.label.en}”{where_en} needs the permission {n.permission}",
            }
        )
    return ApiError(
        403,
        "missing_permission",
        f"{ja} を使う権限 ({permissions}) がありません / you lack the permission {permissions} to use {en}",
        errors,
    )


def broadcast_error(path: str) -> ApiError:
    return ApiError(
        403,
        "missing_permission",
        f"メッセージを送るシナリオを{MANY_FRIENDS}人を超える友だちやセグメントに開始するには"
        f"一斉配信の権限 ({BROADCAST}) が必要です / starting a scenario that sends messages for more than "
        f"{MANY_FRIENDS} friends or a segment is a broadcast and needs the permission {BROADCAST}",
        [{"path": path, "message": f"{BROADCAST} が必要です / needs {BROADCAST}"}],
    )


async def require_node_permissions(
    ctx: WorkspaceContext,
    access: WorkspaceAccess,
    document: Any,
    *,
    scenario_id: int | None = None,
    friends: int | msgspec.UnsetType | None = msgspec.UNSET,
    friends_path: str = "$.friend_ids",
) -> None:
    """Refuses (403) a document with a node the user may not use, directly or through a scenario it starts; with
    ``friends`` (a count, or None for a segment) also starting a message-sending scenario for many friends
    without the broadcast permission."""
    needs = await scenario_needs(ctx, document, scenario_id=scenario_id)
    missing = needs.missing(access.permissions)
    if missing:
        raise missing_permissions_error(missing)
    if friends is not msgspec.UNSET and BROADCAST not in access.permissions and needs_broadcast(needs, friends=friends):
        raise broadcast_error(friends_path)


async def require_action_permissions(
    ctx: WorkspaceContext, access: WorkspaceAccess, actions: Iterable[tuple[str, Any]]
) -> None:
    """Refuses (403) actions configured to run later on their own that the user may not use, each given as
    ``(path, {"type", "type_version", "config"})``: the action's own permission, those of the actions it carries
    (a message's buttons), and of the nodes of a scenario it starts."""
    missing = (await actions_needs(ctx, actions)).missing(access.permissions)
    if missing:
        raise missing_permissions_error(missing)
