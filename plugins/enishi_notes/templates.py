"""Note templates for the add_note action: the message variable syntax, ``{{friend.display_name}}``,
``{{field.<key>|default}}``, ``{{tags.tags}}`` …

``friend`` is the friend itself (``display_name``, ``id``); ``field`` is short for the friend_fields plugin's
fields; any other namespace is a plugin whose friend field sources list the key. Only plugins enabled in the
workspace count. Values are loaded with one ``load`` per source for a whole batch of friends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from enishi import FriendFieldSource, SchemaProblem, WorkspaceContext

FRIEND = "friend"
FRIEND_KEYS = ("display_name", "id")
FIELD_ALIAS = "field"
FIELD_PLUGIN = "friend_fields"
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
VARIABLE = re.compile(r"^\s*([a-z][a-z0-9_]*)\.([A-Za-z0-9_][A-Za-z0-9_\-]*)\s*(?:\|(.*))?$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Variable:
    namespace: str
    key: str
    default: str | None

    @property
    def name(self) -> str:
        return f"{self.namespace}.{self.key}"


def parse(body: str) -> Variable | None:
    match = VARIABLE.match(body)
    return Variable(*match.groups()) if match else None


def variables(template: str) -> list[Variable]:
    seen: dict[str, Variable] = {}
    for match in PLACEHOLDER.finditer(template):
        variable = parse(match.group(1))
        if variable is not None:
            seen.setdefault(variable.name, variable)
    return list(seen.values())


async def _sources(ctx: WorkspaceContext, plugin: str) -> list[tuple[FriendFieldSource, set[str]]]:
    found = []
    for entry in ctx.host.registry.all("friend_fields", ctx.enabled_plugins):
        if entry.plugin == plugin:
            source: FriendFieldSource = entry.item
            found.append((source, {d.key for d in await source.describe(ctx)}))
    return found


async def source_of(ctx: WorkspaceContext, variable: Variable) -> FriendFieldSource | None:
    plugin = FIELD_PLUGIN if variable.namespace == FIELD_ALIAS else variable.namespace
    for source, keys in await _sources(ctx, plugin):
        if variable.key in keys:
            return source
    return None


async def problems(ctx: WorkspaceContext, template: str, path: str) -> list[SchemaProblem]:
    """Placeholders that are not variables, or name a variable the workspace does not have."""
    found = []
    for match in PLACEHOLDER.finditer(template):
        variable = parse(match.group(1))
        if variable is None:
            found.append(
                SchemaProblem(
                    path,
                    f"変数の書き方が正しくありません: {match.group(0)} / not a variable; "
                    "write e.g. {{friend.display_name}} or {{field.<key>|default}}",
                )
            )
        elif variable.namespace == FRIEND:
            if variable.key not in FRIEND_KEYS:
                found.append(SchemaProblem(path, f"不明な変数です / unknown variable {variable.name}"))
        elif await source_of(ctx, variable) is None:
            found.append(
                SchemaProblem(path, f"不明な変数です: {{{{{variable.name}}}}} / unknown variable {variable.name}")
            )
    return found


Resolved = list[tuple[FriendFieldSource, set[str], list[Variable]]]


async def resolve(ctx: WorkspaceContext, used: Sequence[Variable]) -> Resolved:
    """The friend field source of each variable (asked once for a whole run), grouped by source."""
    wanted: dict[int, tuple[FriendFieldSource, set[str], list[Variable]]] = {}
    for variable in used:
        if variable.namespace == FRIEND:
            continue
        source = await source_of(ctx, variable)
        if source is None:  # gone since the scenario was saved: as if nobody had a value
            continue
        _, keys, of_source = wanted.setdefault(id(source), (source, set(), []))
        keys.add(variable.key)
        of_source.append(variable)
    return list(wanted.values())


async def values_for(
    ctx: WorkspaceContext, friends: Sequence[tuple[int, str]], resolved: Resolved
) -> dict[int, dict[str, str | None]]:
    """Per friend (id, display name): each variable's value as text, None where the friend has none; one
    ``load`` per source for all of ``friends``."""
    out: dict[int, dict[str, str | None]] = {
        friend_id: {f"{FRIEND}.id": str(friend_id), f"{FRIEND}.display_name": name or None}
        for friend_id, name in friends
    }
    ids = [friend_id for friend_id, _ in friends]
    for source, keys, of_source in resolved:
        loaded = await source.load(ctx, ids, sorted(keys))
        for friend_id in ids:
            mine = loaded.get(friend_id) or {}
            for variable in of_source:
                out[friend_id][variable.name] = as_text(mine.get(variable.key))
    return out


def as_text(value: Any) -> str | None:
    """How a friend field value reads in a note; None (or an empty value) means "no value"."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return "、".join(t for t in (as_text(v) for v in value) if t) or None
    if isinstance(value, Mapping):
        if "postal_code" in value and "prefecture" in value:  # a postal address
            parts = [value.get(k, "") for k in ("prefecture", "city", "line1")]
            line = "".join(str(p) for p in parts) + (f" {value['line2']}" if value.get("line2") else "")
            return f"〒{value['postal_code']} {line}"
        if "name" in value:  # a file
            return str(value["name"])
        return " ".join(t for t in (as_text(v) for v in value.values()) if t) or None
    return str(value)


def render(template: str, values: Mapping[str, str | None]) -> str:
    def substitute(match: re.Match[str]) -> str:
        variable = parse(match.group(1))
        if variable is None:
            return match.group(0)
        value = values.get(variable.name)
        return value if value is not None else (variable.default or "")

    return PLACEHOLDER.sub(substitute, template)
