"""What the built-in plugins' tests share, on the project's ``env`` (tests/conftest.py, the kit's ``EnishiApp``):
one agency with two workspaces (so every test can check isolation), staff signed in on demand, friends in both,
the contexts a hook or an action gets, and a recorder of the domain events a plugin emits.

Each plugin's conftest makes its world with :func:`make_world` and keeps only its own domain helpers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from enishi import ActionContext, DomainEvent, Friend, WorkspaceContext, hookimpl
from enishi.models import WorkspaceMembership
from tests.conftest import Env

# aoi and ren follow the first workspace's account, yui blocked it: (name, display name, status)
FRIENDS = (("aoi", "aoi", "following"), ("ren", "ren", "following"), ("yui", "yui", "blocked"))

W = TypeVar("W", bound="PluginWorld")


@dataclass
class PluginWorld:
    env: Env
    plugin: str  # its API is under /api/workspaces/<id>/<plugin>, its staff sign in as <name>@<plugin>.example
    enabled: frozenset[str]  # the plugins switched on in the contexts the tests make
    workspace_id: int
    other_workspace_id: int
    user_ids: dict[str, int]  # every user, by name
    friends: dict[str, int]  # the first workspace's friends, by name
    stranger: int  # a friend of the other workspace
    staff: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    @property
    def backend(self) -> str:
        return self.env.backend

    @property
    def owner_id(self) -> int:
        return self.user_ids["owner"]

    @property
    def client(self) -> httpx.AsyncClient:
        """The agency owner: every permission in both workspaces."""
        return self.staff["owner"]

    async def as_role(self, name: str) -> httpx.AsyncClient:
        """A client signed in as that user (signing in is slow: on demand, then kept)."""
        if name not in self.staff:
            self.staff[name] = await self.env.login(f"{name}@{self.plugin}.example")
        return self.staff[name]

    def url(self, path: str = "", workspace_id: int | None = None) -> str:
        return f"/api/workspaces/{workspace_id or self.workspace_id}/{self.plugin}{path}"

    def context(self, workspace_id: int | None = None, **kw: Any) -> WorkspaceContext:
        """A context like the one a request or job gets, with a session scoped to the workspace; the plugins
        switched on are ``enabled`` unless ``enabled_plugins`` says otherwise."""
        ws = workspace_id or self.workspace_id
        if kw.get("enabled_plugins") is None:
            kw["enabled_plugins"] = self.enabled
        return WorkspaceContext(
            workspace_id=ws,
            session=self.env.db.session(ws, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            **kw,
        )

    def action_context(self, source: str = "scenario", idempotency_key: str | None = None, **kw: Any) -> ActionContext:
        """The context a scenario action gets, in the first workspace."""
        kw.setdefault("enabled_plugins", self.enabled)
        return ActionContext(
            workspace_id=self.workspace_id,
            session=self.env.db.session(self.workspace_id, write=True),
            host=self.env.host,
            settings=self.env.settings,
            jobs=None,
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            source=source,
            **kw,
        )

    async def add_friends(self, count: int, workspace_id: int | None = None) -> list[int]:
        async with self.env.db.transaction(workspace_id or self.workspace_id) as s:
            friends = [Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=f"f{n}") for n in range(count)]
            s.add_all(friends)
            await s.flush()
            return [f.id for f in friends]


async def make_world(
    env: Env,
    world: type[W],
    plugin: str,
    *,
    enabled: frozenset[str] | None = None,
    members: dict[str, str],
    other_members: dict[str, str] | None = None,
    users: Sequence[str] = (),
    agency_owner: str = "owner",
    plan: str = "start",
    friends: Sequence[tuple[str, str, str]] = FRIENDS,
    **extra: Any,
) -> W:
    """Users by name (``members`` of the first workspace with their roles, ``other_members`` of the second, the
    agency's owner and any other ``users``), both workspaces on ``plan`` and the friends; ``agency_owner`` is
    signed in. Memberships are written as they are, whatever the plan's seats."""
    names = dict.fromkeys([agency_owner, *members, *(other_members or {}), *users])
    made = {name: await env.user(f"{name}@{plugin}.example", name=name) for name in names}
    agency = await env.agency(f"{plugin} 代理店", owner=made[agency_owner])
    ws = await env.workspace(agency, "店舗1", plan=plan)
    other = await env.workspace(agency, "店舗2", plan=plan)
    async with env.db.transaction() as s:
        s.add_all(
            WorkspaceMembership(workspace_id=workspace.id, user_id=made[name].id, role=role)
            for workspace, roles in [(ws, members), (other, other_members or {})]
            for name, role in roles.items()
        )
        rows = {
            name: Friend(workspace_id=ws.id, line_user_id=f"U{uuid.uuid4().hex}", display_name=shown, status=status)
            for name, shown, status in friends
        }
        stranger = Friend(workspace_id=other.id, line_user_id=f"U{uuid.uuid4().hex}", display_name="stranger")
        s.add_all([*rows.values(), stranger])
        await s.flush()
    made_world = world(
        env=env,
        plugin=plugin,
        enabled=enabled or frozenset({plugin}),
        workspace_id=ws.id,
        other_workspace_id=other.id,
        user_ids={name: user.id for name, user in made.items()},
        friends={name: f.id for name, f in rows.items()},
        stranger=stranger.id,
        **extra,
    )
    await made_world.as_role(agency_owner)
    return made_world


class EventRecorder:
    """A pluggy plugin outside the plugin list, so the host calls it in every workspace: it keeps the domain events
    ``keep`` accepts, and :meth:`take` gives them as ``row`` makes them."""

    def __init__(self, keep: Callable[[DomainEvent], bool], row: Callable[[DomainEvent], Any]) -> None:
        self.keep, self.row = keep, row
        self.events: list[DomainEvent] = []

    @hookimpl
    def enishi_domain_event(self, ctx: WorkspaceContext, event: DomainEvent) -> None:
        assert ctx.workspace_id == event.workspace_id
        if self.keep(event):
            self.events.append(event)

    def take(self) -> list[Any]:
        """The events so far, and forget them."""
        taken = [self.row(e) for e in self.events]
        self.events.clear()
        return taken

    @contextmanager
    def listening(self, env: Env) -> Iterator[EventRecorder]:
        env.host.pm.register(self, name=f"test_recorder_{id(self)}")
        try:
            yield self
        finally:
            env.host.pm.unregister(self)
