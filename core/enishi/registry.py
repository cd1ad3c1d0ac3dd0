"""Everything plugins registered, keyed ``<plugin>.<name>`` and tagged with the plugin that supplied it."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from enishi.events import EventType, check_event_type
from enishi.schema_validation import check_schema, validate
from enishi.types import (
    ActionType,
    ApiRoutes,
    ConditionType,
    FriendFieldSource,
    JobType,
    Lookup,
    MigrationLocation,
    NodeType,
    Permission,
    ReportType,
    Resource,
    Schedule,
    TriggerType,
    UiModule,
    WaitType,
)

log = logging.getLogger("enishi.plugins")

T = TypeVar("T")
CORE = "core"  # the core plugin's reserved name: its keys are core.<name> and it is never off
# Names no plugin may take: the core's, and those whose package (enishi_<name>) the core's own distribution ships.
RESERVED_PLUGIN_NAMES = frozenset({CORE, "line_emulator"})
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
    "events": (EventType,),
    "actions": (ActionType,),
    "conditions": (ConditionType,),
    "friend_fields": (FriendFieldSource,),
    "reports": (ReportType,),
    "routes": (ApiRoutes,),
    "jobs": (JobType, Schedule),
    "permissions": (Permission,),
    "migrations": (MigrationLocation,),
    "screens": (Lookup, Resource, UiModule),
}
# Kinds only the core registers (no hook): the scenario engine's waits.
CORE_KINDS: dict[str, tuple[type, ...]] = {"waits": (WaitType,)}
NODE_KINDS = ("triggers", "actions", "conditions", "waits")
# Items of one hook kept apart by type, so a lookup and a resource may share a name ("tags.tags"): the collection
# each goes to. Everything else goes to the collection of its hook's kind.
COLLECTIONS: dict[type, str] = {Lookup: "lookups", Resource: "resources", UiModule: "ui_modules"}


def collection_of(kind: str, item: Any) -> str:
    """The registry collection an item a hook of ``kind`` registered goes to."""
    return COLLECTIONS.get(type(item), kind)


@dataclass
class Registry:
    items: dict[str, dict[tuple[str, int], Registered[Any]]] = field(
        default_factory=lambda: {kind: {} for kind in (*KINDS, *CORE_KINDS, *COLLECTIONS.values())}
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
        if any(
            (collection_of(self.kind, e.item), e.key, e.version) == (collection_of(self.kind, item), key, entry.version)
            for e in self.collected
        ):
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
    if isinstance(item, EventType) and (problem := check_event_type(item)):
        raise RegistrationError(f"{key}: {problem}")
    if isinstance(item, MigrationLocation) and not item.path.is_dir():
        raise RegistrationError(f"{key}: migration folder {item.path.name!r} does not exist")
    if isinstance(item, Lookup):
        check_lookup(item, key)
    if isinstance(item, Resource):
        check_resource(item, key)
    if isinstance(item, UiModule) and not item.path.is_file():
        # Registered all the same: the file may be built later; the catalog lists it once it exists.
        log.warning("%s: no UI module at %s (is its UI built?); the console will not load it", key, item.path)


PATH_RE = re.compile(r"^/[^\s#]*$")
FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
WIDGET_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
PERMISSION_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
COLUMN_FORMATS = frozenset({"text", "color", "number", "datetime", "boolean", "lookup"})


def check_lookup(lookup: Lookup, key: str) -> None:
    """Refuses a lookup the console could not use: a path outside the workspace, fields or types it cannot read."""
    if not PATH_RE.match(lookup.path):
        raise RegistrationError(f"{key}: path {lookup.path!r} must start with '/' (below /api/workspaces/{{id}})")
    _check_fields(key, value_field=lookup.value_field, label_field=lookup.label_field)
    _check_fields(key, hint_field=lookup.hint_field, color_field=lookup.color_field, optional=True)
    for prop, json_type in lookup.properties.items():
        if not FIELD_RE.match(prop):
            raise RegistrationError(f"{key}: property name {prop!r} is not a plain name")
        if json_type not in ("integer", "string"):
            raise RegistrationError(f"{key}: property {prop!r} must be of type 'integer' or 'string', not {json_type}")
    for widget in lookup.widgets:
        if not WIDGET_RE.match(widget):
            raise RegistrationError(f"{key}: widget name {widget!r} is not a plain name")
    if (lookup.send_path is None) != (lookup.send_field is None):
        raise RegistrationError(f"{key}: send_path and send_field go together")
    if lookup.send_path is not None and not PATH_RE.match(lookup.send_path):
        raise RegistrationError(
            f"{key}: send_path {lookup.send_path!r} must start with '/' (below /api/workspaces/{{id}})"
        )
    if lookup.send_field is not None and not FIELD_RE.match(lookup.send_field):
        raise RegistrationError(f"{key}: send_field {lookup.send_field!r} is not a plain name")
    if lookup.messages_field is not None and not FIELD_RE.match(lookup.messages_field):
        raise RegistrationError(f"{key}: messages_field {lookup.messages_field!r} is not a plain name")


def check_resource(resource: Resource, key: str) -> None:
    """Refuses a resource whose routes, form or columns the console could not use, or whose example its own schema
    refuses (the example is what its tests send)."""
    for attr in ("path", "item_path"):
        value = getattr(resource, attr)
        if not isinstance(value, str) or not PATH_RE.match(value):
            raise RegistrationError(f"{key}: {attr} {value!r} must start with '/' (below /api/workspaces/{{id}})")
    if "{id}" not in resource.item_path:
        raise RegistrationError(f"{key}: item_path {resource.item_path!r} must contain '{{id}}', the row's id")
    check_schema(dict(resource.schema), f"{key}: schema")
    if resource.schema.get("type") != "object":
        raise RegistrationError(f"{key}: schema must describe an object (the body of the write routes)")
    if not isinstance(resource.ui_schema, Mapping):
        raise RegistrationError(f"{key}: ui_schema must be an object")
    if resource.group not in ("data", "workspace"):
        raise RegistrationError(f"{key}: group must be 'data' or 'workspace', not {resource.group!r}")
    if resource.update not in ("patch", "put", None):
        raise RegistrationError(f"{key}: update must be 'patch', 'put' or None, not {resource.update!r}")
    if resource.permission is not None and not PERMISSION_RE.match(resource.permission):
        raise RegistrationError(f"{key}: permission {resource.permission!r} must be a key like '<plugin>.<name>'")
    _check_fields(key, id_field=resource.id_field, label_field=resource.label_field)
    for column in resource.columns:
        _check_fields(key, field=column.field)
        if column.format not in COLUMN_FORMATS:
            raise RegistrationError(f"{key}: column {column.field!r}: unknown format {column.format!r}")
        if (column.format == "lookup") != (column.lookup is not None):
            raise RegistrationError(f"{key}: column {column.field!r}: a lookup column names its lookup, no other does")
    problems = validate(dict(resource.schema), dict(resource.example))
    if problems:
        listed = "; ".join(f"{p.path}: {p.message}" for p in problems[:5])
        raise RegistrationError(f"{key}: example does not match the schema: {listed}")


_digests: dict[Path, tuple[int, str]] = {}


def ui_module_digest(path: Path) -> str | None:
    """The first 16 hex digits of the file's SHA-256, its name in URLs (None while the file does not exist).

    Computed once per file and modification time: the catalog names it on every visit, a rebuild changes it."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    cached = _digests.get(path)
    if cached is None or cached[0] != mtime:
        try:
            cached = (mtime, hashlib.sha256(path.read_bytes()).hexdigest()[:16])
        except OSError:
            return None
        _digests[path] = cached
    return cached[1]


def _check_fields(key: str, *, optional: bool = False, **fields: str | None) -> None:
    for attr, value in fields.items():
        if value is None and optional:
            continue
        if not isinstance(value, str) or not FIELD_RE.match(value):
            raise RegistrationError(f"{key}: {attr} {value!r} must name a field of the rows")
