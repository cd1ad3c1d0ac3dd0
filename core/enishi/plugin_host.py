"""Finds, checks and loads plugins, collects their registrations and calls their hooks per workspace."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol

import pluggy

from enishi import hookspecs
from enishi.manifest import PluginManifest
from enishi.registry import CORE, KINDS, RESERVED_PLUGIN_NAMES, Register, Registry, collection_of
from enishi.settings import Settings
from enishi.types import Resource

log = logging.getLogger("enishi.plugins")

ENTRY_POINT_GROUP = "enishi.plugins"
# The core plugin (enishi.core_plugin) that discover() registers when its caller hands it none.
CORE_ENTRY_POINT_GROUP = "enishi.core"
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


class CorePlugin(Protocol):
    """The core plugin: runtime hook implementations like any plugin's, and what the core registers."""

    def register_core(self, registry: Registry) -> None: ...


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

    async def call(self, hook: str, enabled: Iterable[str], *, trylast: bool | None = None, **kwargs: Any) -> list[Any]:
        """Call a runtime hook on the plugins in ``enabled`` (and the core plugin) only, awaiting async ones.

        Implementations run in pluggy's order: ``tryfirst`` ones first, ``trylast`` ones last, the others in
        reverse registration order (plugins register in name order, the core plugin after them). Each runs on its
        own: one plugin's exception is logged and the others still run. ``trylast=False`` calls all but the
        ``trylast`` implementations, ``trylast=True`` only those (a caller with something to do in between).
        """
        results = []
        # pluggy keeps implementations from the last to be called to the first, and calls them in reverse.
        for impl in reversed(self._caller(hook, frozenset(enabled)).get_hookimpls()):
            if trylast is not None and impl.trylast != trylast:
                continue
            args = {name: kwargs[name] for name in impl.argnames}
            args.update({name: kwargs[name] for name in impl.kwargnames if name in kwargs})
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

    def add_core(self, core: CorePlugin) -> None:
        """Register the core plugin under the reserved name ``core``.

        Its registrations go straight into the registry (the core owns kinds no hook has: waits). It is not one of
        :attr:`plugins`, so no workspace can switch it off: its runtime hooks run wherever a hook is called.
        """
        self.pm.register(core, name=CORE)
        try:
            core.register_core(self.registry)
        except Exception:
            self.pm.unregister(core)
            self.registry.remove_plugin(CORE)
            raise
        self._callers.clear()


def discover(settings: Settings, extra: Sequence[EntryPoint] = (), *, core: CorePlugin | None = None) -> PluginHost:
    """Load every plugin of the ``enishi.plugins`` entry-point group, in name order, then the core plugin.

    ``ENISHI_PLUGINS`` (allow-list) and ``ENISHI_DISABLE_PLUGINS`` (block-list) decide which are loaded. A plugin
    that fails to import, has a bad manifest, registers an invalid schema or implements an unknown hook is
    refused with one log line; the others still load.

    ``core`` is the core plugin, which the composition root hands over (see enishi.composition); without it, the
    one the ``enishi.core`` entry point names. It registers last, so its ``trylast`` hook implementations (the
    scenario engine hearing domain events) run after every plugin's.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm=pm, registry=Registry())
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
        if name in RESERVED_PLUGIN_NAMES:
            info.status, info.error = "refused", f"the name {name!r} is the core's own"
            log.error("plugin %s refused: %s", name, info.error)
            continue
        try:
            _load_one(host, info, ep)
        except Exception as exc:
            info.status, info.error = "refused", f"{type(exc).__name__}: {exc}"
            if info.module is not None and pm.is_registered(info.module):
                pm.unregister(info.module)
            host.registry.remove_plugin(name)
            log.error("plugin %s refused: %s", name, info.error)
    host.add_core(core if core is not None else installed_core())
    return host


def installed_core() -> CorePlugin:
    """The core plugin the ``enishi.core`` entry point names (the enishi distribution declares it)."""
    found = list(entry_points(group=CORE_ENTRY_POINT_GROUP))
    if len(found) != 1:
        names = ", ".join(ep.value for ep in found) or "none"
        raise RuntimeError(
            f"expected one entry point in {CORE_ENTRY_POINT_GROUP!r} (the core plugin), found {names}: reinstall enishi"
        )
    core: CorePlugin = found[0].load()
    return core


def _check_resource_permissions(collected: Sequence[tuple[str, Any]]) -> None:
    """A resource's write permission is the core's or one its own plugin declares: another plugin's may be off."""
    declared = {entry.key for kind, entry in collected if kind == "permissions"}
    for _, entry in collected:
        permission = entry.item.permission if isinstance(entry.item, Resource) else None
        if permission and not permission.startswith(f"{CORE}.") and permission not in declared:
            raise ValueError(f"{entry.key}: permission {permission!r} is neither the core's nor the plugin's own")


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
    hookcallers = host.pm.get_hookcallers(module) or []
    unknown = sorted(hc.name for hc in hookcallers if not hc.has_spec())
    if unknown:
        raise ValueError(f"implements unknown hooks: {', '.join(unknown)}")
    # The core calls each implementation itself (awaiting it, isolating its errors): a wrapper would never run.
    wrappers = sorted(
        hc.name
        for hc in hookcallers
        for impl in hc.get_hookimpls()
        if impl.plugin is module and (impl.wrapper or impl.hookwrapper)
    )
    if wrappers:
        raise ValueError(f"hook wrappers are not supported: {', '.join(wrappers)}")
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
    _check_resource_permissions(collected)
    for kind, entry in collected:
        host.registry.add(collection_of(kind, entry.item), entry)
    info.status = "loaded"
