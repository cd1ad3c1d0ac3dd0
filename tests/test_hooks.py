"""Meta-tests: every hook is documented with its exact signature, implemented by the probe and exercised here."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import enishi_probe
import pytest

from enishi import hookspecs
from enishi.context import WorkspaceContext
from tests.conftest import Env

DOCS = (Path(__file__).resolve().parents[1] / "docs" / "hooks.md").read_text()
HOOKS = {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("enishi_")}


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_is_documented_with_its_exact_signature(name: str) -> None:
    fn = HOOKS[name]
    assert (fn.__doc__ or "").strip(), f"{name} has no docstring"
    signature = f"{name}({', '.join(inspect.signature(fn).parameters)})"
    assert f"### `{signature}`" in DOCS, f"docs/hooks.md lacks a heading for {signature}"
    for param in inspect.signature(fn).parameters.values():
        annotation = str(param.annotation).replace("'", "")
        section = DOCS.split(f"### `{signature}`", 1)[1].split("\n### ", 1)[0]
        assert f"{param.name}: {annotation}" in section, f"{name}: document `{param.name}: {annotation}`"


def test_docs_name_no_hook_that_does_not_exist() -> None:
    documented = set(re.findall(r"^### `(enishi_\w+)\(", DOCS, flags=re.M))
    assert documented == set(HOOKS)


def test_the_probe_implements_every_hook(env: Env) -> None:
    implemented = {hc.name for hc in env.host.pm.get_hookcallers(enishi_probe) or []}
    assert implemented == set(HOOKS)


def probe_context(env: Env, workspace_id: int, session: Any) -> WorkspaceContext:
    return WorkspaceContext(
        workspace_id=workspace_id,
        session=session,
        host=env.host,
        settings=env.settings,
        jobs=None,
        enabled_plugins=frozenset({"probe"}),
    )


async def test_every_runtime_hook_reaches_an_enabled_plugin(env: Env) -> None:
    workspace = await env.workspace(await env.agency(), plan="pro")
    enishi_probe.CALLS.clear()
    async with env.db.transaction(workspace.id) as s:
        ctx = probe_context(env, workspace.id, s)
        await env.host.call("enishi_line_event", ctx.enabled_plugins, ctx=ctx, event={"type": "follow"}, friend_id=7)
        await env.host.call("enishi_friend_followed", ctx.enabled_plugins, ctx=ctx, friend_id=7, unblocked=True)
        await env.host.call("enishi_friend_unfollowed", ctx.enabled_plugins, ctx=ctx, friend_id=7)
        event = await ctx.emit("probe.renamed", 7, name="新")
        await env.host.call("enishi_workspace_plugin_enabled", ["probe"], ctx=ctx)
    assert event.data == {"name": "新"} and event.workspace_id == workspace.id
    assert enishi_probe.CALLS == [
        ("line_event", workspace.id, ("follow", 7)),
        ("followed", workspace.id, (7, True)),
        ("unfollowed", workspace.id, 7),
        ("domain_events", workspace.id, (7,)),
        ("domain_event", workspace.id, "probe.renamed"),
        ("enabled", workspace.id, None),
    ]
    trigger = env.host.registry.get("triggers", "probe.renamed").item
    assert event.name in trigger.listens_to and trigger.matches({}, event)


async def test_a_set_of_events_reaches_the_batch_hook_once_and_the_single_hook_per_friend(env: Env) -> None:
    workspace = await env.workspace(await env.agency(), plan="pro")
    enishi_probe.CALLS.clear()
    async with env.db.transaction(workspace.id) as s:
        ctx = probe_context(env, workspace.id, s)
        events = await ctx.emit_many("probe.renamed", [7, 8, 9], name="新")
    assert [(e.friend_id, e.data) for e in events] == [(7, {"name": "新"}), (8, {"name": "新"}), (9, {"name": "新"})]
    assert enishi_probe.CALLS == [
        ("domain_events", workspace.id, (7, 8, 9)),
        *[("domain_event", workspace.id, "probe.renamed")] * 3,
    ]


async def test_the_scenario_engine_hears_events_last_through_the_core_plugin(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine is the core plugin's trylast ``enishi_domain_events``: after every plugin's handlers, batch and
    single, in the same transaction."""
    from enishi import core_plugin

    async def engine(ctx: WorkspaceContext, events: Any) -> None:
        assert ctx.session is session
        enishi_probe.CALLS.append(("engine", ctx.workspace_id, tuple(e.friend_id for e in events)))

    monkeypatch.setattr(core_plugin, "on_events", engine)
    workspace = await env.workspace(await env.agency(), plan="pro")
    enishi_probe.CALLS.clear()
    async with env.db.transaction(workspace.id) as session:
        await probe_context(env, workspace.id, session).emit_many("probe.renamed", [7, 8], name="新")
    assert enishi_probe.CALLS == [
        ("domain_events", workspace.id, (7, 8)),
        *[("domain_event", workspace.id, "probe.renamed")] * 2,
        ("engine", workspace.id, (7, 8)),
    ]


async def test_registered_items_work_through_the_catalog_and_sql(env: Env) -> None:
    """Action, condition, friend field, report and job of the probe, run the way the core will run them."""
    from sqlalchemy import select

    from enishi import ActionContext, Friend

    workspace = await env.workspace(await env.agency(), plan="pro")
    async with env.db.transaction(workspace.id) as s:
        s.add(Friend(line_user_id="U" + "1" * 32, display_name="花子"))
        s.add(Friend(line_user_id="U" + "2" * 32, status="blocked"))
    registry = env.host.registry
    async with env.db.transaction(workspace.id) as s:
        ctx = ActionContext(
            workspace_id=workspace.id,
            session=s,
            host=env.host,
            settings=env.settings,
            jobs=None,
            enabled_plugins=frozenset({"probe"}),
            idempotency_key="t",
        )
        hanako = await s.scalar(select(Friend.id).where(Friend.display_name == "花子"))
        await registry.get("actions", "probe.rename").item.run(ctx, hanako, {"name": "花"})
        condition = registry.get("conditions", "probe.name_is").item
        assert list(await s.scalars(select(Friend.id).where(condition.compile(ctx, {"name": "花"})))) == [hanako]
        loaded = await registry.get("friend_fields", "probe.name_length").item.load(ctx, [hanako], ["name_length"])
        assert loaded == {hanako: {"name_length": 1}}
        report = await registry.get("reports", "probe.by_status").item.run(ctx, {})
        assert report.rows == [{"status": "blocked", "friends": 1}, {"status": "following", "friends": 1}]
    queue = env.app.state["enishi"].jobs
    enishi_probe.CALLS.clear()
    assert await queue.enqueue("probe.count_friends", workspace_id=workspace.id)
    await queue.drain()
    assert enishi_probe.CALLS == [("count_friends", workspace.id, 2)]
