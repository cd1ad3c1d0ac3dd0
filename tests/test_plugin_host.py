"""Plugin discovery, allow/block lists, refusal of broken plugins, and per-workspace hook calls."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
import pytest

from enishi import hookspecs
from enishi.hookspecs import hookimpl
from enishi.manifest import PluginManifest
from enishi.plugin_host import PluginHost, PluginInfo, discover
from enishi.registry import Registry
from enishi.text import Text
from tests.conftest import PROBE, settings_for


def ep(name: str, module: str | None = None) -> EntryPoint:
    return EntryPoint(name=name, value=module or f"enishi_{name}", group="enishi.plugins")


BROKEN = {
    "broken_import": "ModuleNotFoundError",
    "bad_manifest": "tier must be one of start, standard, pro",
    "bad_schema": "invalid JSON Schema",
    "unknown_hook": "unknown hooks: enishi_register_trigers",
    "async_register": "must not be async",
}


def test_broken_plugins_are_refused_with_one_log_line_and_the_rest_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="enishi.plugins")
    host = discover(settings_for(tmp_path), extra=[PROBE, *(ep(n) for n in BROKEN)])
    assert host.plugins["probe"].status == "loaded"
    for name, reason in BROKEN.items():
        info = host.plugins[name]
        assert info.status == "refused", name
        assert reason in (info.error or ""), (name, info.error)
        lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"plugin {name} refused")]
        assert len(lines) == 1, (name, lines)
    # A refused plugin leaves nothing behind: no hooks, no registrations.
    assert not any(e.plugin in BROKEN for kind in ("actions", "permissions") for e in host.registry.all(kind))
    registering = {p.plugin_name for p in host.pm.hook.enishi_register_actions.get_hookimpls()}
    assert registering <= host.loaded_names and not registering & set(BROKEN)


def test_entry_point_must_name_the_package_after_the_plugin(tmp_path: Path) -> None:
    host = discover(settings_for(tmp_path), extra=[ep("other", "enishi_probe")])
    assert host.plugins["other"].status == "refused"
    assert "must name the package 'enishi_other'" in (host.plugins["other"].error or "")


def test_allow_and_block_lists(tmp_path: Path) -> None:
    only_probe = discover(settings_for(tmp_path, ENISHI_PLUGINS="probe"), extra=[PROBE, ep("bad_schema")])
    assert only_probe.loaded_names == {"probe"}
    assert only_probe.plugins["bad_schema"].status == "not loaded"
    assert only_probe.plugins["bad_schema"].error == "not in ENISHI_PLUGINS"

    blocked = discover(settings_for(tmp_path, ENISHI_DISABLE_PLUGINS="probe"), extra=[PROBE])
    assert "probe" not in blocked.loaded_names
    assert blocked.plugins["probe"].error == "in ENISHI_DISABLE_PLUGINS"
    assert blocked.registry.get("actions", "probe.rename") is None


def test_registrations_are_namespaced_versioned_and_recorded_with_their_plugin(tmp_path: Path) -> None:
    host = discover(settings_for(tmp_path), extra=[PROBE])
    rename = host.registry.get("actions", "probe.rename")
    assert rename is not None
    assert (rename.plugin, rename.version, rename.item.name) == ("probe", 1, "rename")
    assert [e.key for e in host.registry.all("reports") if e.plugin == "probe"] == ["probe.by_status"]
    assert host.registry.get("permissions", "probe.use") is not None
    assert host.registry.get("jobs", "probe.tick") is not None
    # Deterministic: two discoveries give the same plugins in the same (name) order.
    assert list(host.plugins) == sorted(host.plugins)
    assert list(discover(settings_for(tmp_path), extra=[PROBE]).plugins) == list(host.plugins)


async def test_runtime_hooks_reach_only_the_enabled_plugins_and_survive_a_failing_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import enishi_probe

    host = discover(settings_for(tmp_path), extra=[PROBE])
    enishi_probe.CALLS.clear()
    await host.call("enishi_friend_unfollowed", [], ctx=_Ctx(1), friend_id=5)
    assert enishi_probe.CALLS == []
    await host.call("enishi_friend_unfollowed", ["probe"], ctx=_Ctx(1), friend_id=5)
    assert enishi_probe.CALLS == [("unfollowed", 1, 5)]

    # A plugin that raises is logged and does not stop the call for the others.
    caplog.set_level(logging.ERROR, logger="enishi.plugins")
    results = await host.call("enishi_line_event", ["probe"], ctx=None, event={"type": "follow"}, friend_id=None)
    assert results == []
    assert "plugin probe failed in enishi_line_event" in caplog.text


class _Ctx:
    def __init__(self, workspace_id: int) -> None:
        self.workspace_id = workspace_id


def test_a_disabled_plugins_node_types_cannot_be_used(tmp_path: Path) -> None:
    from enishi.registry import Unavailable

    host = discover(settings_for(tmp_path), extra=[PROBE])
    assert host.registry.usable("actions", "probe.rename", 1, {"probe"}).plugin == "probe"
    assert host.registry.usable("actions", "probe.rename", None, {"probe"}).version == 1
    with pytest.raises(Unavailable, match="which is off in this workspace"):
        host.registry.usable("actions", "probe.rename", 1, set())
    with pytest.raises(Unavailable, match=r"version 9 of probe.rename does not exist \(known: \[1\]\)"):
        host.registry.usable("actions", "probe.rename", 9, {"probe"})
    with pytest.raises(Unavailable, match=r"unknown probe\.nothing"):
        host.registry.usable("actions", "probe.nothing", 1, {"probe"})


def _ordered_plugin(name: str, calls: list[str], **order: bool) -> ModuleType:
    """A plugin whose ``enishi_friend_unfollowed`` records its name; ``order`` is ``tryfirst`` or ``trylast``."""
    if name.startswith("async"):

        async def unfollowed(ctx: Any, friend_id: int) -> str:
            calls.append(name)
            return name

    else:

        def unfollowed(ctx: Any, friend_id: int) -> str:  # type: ignore[misc]
            calls.append(name)
            if name == "failing":
                raise RuntimeError("boom")
            return name

    plugin = ModuleType(f"enishi_{name}")
    plugin.enishi_friend_unfollowed = hookimpl(**order)(unfollowed)  # type: ignore[attr-defined]
    return plugin


async def test_runtime_hooks_are_called_in_pluggys_order(caplog: pytest.LogCaptureFixture) -> None:
    """tryfirst first, trylast last, the rest from the last registered to the first, as pluggy itself calls them;
    async implementations are awaited in their turn and a failing one does not stop the others."""
    caplog.set_level(logging.ERROR, logger="enishi.plugins")
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm=pm, registry=Registry())
    calls: list[str] = []
    plugins = {
        "plain_a": {},
        "late_a": {"trylast": True},
        "early_a": {"tryfirst": True},
        "async_plain": {},
        "failing": {},
        "async_late": {"trylast": True},
        "early_b": {"tryfirst": True},
        "plain_b": {},
    }
    for name, order in plugins.items():  # registered in this order, as discover registers in name order
        pm.register(_ordered_plugin(name, calls, **order), name=name)
        host.plugins[name] = PluginInfo(name=name, version="1", source="local", status="loaded")
    expected = ["early_b", "early_a", "plain_b", "failing", "async_plain", "plain_a", "late_a", "async_late"]

    results = await host.call("enishi_friend_unfollowed", plugins, ctx=None, friend_id=1)
    assert calls == expected
    assert results == [n for n in expected if n != "failing"]
    assert "plugin failing failed in enishi_friend_unfollowed" in caplog.text

    # What pluggy's own call does with the same plugins (its synchronous ones; async ones return coroutines).
    calls.clear()
    for name in ("async_plain", "async_late", "failing"):
        pm.unregister(name=name)
        del host.plugins[name]
    pm.hook.enishi_friend_unfollowed(ctx=None, friend_id=1)
    assert calls == [n for n in expected if not n.startswith("async") and n != "failing"]
    calls.clear()
    await host.call("enishi_friend_unfollowed", host.plugins, ctx=None, friend_id=1)
    assert calls == [n for n in expected if not n.startswith("async") and n != "failing"]

    # Only the enabled plugins are called, still in that order.
    calls.clear()
    await host.call("enishi_friend_unfollowed", ["plain_a", "late_a", "early_a", "plain_b"], ctx=None, friend_id=1)
    assert calls == ["early_a", "plain_b", "plain_a", "late_a"]

    # A caller with something to do before the fallbacks calls the others first, then the trylast ones.
    calls.clear()
    await host.call("enishi_friend_unfollowed", host.plugins, trylast=False, ctx=None, friend_id=1)
    assert calls == ["early_b", "early_a", "plain_b", "plain_a"]
    calls.clear()
    await host.call("enishi_friend_unfollowed", host.plugins, trylast=True, ctx=None, friend_id=1)
    assert calls == ["late_a"]


def test_discover_registers_the_installed_core_plugin_last_and_never_off(tmp_path: Path) -> None:
    from enishi import core_plugin

    host = discover(settings_for(tmp_path), extra=[PROBE])
    assert host.pm.get_plugin("core") is core_plugin
    assert [name for name, _ in host.pm.list_name_plugin()][-1] == "core"
    assert "core" not in host.plugins  # not a plugin a workspace can switch off
    assert host.registry.get("jobs", "core.advance_scenario_run") is not None
    assert host.registry.get("waits", "core.wait_delay") is not None
    assert host.registry.get("permissions", "core.broadcast") is not None
    assert host.implements("enishi_domain_events", enabled=[])  # the engine hears every workspace's events


def test_the_composition_root_hands_discover_its_core_plugin(tmp_path: Path) -> None:
    registered: list[Registry] = []
    core = ModuleType("stand_in_core")
    core.register_core = registered.append  # type: ignore[attr-defined]
    host = discover(settings_for(tmp_path), core=core)  # type: ignore[arg-type]
    assert host.pm.get_plugin("core") is core and registered == [host.registry]
    assert host.registry.get("jobs", "core.advance_scenario_run") is None


def test_a_plugin_may_not_take_the_cores_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = ModuleType("enishi_core")
    module.manifest = PluginManifest(  # type: ignore[attr-defined]
        title=Text("コア", "Core"), description=Text("コア", "Core"), tier="start"
    )
    monkeypatch.setitem(sys.modules, "enishi_core", module)
    host = discover(settings_for(tmp_path), extra=[ep("core")])
    assert host.plugins["core"].status == "refused"
    assert "the name 'core' is the core's own" in (host.plugins["core"].error or "")
    assert host.pm.get_plugin("core") is not module


def test_a_plugin_may_not_take_the_name_of_the_emulators_package(tmp_path: Path) -> None:
    """Its package would be enishi_line_emulator, which the core's own distribution ships."""
    host = discover(settings_for(tmp_path), extra=[ep("line_emulator")])
    assert host.plugins["line_emulator"].status == "refused"
    assert "the name 'line_emulator' is the core's own" in (host.plugins["line_emulator"].error or "")


def test_a_plugin_with_a_hook_wrapper_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The core calls each implementation itself, so a wrapper would silently never run."""
    module = ModuleType("enishi_wrapping")
    module.manifest = PluginManifest(  # type: ignore[attr-defined]
        title=Text("ラップ", "Wrapping"), description=Text("ラップ", "Wrapping"), tier="start"
    )

    def enishi_friend_unfollowed(ctx: Any, friend_id: int) -> Iterator[None]:
        yield

    module.enishi_friend_unfollowed = hookimpl(wrapper=True)(enishi_friend_unfollowed)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "enishi_wrapping", module)
    host = discover(settings_for(tmp_path), extra=[PROBE, ep("wrapping")])
    assert host.plugins["wrapping"].status == "refused"
    assert "hook wrappers are not supported: enishi_friend_unfollowed" in (host.plugins["wrapping"].error or "")
    assert host.plugins["probe"].status == "loaded"
