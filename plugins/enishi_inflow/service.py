"""Route codes, public URLs, visits and the attribution of a visit to a friend (with the route's actions)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from sqlalchemy import exists, select, text, update

from enishi import (
    Friend,
    SchemaProblem,
    WorkspaceContext,
    check_node_config,
    dialect_of,
    run_action,
    upsert_insert,
    utcnow,
)
from enishi_inflow.events import ROUTE_ENTERED
from enishi_inflow.models import FirstRoute, Route, Visit

log = logging.getLogger(__name__)

PLUGIN = "inflow"
LOGIN_CALLBACK = "/login"  # the manifest's line_login_callback: the callback route, under /p/inflow
LOGIN_PURPOSE = "inflow.route"  # a LINE Login started by opening a route's URL; its target is "<visit id>"
# Without ambiguous characters (0/O, 1/I): people may type the code by hand.
REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REF_LENGTH = 6
REF_MESSAGE = re.compile(rf"^\s*#([{REF_ALPHABET}]{{{REF_LENGTH}}})\s*$", re.IGNORECASE)
MAX_ACTIONS = 20


def new_code() -> str:
    """The unguessable part of a route's URL (about 120 bits)."""
    return secrets.token_urlsafe(15)


def new_ref() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


def route_path(code: str) -> str:
    return f"/p/{PLUGIN}/r/{code}"


def route_url(ctx_public_url: str, code: str) -> str:
    return ctx_public_url.rstrip("/") + route_path(code)


# --- signed visit cookie ----------------------------------------------------------------------------------------


def _key(secret_keys: Sequence[str]) -> bytes:
    return hashlib.sha256(("enishi-inflow-visit:" + (secret_keys[0] if secret_keys else "")).encode()).digest()


def sign_visit(secret_keys: Sequence[str], workspace_id: int, visit_id: int) -> str:
    body = f"{workspace_id}.{visit_id}"
    mac = hmac.new(_key(secret_keys), body.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{body}.{mac}"


def read_visit(secret_keys: Sequence[str], value: str | None) -> tuple[int, int] | None:
    """(workspace_id, visit_id) of a cookie this server signed, None for anything else."""
    if not value or value.count(".") != 2:
        return None
    workspace, visit, mac = value.split(".")
    if not (workspace.isdigit() and visit.isdigit()):
        return None
    for key in secret_keys or ("",):
        expected = hmac.new(_key((key,)), f"{workspace}.{visit}".encode(), hashlib.sha256).hexdigest()[:32]
        if hmac.compare_digest(expected, mac):
            return int(workspace), int(visit)
    return None


# --- LINE links --------------------------------------------------------------------------------------------------


async def bot_id(ctx: WorkspaceContext) -> str | None:
    """The account's basic id (``@abc1234``, a plugin setting) or, failing that, the bot's user id."""
    configured = ctx.settings_of(PLUGIN).get("basic_id")
    if isinstance(configured, str) and configured:
        return configured
    # Raw SQL names the workspace itself (the workspaces table is not workspace-owned).
    found = await ctx.session.scalar(
        text("SELECT line_bot_user_id FROM workspaces WHERE id = :id"), {"id": ctx.workspace_id}
    )
    return str(found) if found else None


async def shop_name(ctx: WorkspaceContext) -> str:
    """The name public pages show: the workspace's (the shop's), never a route's internal name."""
    # Raw SQL names the workspace itself (the workspaces table is not workspace-owned).
    found = await ctx.session.scalar(text("SELECT name FROM workspaces WHERE id = :id"), {"id": ctx.workspace_id})
    return str(found or "")


def add_friend_url(bot: str) -> str:
    return f"https://line.me/R/ti/p/{quote(bot, safe='')}"


def send_code_url(bot: str, ref: str) -> str:
    return f"https://line.me/R/oaMessage/{quote(bot, safe='')}/?{quote('#' + ref, safe='')}"


# --- actions -----------------------------------------------------------------------------------------------------


async def check_actions(
    ctx: WorkspaceContext, actions: Sequence[Mapping[str, Any]], prefix: str
) -> list[SchemaProblem]:
    """Every problem of a route's actions, e.g. ``$.actions[1].config.tag_ids[0]``."""
    problems: list[SchemaProblem] = []
    for n, action in enumerate(actions):
        at = f"{prefix}[{n}]"
        problems += await check_node_config(
            ctx, "actions", action["type"], action.get("type_version"), action.get("config", {}), f"{at}.config"
        )
    return problems


async def run_actions(ctx: WorkspaceContext, route: Route, friend_id: int, visit_id: int) -> int:
    """Run the route's actions for the friend, each in a savepoint: one failing action leaves the others."""
    done = 0
    for n, action in enumerate(route.actions or ()):
        try:
            async with ctx.session.begin_nested():
                await run_action(
                    ctx,
                    action["type"],
                    action.get("type_version"),
                    friend_id,
                    action.get("config", {}),
                    idempotency_key=f"inflow:{visit_id}:{n}",
                    source="route",
                )
            done += 1
        except Exception:
            log.exception("inflow route %s: action %s failed for friend %s", route.id, action.get("type"), friend_id)
    return done


# --- visits and attribution ---------------------------------------------------------------------------------------


async def record_visit(ctx: WorkspaceContext, route: Route) -> Visit:
    for _ in range(5):
        ref = new_ref()
        taken = await ctx.session.scalar(select(exists().where(Visit.ref == ref)))
        if not taken:
            break
    visit = Visit(route_id=route.id, ref=ref, visited_at=ctx.now)
    ctx.session.add(visit)
    await ctx.session.flush()
    return visit


async def attribute(ctx: WorkspaceContext, friend_id: int, ref: str) -> bool:
    """A friend sent a visit's code: the visit is theirs, and the route's actions run (once, for first-time routes).

    Returns whether anything was attributed; an unknown code or a visit already attributed does nothing.
    """
    visit = await ctx.session.scalar(select(Visit).where(Visit.ref == ref.upper()).with_for_update())
    if visit is None or visit.friend_id is not None:
        return False
    route = await ctx.session.get(Route, visit.route_id)
    if route is None:
        return False
    await enter(ctx, route, visit, friend_id)
    return True


async def enter(ctx: WorkspaceContext, route: Route, visit: Visit, friend_id: int) -> None:
    """The visit is the friend's: their first route (if none yet), the route's actions (respecting its mode) and
    the ``inflow.route_entered`` event."""
    came_before = await ctx.session.scalar(
        select(exists().where(Visit.friend_id == friend_id, Visit.route_id == route.id, Visit.id != visit.id))
    )
    now = utcnow()
    visit.friend_id, visit.attributed_at = friend_id, now
    first = await ctx.session.scalar(
        upsert_insert(ctx.session, FirstRoute)
        .values(workspace_id=ctx.workspace_id, friend_id=friend_id, route_id=route.id, at=now)
        .on_conflict_do_nothing(index_elements=["friend_id"])
        .returning(FirstRoute.friend_id)
    )
    await ctx.session.flush()
    if route.enabled and not (route.mode == "first_time" and came_before):
        await run_actions(ctx, route, friend_id, visit.id)
    await ctx.emit(
        ROUTE_ENTERED, friend_id, route_id=route.id, first_time=not came_before, first_route=first is not None
    )


async def claim(ctx: WorkspaceContext, visit_id: int, friend_id: int) -> Visit | None:
    """The visit, made the friend's, if nobody else claimed it first (the LINE Login callback and the follow of a
    new friend may race for the same visit: exactly one of them runs the route's actions)."""
    claimed = await ctx.session.execute(
        update(Visit)
        .where(Visit.id == visit_id, Visit.friend_id.is_(None))
        .values(friend_id=friend_id, attributed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    visit = await ctx.session.get(Visit, visit_id, populate_existing=True)
    return visit


async def enter_claimed(ctx: WorkspaceContext, visit_id: int, friend_id: int) -> bool:
    """Claim the visit for the friend and, if that worked, enter its route (first route, actions, event)."""
    visit = await claim(ctx, visit_id, friend_id)
    if visit is None:
        return False
    route = await ctx.session.get(Route, visit.route_id)
    if route is None:
        return False
    await enter(ctx, route, visit, friend_id)
    return True


async def lock_line_user(ctx: WorkspaceContext, line_user_id: str) -> None:
    """Serialise the LINE Login callback and the follow of the same person until either commits.

    The consent page's "add friend" box makes LINE send the follow while the browser comes back to the callback:
    without this, the callback could look for the friend before the follow commits while the follow looks for
    the visit before the callback commits, and neither would attribute it. (SQLite's write transactions are
    serial already.)"""
    if dialect_of(ctx.session) == "postgresql":
        key = f"enishi_inflow:{ctx.workspace_id}:{line_user_id}"
        await ctx.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


async def following_friend(ctx: WorkspaceContext, line_user_id: str) -> int | None:
    """The friend with this LINE user id if they follow the account now."""
    found = await ctx.session.scalar(
        select(Friend.id).where(Friend.line_user_id == line_user_id, Friend.status == "following")
    )
    return int(found) if found is not None else None


async def attribute_pending(ctx: WorkspaceContext, friend_id: int) -> int:
    """A friend followed: the visits LINE Login named for them before become theirs, oldest first (so the first
    one is their first route). Returns how many."""
    line_user_id = await ctx.session.scalar(select(Friend.line_user_id).where(Friend.id == friend_id))
    if not line_user_id:
        return 0
    await lock_line_user(ctx, line_user_id)
    pending = await ctx.session.scalars(
        select(Visit.id)
        .where(Visit.line_user_id == line_user_id, Visit.friend_id.is_(None))
        .order_by(Visit.visited_at, Visit.id)
    )
    done = 0
    for visit_id in list(pending):
        done += await enter_claimed(ctx, visit_id, friend_id)
    return done


def ref_in(message: Any) -> str | None:
    if not isinstance(message, str):
        return None
    found = REF_MESSAGE.match(message)
    return found.group(1).upper() if found else None
