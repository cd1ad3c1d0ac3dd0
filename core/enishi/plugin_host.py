"""Finds, checks and loads plugins, collects their registrations and calls their hooks per workspace."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from enishi import hookspecs
from enishi.manifest import PluginManifest
from enishi.registry import KINDS, Register, Registry
from enishi.settings import Settings

log = logging.getLogger("enishi.plugins")

ENTRY_POINT_GROUP = "enishi.plugins"
PACKAGE_PREFIX = "enishi_"
CORE_DISTRIBUTION = "enishi"


@dataclass
class PluginInfo:
    name: str
    version: str
    source: str  # "built-in" or the third-party distribution's name
    status: str  # "loaded", "refused" or "not loaded"
    manifest: PluginManifest | None = None
    error: str | None = None
    module: Any = None

    @property
    def loaded(self) -> bool:
        return self.status == "loaded"


@dataclass
class PluginHost:
    pm: pluggy.PluginManager
    registry: Registry
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    _callers: dict[tuple[str, frozenset[str]], Any] = field(default_factory=dict)

    @property
    def loaded(self) -> list[PluginInfo]:
        return [p for p in self.plugins.values() if p.loaded]

    @property
    def loaded_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.loaded)

    def manifest(self, name: str) -> PluginManifest | None:
        info = self.plugins.get(name)
        return info.manifest if info and info.loaded else None

    async def call(self, hook: str, enabled: Iterable[str], **kwargs: Any) -> list[Any]:
        """Call a runtime hook on the plugins in ``enabled`` only, awaiting async implementations.

        Each implementation runs on its own: one plugin's exception is logged and the others still run.
        """
        results = []
        for impl in self._caller(hook, frozenset(enabled)).get_hookimpls():
            args = {name: kwargs[name] for name in impl.argnames}
            try:
                result = impl.function(**args)
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook)
                continue
            results.append(result)
        return results

    def implements(self, hook: str, enabled: Iterable[str]) -> bool:
        """Whether any plugin in ``enabled`` implements ``hook`` (so a caller can skip building its arguments)."""
        return bool(self._caller(hook, frozenset(enabled)).get_hookimpls())

    def _caller(self, hook: str, enabled: frozenset[str]) -> Any:
        key = (hook, enabled)
        if key not in self._callers:
            others = [p.name for p in self.loaded if p.name not in enabled]
            self._callers[key] = self.pm.subset_hook_caller(
                hook, remove_plugins=[self.pm.get_plugin(n) for n in others]
            )
        return self._callers[key]


def discover(settings: Settings, extra: Sequence[EntryPoint] = ()) -> PluginHost:
    """Load every plugin of the ``enishi.plugins`` entry-point group, in name order.

    ``ENISHI_PLUGINS`` (allow-list) and ``ENISHI_DISABLE_PLUGINS`` (block-list) decide which are loaded. A plugin
    that fails to import, has a bad manifest, registers an invalid schema or implements an unknown hook is
    refused with one log line; the others still load.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm=pm, registry=Registry())
    from enishi.core_registrations import register_core

    register_core(host.registry)
    found: dict[str, EntryPoint] = {}
    for ep in sorted([*entry_points(group=ENTRY_POINT_GROUP), *extra], key=lambda e: e.name):
        if ep.name in found:
            log.error("plugin %s refused: two distributions provide it", ep.name)
            continue
        found[ep.name] = ep
    for name, ep in found.items():
        dist = getattr(ep, "dist", None)
        version = dist.version if dist else "0"
        source = "local" if dist is None else "built-in" if dist.name == CORE_DISTRIBUTION else dist.name
        info = PluginInfo(name=name, version=version, source=source, status="not loaded")
        host.plugins[name] = info
        if settings.plugins_allow is not None and name not in settings.plugins_allow:
            info.error = "not in ENISHI_PLUGINS"
            continue
        if name in settings.plugins_block:
            info.error = "in ENISHI_DISABLE_PLUGINS"
            continue
        try:
            _load_one(host, info, ep)
        except Exception as exc:
            info.status, info.error = "refused", f"{type(exc).__name__}: {exc}"
            if info.module is not None and pm.is_registered(info.module):
                pm.unregister(info.module)
            host.registry.remove_plugin(name)
            log.error("plugin %s refused: %s", name, info.error)
    return host


def _load_one(host: PluginHost, info: PluginInfo, ep: EntryPoint) -> None:
    expected = PACKAGE_PREFIX + info.name
    if ep.value.split(":")[0] != expected:
        raise ValueError(f"entry point must name the package {expected!r}, not {ep.value!r}")
    module = ep.load()
    manifest = getattr(module, "manifest", None)
    if not isinstance(manifest, PluginManifest):
        raise ValueError(f"{expected} has no `manifest = enishi.PluginManifest(...)`")
    manifest.check(info.name)
    info.module, info.manifest = module, manifest
    host.pm.register(module, name=info.name)
    unknown = sorted(hc.name for hc in host.pm.get_hookcallers(module) or [] if not hc.has_spec())
    if unknown:
        raise ValueError(f"implements unknown hooks: {', '.join(unknown)}")
    collected: list[tuple[str, Any]] = []
    for kind in KINDS:
        for impl in getattr(host.pm.hook, f"enishi_register_{kind}").get_hookimpls():
            if impl.plugin_name != info.name:
                continue
            register: Register[Any] = Register(kind, info.name, info.version)
            result = impl.function(register=register)
            if inspect.iscoroutine(result):
                result.close()
                raise TypeError(f"enishi_register_{kind} must not be async")
            collected.extend((kind, entry) for entry in register.collected)
    for kind, entry in collected:
        host.registry.add(kind, entry)
    info.status = "loaded"
