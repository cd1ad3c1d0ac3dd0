"""Everything plugins registered, keyed ``<plugin>.<name>`` and tagged with the plugin that supplied it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from enishi.schema_validation import check_schema
from enishi.types import (
    ActionType,
    ApiRoutes,
    ConditionType,
    FriendFieldSource,
    JobType,
    MigrationLocation,
    NodeType,
    Permission,
    ReportType,
    Schedule,
    TriggerType,
    WaitType,
)

T = TypeVar("T")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class RegistrationError(ValueError):
    pass


class Unavailable(LookupError):
    """A node type, report or field that does not exist, or whose plugin is off in the workspace."""


@dataclass(frozen=True, slots=True)
class Registered(Generic[T]):
    key: str  # "<plugin>.<name>"
    plugin: str
    plugin_version: str
    item: T

    @property
    def version(self) -> int:
        return int(getattr(self.item, "version", 1))


# Which registration hook feeds which collection, and what it accepts.
KINDS: dict[str, tuple[type, ...]] = {
    "triggers": (TriggerType,),
    "actions": (ActionType,),
    "conditions": (ConditionType,),
    "friend_fields": (FriendFieldSource,),
    "reports": (ReportType,),
    "routes": (ApiRoutes,),
    "jobs": (JobType, Schedule),
    "permissions": (Permission,),
    "migrations": (MigrationLocation,),
}
# Kinds only the core registers (no hook): the scenario engine's waits.
CORE_KINDS: dict[str, tuple[type, ...]] = {"waits": (WaitType,)}
NODE_KINDS = ("triggers", "actions", "conditions", "waits")


@dataclass
class Registry:
    items: dict[str, dict[tuple[str, int], Registered[Any]]] = field(
        default_factory=lambda: {kind: {} for kind in (*KINDS, *CORE_KINDS)}
    )

    def add(self, kind: str, entry: Registered[Any]) -> None:
        bucket = self.items[kind]
        slot = (entry.key, entry.version)
        if slot in bucket:
            raise RegistrationError(f"{kind} {entry.key} v{entry.version} is registered twice")
        bucket[slot] = entry

    def remove_plugin(self, plugin: str) -> None:
        for bucket in self.items.values():
            for slot in [s for s, e in bucket.items() if e.plugin == plugin]:
                del bucket[slot]

    def all(self, kind: str, enabled: Iterable[str] | None = None) -> list[Registered[Any]]:
        """Entries of one kind, sorted by key and version; only those of ``enabled`` plugins if given."""
        allowed = None if enabled is None else set(enabled)
        return [
            e
            for _, e in sorted(self.items[kind].items())
            if allowed is None or e.plugin in allowed or e.plugin == "core"
        ]

    def get(self, kind: str, key: str, version: int | None = None) -> Registered[Any] | None:
        """One entry; the newest version when ``version`` is None."""
        if version is not None:
            return self.items[kind].get((key, version))
        versions = [e for (k, _), e in self.items[kind].items() if k == key]
        return max(versions, key=lambda e: e.version) if versions else None

    def usable(self, kind: str, key: str, version: int | None, enabled: Iterable[str]) -> Registered[Any]:
        """The entry a workspace may use or run; refuses unknown keys, unknown versions and disabled plugins."""
        entry = self.get(kind, key, version)
        if entry is None:
            known = sorted(v for (k, v) in self.items[kind] if k == key)
            detail = f"version {version} of {key} does not exist (known: {known})" if known else f"unknown {key}"
            raise Unavailable(detail)
        if entry.plugin != "core" and entry.plugin not in set(enabled):
            raise Unavailable(f"{key} belongs to the plugin {entry.plugin!r}, which is off in this workspace")
        return entry

    def node_types(self, enabled: Iterable[str] | None = None) -> Iterator[tuple[str, Registered[NodeType]]]:
        for kind in NODE_KINDS:
            for entry in self.all(kind, enabled):
                yield kind, entry


class Register(Generic[T]):
    """The callback a registration hook receives: ``register(item)``.

    It checks the item's type, name and schemas, namespaces the key and refuses duplicates. Everything a plugin
    registers is collected first and only added once the whole plugin registered cleanly.
    """

    def __init__(self, kind: str, plugin: str, plugin_version: str) -> None:
        self.kind = kind
        self.plugin = plugin
        self.plugin_version = plugin_version
        self.collected: list[Registered[T]] = []

    def __call__(self, item: T) -> None:
        accepted = KINDS[self.kind]
        if not isinstance(item, accepted):
            names = " or ".join(t.__name__ for t in accepted)
            raise RegistrationError(f"{self.plugin}: {self.kind} must be {names}, got {type(item).__name__}")
        name = getattr(item, "name", "")
        if not NAME_RE.match(name):
            raise RegistrationError(f"{self.plugin}: {self.kind} name {name!r} must match {NAME_RE.pattern}")
        key = f"{self.plugin}.{name}"
        _check_item(item, key)
        entry = Registered(key=key, plugin=self.plugin, plugin_version=self.plugin_version, item=item)
        if any((e.key, e.version) == (key, entry.version) for e in self.collected):
            raise RegistrationError(f"{key} v{entry.version} is registered twice")
        self.collected.append(entry)


def _check_item(item: Any, key: str) -> None:
    version = getattr(item, "version", 1)
    if not isinstance(version, int) or version < 1:
        raise RegistrationError(f"{key}: version must be a positive integer")
    for attr in ("config_schema", "params_schema"):
        schema = getattr(item, attr, None)
        if schema is not None:
            check_schema(dict(schema), f"{key}: {attr}")
            if schema.get("type") != "object":
                raise RegistrationError(f"{key}: {attr} must describe an object")
    if isinstance(item, NodeType):
        ports = [p.name for p in item.outputs]
        if len(set(ports)) != len(ports):
            raise RegistrationError(f"{key}: output port names must be unique")
    if isinstance(item, Schedule):
        from enishi.jobs.schedules import cron_spec  # lazily: the registry should not pull in arq

        cron_spec(key, item.every)  # refuses an interval workers could not keep
    if isinstance(item, MigrationLocation) and not item.path.is_dir():
        raise RegistrationError(f"{key}: migration folder {item.path.name!r} does not exist")
