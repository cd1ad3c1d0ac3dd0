"""Plugin discovery, allow/block lists, refusal of broken plugins, and per-workspace hook calls."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from enishi.plugin_host import discover
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
    results = await host.call("enishi_line_event", ["probe"], ctx=None, event={"type": "follow"})
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
