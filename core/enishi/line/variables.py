"""Message variables: ``{{friend.display_name}}``, ``{{field.nickname|お客様}}``, ``{{tags.tags}}`` …

A variable is ``{{<namespace>.<key>}}`` with an optional default after a pipe. ``friend`` is the friend itself
(``display_name``, ``name``: the 管理用の名前 or else the LINE name, ``id``); ``field`` is short for the custom
friend fields of the friend_fields plugin; any other namespace is a plugin whose registered friend field sources
list the key (``{{tags.tags}}`` → the tags plugin's source). Only sources of plugins enabled in the workspace count.

Checking happens when messages are saved (an unknown variable is refused there); at send time a friend without
a value gets the default, or nothing. Values come from the sources' ``load``, one call per source for a whole
send: :func:`values_for` for one friend, :func:`values_for_many` for a batch (a broadcast).

Every sender uses this module (the messages plugin's scenario action and sends, the core's broadcasts), so a
message reads the same whichever way it goes out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from enishi.context import WorkspaceContext
from enishi.line.message_check import check_messages
from enishi.models.friends import Friend
from enishi.schema_validation import SchemaProblem
from enishi.text import Text
from enishi.types import FriendFieldSource

# Keys whose strings are URLs: a value put into one is percent-encoded, so a name with spaces or "&" cannot break
# the link (or add parameters to it).
URL_KEYS = frozenset({"uri", "linkUri", "url", "desktop"})  # "desktop": altUri.desktop of a URI action

FRIEND = "friend"
FIELD_ALIAS = "field"
FIELD_PLUGIN = "friend_fields"
# Keys under which a message holds other plugins' configs or messages sent later: expanded when they run.
NOT_EXPANDED = frozenset({"enishi_actions", "reply"})

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
VARIABLE = re.compile(r"^\s*([a-z][a-z0-9_]*)\.([A-Za-z0-9_][A-Za-z0-9_\-]*)\s*(?:\|(.*))?$", re.DOTALL)
MAX_DEFAULT = 100
SAMPLE_URL = "https://example.com"

FRIEND_VARIABLES: Mapping[str, Text] = {
    "display_name": Text("友だちの表示名", "Friend's display name"),
    # The 管理用の名前 staff set (a real name, "田中様"), or the LINE name when there is none.
    "name": Text("友だちの名前（管理用の名前があればそれ）", "Friend's name (the name staff set, else the LINE name)"),
    "id": Text("友だちID", "Friend ID"),
}

# Fields where a value that made the text too long is cut short (with "…") rather than failing the send.
SHORTENED = frozenset({"text", "label", "title", "altText", "displayText", "fillInText"})
ELLIPSIS = "…"
_LENGTH = re.compile(r"^Length must be between (\d+) and (\d+)$")
_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Variable:
    namespace: str
    key: str
    default: str | None

    @property
    def name(self) -> str:
        return f"{self.namespace}.{self.key}"


@dataclass(frozen=True, slots=True)
class Available:
    """A variable the workspace offers, for the builder's "insert variable" menu."""

    name: str  # e.g. "field.nickname"
    label: Text
    plugin: str  # "core" for the friend's own variables


def is_url_key(key: Any) -> bool:
    return isinstance(key, str) and (key in URL_KEYS or key.endswith("Url"))


def parse(placeholder_body: str) -> Variable | None:
    """``field.nickname|お客様`` → Variable; None if it is not a variable at all."""
    match = VARIABLE.match(placeholder_body)
    if match is None:
        return None
    namespace, key, default = match.groups()
    return Variable(namespace, key, default)


def strings(node: Any, path: str, key: str | None = None) -> Iterator[tuple[str, str | None, str]]:
    """(path, key, value) of every string in a message tree outside the parts expanded later.

    ``key`` is the object key the string (or the list holding it) sits under, e.g. "text" or "uri".
    """
    if isinstance(node, str):
        yield path, key, node
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from strings(value, f"{path}[{i}]", key)
    elif isinstance(node, dict):
        for name, value in node.items():
            if name not in NOT_EXPANDED:
                yield from strings(value, f"{path}.{name}", name)


def used(node: Any) -> list[Variable]:
    """Every variable the strings of ``node`` use, in order, without repeats."""
    seen: dict[tuple[str, str, str | None], Variable] = {}
    for _, _, text in strings(node, "$"):
        for match in PLACEHOLDER.finditer(text):
            variable = parse(match.group(1))
            if variable is not None:
                seen.setdefault((variable.namespace, variable.key, variable.default), variable)
    return list(seen.values())


def plugin_of(namespace: str) -> str:
    return FIELD_PLUGIN if namespace == FIELD_ALIAS else namespace


class Catalog:
    """The friend field sources of a workspace and the keys each describes, asked once per check or send."""

    def __init__(self, ctx: WorkspaceContext) -> None:
        self.ctx = ctx
        self._keys: dict[str, list[tuple[FriendFieldSource, dict[str, Text]]]] = {}

    async def sources_of(self, plugin: str) -> list[tuple[FriendFieldSource, dict[str, Text]]]:
        if plugin not in self._keys:
            found = []
            for entry in self.ctx.host.registry.all("friend_fields", self.ctx.enabled_plugins):
                if entry.plugin != plugin:
                    continue
                source: FriendFieldSource = entry.item
                descriptors = await source.describe(self.ctx)
                found.append((source, {d.key: d.label for d in descriptors}))
            self._keys[plugin] = found
        return self._keys[plugin]

    async def source_for(self, variable: Variable) -> FriendFieldSource | None:
        for source, keys in await self.sources_of(plugin_of(variable.namespace)):
            if variable.key in keys:
                return source
        return None

    async def exists(self, variable: Variable) -> bool:
        if variable.namespace == FRIEND:
            return variable.key in FRIEND_VARIABLES
        return await self.source_for(variable) is not None

    async def available(self) -> list[Available]:
        out = [Available(f"{FRIEND}.{key}", label, "core") for key, label in FRIEND_VARIABLES.items()]
        plugins = sorted({e.plugin for e in self.ctx.host.registry.all("friend_fields", self.ctx.enabled_plugins)})
        for plugin in plugins:
            namespace = FIELD_ALIAS if plugin == FIELD_PLUGIN else plugin
            for _, keys in await self.sources_of(plugin):
                out.extend(Available(f"{namespace}.{key}", label, plugin) for key, label in keys.items())
        return out


async def problems(
    ctx: WorkspaceContext, node: Any, prefix: str, catalog: Catalog | None = None
) -> list[SchemaProblem]:
    """Placeholders in ``node`` that are not variables, or name a variable the workspace does not have."""
    catalog = catalog or Catalog(ctx)
    found: list[SchemaProblem] = []
    for path, _, text in strings(node, prefix):
        for match in PLACEHOLDER.finditer(text):
            variable = parse(match.group(1))
            if variable is None:
                found.append(
                    SchemaProblem(
                        path,
                        f"変数の書き方が正しくありません: {match.group(0)} / not a variable; "
                        "write e.g. {{friend.display_name}} or {{field.<key>|default}}",
                    )
                )
            elif variable.default is not None and len(variable.default) > MAX_DEFAULT:
                message = f"既定値は{MAX_DEFAULT}文字までです / a default is at most {MAX_DEFAULT} characters"
                found.append(SchemaProblem(path, message))
            elif not await catalog.exists(variable):
                found.append(
                    SchemaProblem(
                        path,
                        f"不明な変数です: {{{{{variable.name}}}}} / unknown variable {variable.name} "
                        "(no such friend field in this workspace)",
                    )
                )
    return found


def with_sample_urls(node: Any, key: Any = None) -> Any:
    """A copy in which URLs holding variables have sample values, to check the rest against LINE's rules.

    A variable that starts a URL holds the whole URL (a sample https address stands in); elsewhere its value is
    percent-encoded when sent, so a "0" stands in.
    """
    if isinstance(node, str):
        return sample_url(node) if is_url_key(key) and "{{" in node else node
    if isinstance(node, list):
        return [with_sample_urls(value, key) for value in node]
    if isinstance(node, dict):
        return {k: with_sample_urls(v, k) for k, v in node.items()}
    return node


def sample_url(value: str) -> str:
    start = SAMPLE_URL if value.startswith("{{") else "0"
    first = True

    def sample(match: re.Match[str]) -> str:
        nonlocal first
        out = start if first and match.start() == 0 else "0"
        first = False
        return out

    return PLACEHOLDER.sub(sample, value)


# --- expansion -----------------------------------------------------------------------------------------------


Values = dict[str, str | None]  # variable name → the friend's value as text (None: no value)


async def values_for(
    ctx: WorkspaceContext, friend_id: int | None, variables: Sequence[Variable], catalog: Catalog | None = None
) -> Values:
    """The friend's value of each variable, with one ``load`` per source; None where the friend has none."""
    if friend_id is None or not variables:
        return {v.name: None for v in variables}
    return (await values_for_many(ctx, [friend_id], variables, catalog)).get(friend_id) or {
        v.name: None for v in variables
    }


async def values_for_many(
    ctx: WorkspaceContext,
    friend_ids: Sequence[int],
    variables: Sequence[Variable],
    catalog: Catalog | None = None,
    *,
    display_names: Mapping[int, str | None] | None = None,
) -> dict[int, Values]:
    """Each friend's value of each variable: one query for the friends' own values (skipped when the caller
    passes ``display_names``) and one ``load`` per source for the whole batch."""
    catalog = catalog or Catalog(ctx)
    out: dict[int, Values] = {fid: {v.name: None for v in variables} for fid in friend_ids}
    if not friend_ids or not variables:
        return out
    own = [v for v in variables if v.namespace == FRIEND]
    if own:
        names = display_names
        overrides: Mapping[int, str | None] = {}
        if names is None or any(v.key == "name" for v in own):
            rows = (
                await ctx.session.execute(
                    select(Friend.id, Friend.display_name, Friend.name_override).where(Friend.id.in_(list(friend_ids)))
                )
            ).all()
            names = names if names is not None else {fid: name for fid, name, _ in rows}
            overrides = {fid: override for fid, _, override in rows}
        for fid, values in out.items():
            if fid not in names:
                continue
            if f"{FRIEND}.id" in values:
                values[f"{FRIEND}.id"] = str(fid)
            if f"{FRIEND}.display_name" in values:
                values[f"{FRIEND}.display_name"] = names[fid] or None
            if f"{FRIEND}.name" in values:
                values[f"{FRIEND}.name"] = overrides.get(fid) or names[fid] or None
    wanted: dict[int, tuple[FriendFieldSource, set[str], list[Variable]]] = {}
    for variable in variables:
        if variable.namespace == FRIEND:
            continue
        source = await catalog.source_for(variable)
        if source is None:  # gone since the messages were saved: as if the friend had no value
            continue
        _, keys, of_source = wanted.setdefault(id(source), (source, set(), []))
        keys.add(variable.key)
        of_source.append(variable)
    for source, keys, of_source in wanted.values():
        loaded = await source.load(ctx, list(friend_ids), sorted(keys))
        for fid, values in out.items():
            mine = loaded.get(fid) or {}
            for variable in of_source:
                values[variable.name] = as_text(mine.get(variable.key), ctx)
    return out


def as_text(value: Any, ctx: WorkspaceContext) -> str | None:
    """How a friend field value reads in a message; None (or an empty value) means "no value"."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, datetime):
        moment = value.astimezone(ctx.tz) if value.tzinfo else value
        return moment.strftime("%Y/%m/%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        parts = [as_text(v, ctx) for v in value]
        return "、".join(p for p in parts if p) or None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def expand_text(
    text: str, values: Values, *, in_url: bool = False, missing: Callable[[Variable], str] | None = None
) -> str:
    """Put the values into one string; a variable without value becomes its default (or ``missing(v)``, or "").

    In a URL, a value is percent-encoded, except where the variable starts the URL (it then holds the URL).
    """

    def substitute(match: re.Match[str]) -> str:
        variable = parse(match.group(1))
        if variable is None:
            return match.group(0)
        value = values.get(variable.name)
        if value is None:
            value = variable.default if variable.default is not None else (missing(variable) if missing else "")
        return quote(value, safe="") if in_url and match.start() > 0 else value

    return PLACEHOLDER.sub(substitute, text)


def expand(node: Any, values: Values, missing: Callable[[Variable], str] | None = None, key: Any = None) -> Any:
    """A copy of ``node`` with every variable replaced, outside the parts expanded later (enishi_actions, reply)."""
    if isinstance(node, str):
        return expand_text(node, values, in_url=is_url_key(key), missing=missing) if "{{" in node else node
    if isinstance(node, list):
        return [expand(value, values, missing, key) for value in node]
    if isinstance(node, dict):
        out = {k: (v if k in NOT_EXPANDED else expand(v, values, missing, k)) for k, v in node.items()}
        if isinstance(node.get("text"), str) and isinstance(node.get("emojis"), list) and "{{" in node["text"]:
            out["emojis"] = _moved_emojis(node["text"], node["emojis"], values, missing)
        return out
    return node


def _moved_emojis(text: str, emojis: list[Any], values: Values, missing: Callable[[Variable], str] | None) -> list[Any]:
    """LINE emojis point at "$" characters of the text by index: keep them on their "$" once values are in.

    Indexes count UTF-16 code units, as LINE counts characters.
    """
    shifts = []  # (where the placeholder starts, how much longer its value is)
    for match in PLACEHOLDER.finditer(text):
        grown = utf16_length(expand_text(match.group(0), values, missing=missing)) - utf16_length(match.group(0))
        shifts.append((utf16_length(text[: match.start()]), grown))
    moved = []
    for emoji in emojis:
        if isinstance(emoji, dict) and isinstance(emoji.get("index"), int):
            index = emoji["index"]
            emoji = {**emoji, "index": index + sum(grown for start, grown in shifts if start < index)}
        moved.append(emoji)
    return moved


def utf16_length(text: str) -> int:
    """LINE counts characters in UTF-16 code units: an emoji outside the BMP counts as two."""
    return len(text.encode("utf-16-le")) // 2


async def expand_for_friend(
    ctx: WorkspaceContext, friend_id: int | None, messages: Any, missing: Callable[[Variable], str] | None = None
) -> tuple[Any, Values]:
    """``messages`` with the friend's values in place, and the values used (for a preview).

    Without a friend (a preview of how the messages read) every variable takes its default, or ``missing(v)``.
    """
    variables = used(messages)
    values = await values_for(ctx, friend_id, variables)
    return expand(messages, values, missing), values


def grew(written: Any, expanded: Any) -> bool:
    """Whether expanding made some string longer (only then can it have gone over one of LINE's limits)."""
    if isinstance(written, str):
        return isinstance(expanded, str) and utf16_length(expanded) > utf16_length(written)
    if isinstance(written, list) and isinstance(expanded, list):
        return any(grew(a, b) for a, b in zip(written, expanded, strict=False))
    if isinstance(written, dict) and isinstance(expanded, dict):
        return any(grew(value, expanded.get(key)) for key, value in written.items() if key not in NOT_EXPANDED)
    return False


def fit_to_line(messages: list[Any], prefix: str = "$.messages") -> tuple[list[Any], list[SchemaProblem]]:
    """Cut values that filled-in variables made too long; the problems that remain after that.

    The messages were checked as written, so a length over LINE's limit now comes from a friend's value: the
    message still goes out, shortened, rather than not at all.
    """
    problems = check_messages(messages, prefix)
    changed = False
    for problem in problems:
        match = _LENGTH.match(problem.message)
        parts = _parts(problem.path, prefix)
        if match is None or not parts or parts[-1] not in SHORTENED:
            continue
        parent = _lookup(messages, parts[:-1])
        value = parent.get(parts[-1]) if isinstance(parent, dict) else None
        high = int(match.group(2))
        if isinstance(value, str) and utf16_length(value) > high:
            parent[parts[-1]] = shorten(value, high)
            changed = True
    return messages, check_messages(messages, prefix) if changed else problems


def _parts(path: str, prefix: str) -> list[str | int]:
    """``$.messages[0].template.title`` → [0, "template", "title"] (within the list of messages)."""
    if not path.startswith(prefix):
        return []
    rest = path[len(prefix) :]
    return [int(index) if index else name for name, index in _PART.findall(rest)]


def _lookup(node: Any, parts: list[str | int]) -> Any:
    for part in parts:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` UTF-16 units, ending in "…", never splitting a character."""
    out, size_so_far = [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if size_so_far + size > limit - 1:
            break
        out.append(char)
        size_so_far += size
    return "".join(out) + ELLIPSIS
