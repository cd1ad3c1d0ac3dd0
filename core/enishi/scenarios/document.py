"""Scenario documents: the JSON Schema, the graph they describe, and validation that reports every problem at once.

A document is ``{schema_version, nodes: [{id, type, type_version, config}], edges: [{id, source, source_port,
target, target_port}], settings, layout}``. Each problem names the node it concerns (when there is one), a
JSON path into the document and a bilingual message, so the builder can show it on that node.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from enishi.context import WorkspaceContext
from enishi.nodes import NodeKind, check_node_config
from enishi.registry import NODE_KINDS, Registered, Registry, Unavailable
from enishi.schema_validation import validate
from enishi.types import NodeType, WaitType

SCHEMA_FILE = Path(__file__).with_name("scenario.schema.json")
DEFAULT_SETTINGS: Mapping[str, Any] = {
    "reentry": False,
    "exit_condition": None,
    "quiet_hours": None,  # the workspace's quiet hours (see enishi.scenarios.quiet_hours)
}
# Scenarios started by a message are auto-replies: a friend who asks again is answered again, unless the
# scenario says otherwise.
REENTRANT_TRIGGERS = frozenset({"core.message_received", "core.postback_received"})


@cache
def document_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def empty_document() -> dict[str, Any]:
    return {"schema_version": 1, "nodes": [], "edges": [], "settings": {"exit_condition": None, "quiet_hours": None}}


def settings_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document's settings with defaults filled in; re-entry defaults to allowed for message-started ones."""
    own = document.get("settings") or {}
    settings = {**DEFAULT_SETTINGS, **own}
    if "reentry" not in own:
        settings["reentry"] = any(n.get("type") in REENTRANT_TRIGGERS for n in document.get("nodes", []))
    return settings


@dataclass(frozen=True, slots=True)
class Problem:
    node_id: str | None
    path: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "path": self.path, "message": self.message}


def find_type(registry: Registry, key: str, version: int | None) -> tuple[NodeKind, Registered[NodeType]] | None:
    """The kind and entry of a node type key (a key names one kind; triggers are looked up first)."""
    for kind in NODE_KINDS:
        entry = registry.get(kind, key, version)
        if entry is not None:
            return kind, entry  # type: ignore[return-value]
    return None


@dataclass
class Graph:
    """A document read for running: nodes by id and the target of each (node, output port)."""

    nodes: dict[str, dict[str, Any]]
    next_of: dict[tuple[str, str], str]
    settings: dict[str, Any]
    triggers: list[str] = field(default_factory=list)
    # Nodes on a loop (through a wait): the only nodes a run can reach more than once, as runs move along edges
    # only. A step at any other node is the run's first visit there, which the stepper need not look up.
    looped: frozenset[str] = frozenset()

    @classmethod
    def of(cls, document: Mapping[str, Any], registry: Registry | None = None) -> Graph:
        nodes = {n["id"]: n for n in document.get("nodes", [])}
        edges = document.get("edges", [])
        next_of = {(e["source"], e["source_port"]): e["target"] for e in edges}
        successors = _successors(edges)
        looped = frozenset(
            node_id
            for component in _strong_components(list(nodes), successors)
            for node_id in component
            if len(component) > 1 or node_id in successors.get(node_id, [])
        )
        graph = cls(nodes=nodes, next_of=next_of, settings=settings_of(document), looped=looped)
        if registry is not None:
            graph.triggers = [
                n["id"] for n in document.get("nodes", []) if registry.get("triggers", n["type"]) is not None
            ]
        return graph

    def entry(self, registry: Registry) -> str | None:
        """Where a scenario started by staff or another scenario begins: its manual start, else its first trigger."""
        for node_id, node in self.nodes.items():
            if node["type"] == "core.manual_start":
                return node_id
        for node in self.nodes.values():
            if registry.get("triggers", node["type"]) is not None:
                return str(node["id"])
        return None


async def validate_document(ctx: WorkspaceContext, document: Any) -> list[Problem]:
    """Every problem of a document for this workspace; an empty list means it can be published."""
    structural = [Problem(_node_at(document, p.path), p.path, p.message) for p in validate(document_schema(), document)]
    if structural:
        return structural
    problems: list[Problem] = []
    nodes: list[dict[str, Any]] = document["nodes"]
    edges: list[dict[str, Any]] = document["edges"]
    registry = ctx.host.registry

    by_id: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, node in enumerate(nodes):
        if node["id"] in by_id:
            problems.append(Problem(node["id"], f"$.nodes[{i}].id", "ノードIDが重複しています / duplicate node id"))
        by_id[node["id"]] = (i, node)

    types: dict[str, tuple[NodeKind, NodeType]] = {}
    for i, node in enumerate(nodes):
        found = find_type(registry, node["type"], None)
        prefix = f"$.nodes[{i}]"
        if found is None:
            problems.append(
                Problem(
                    node["id"],
                    f"{prefix}.type",
                    f"不明なノード種類です / unknown node type {node['type']}",
                )
            )
            continue
        kind = found[0]
        try:
            entry = registry.usable(kind, node["type"], node["type_version"], ctx.enabled_plugins)
        except Unavailable as exc:
            problems.append(Problem(node["id"], f"{prefix}.type_version", _unavailable(str(exc))))
            continue
        types[node["id"]] = (kind, entry.item)
        for p in await check_node_config(
            ctx, kind, node["type"], node["type_version"], node["config"], f"{prefix}.config"
        ):
            problems.append(Problem(node["id"], p.path, p.message))
        if isinstance(entry.item, WaitType) and entry.item.event_of is not None:
            problems += await _check_awaited_event(ctx, node, entry.item, f"{prefix}.config.event")

    problems += _check_edges(edges, by_id, types)
    problems += _check_reachability(nodes, edges, types)
    problems += _check_cycles(nodes, edges, types)

    settings = document.get("settings") or {}
    condition = settings.get("exit_condition")
    if condition:
        for p in await check_node_config(
            ctx,
            "conditions",
            condition["type"],
            condition["type_version"],
            condition["config"],
            "$.settings.exit_condition.config",
        ):
            problems.append(Problem(None, p.path, p.message))
    return problems


def _unavailable(detail: str) -> str:
    if "is off" in detail:
        return f"このノードの機能(プラグイン)はこのワークスペースで無効です / {detail}"
    return f"このバージョンのノードは使えません / {detail}"


async def _check_awaited_event(
    ctx: WorkspaceContext, node: dict[str, Any], wait: WaitType, prefix: str
) -> list[Problem]:
    assert wait.event_of is not None
    try:
        awaited = wait.event_of(node["config"])
    except (KeyError, TypeError):
        return []  # the config schema already reported it
    if awaited is None:
        return []
    key, version, config = awaited
    if ctx.host.registry.get("triggers", key) is None:
        return [Problem(node["id"], f"{prefix}.type", f"出来事にはトリガーを選んでください / {key} is not a trigger")]
    return [
        Problem(node["id"], p.path, p.message)
        for p in await check_node_config(ctx, "triggers", key, version, config, f"{prefix}.config")
    ]


def _check_edges(
    edges: list[dict[str, Any]],
    by_id: Mapping[str, tuple[int, dict[str, Any]]],
    types: Mapping[str, tuple[NodeKind, NodeType]],
) -> list[Problem]:
    problems: list[Problem] = []
    seen_ids: set[str] = set()
    used_ports: dict[tuple[str, str], int] = {}
    for i, edge in enumerate(edges):
        prefix = f"$.edges[{i}]"
        if edge["id"] in seen_ids:
            problems.append(Problem(None, f"{prefix}.id", "接続IDが重複しています / duplicate edge id"))
        seen_ids.add(edge["id"])
        source, target = edge["source"], edge["target"]
        if source not in by_id:
            problems.append(Problem(None, f"{prefix}.source", "接続元のノードがありません / no such source node"))
            continue
        if target not in by_id:
            problems.append(Problem(source, f"{prefix}.target", "接続先のノードがありません / no such target node"))
            continue
        if source not in types or target not in types:
            continue  # the node's own problem is reported already
        source_type, target_type = types[source][1], types[target][1]
        outputs = [p.name for p in source_type.outputs]
        inputs = [p.name for p in target_type.inputs]
        if edge["source_port"] not in outputs:
            problems.append(
                Problem(
                    source,
                    f"{prefix}.source_port",
                    f"出力 {edge['source_port']!r} はありません / no such output (has {outputs})",
                )
            )
        elif (source, edge["source_port"]) in used_ports:
            problems.append(
                Problem(
                    source,
                    f"{prefix}.source_port",
                    "一つの出力から接続できるのは一つだけです / an output connects to one node only",
                )
            )
        used_ports.setdefault((source, edge["source_port"]), i)
        if edge["target_port"] not in inputs:
            message = (
                "トリガーには接続できません / a trigger cannot be connected to"
                if not inputs
                else f"入力 {edge['target_port']!r} はありません / no such input (has {inputs})"
            )
            problems.append(Problem(target, f"{prefix}.target_port", message))
        allowed = source_type.allowed_targets
        target_key = by_id[target][1]["type"]
        if allowed is not None and target_key not in allowed:
            problems.append(
                Problem(
                    source,
                    f"{prefix}.target",
                    f"このノードは {target_key} に接続できません / may not connect to it",
                )
            )
    return problems


def _successors(edges: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for edge in edges:
        out.setdefault(edge["source"], []).append(edge["target"])
    return out


def _check_reachability(
    nodes: list[dict[str, Any]], edges: list[dict[str, Any]], types: Mapping[str, tuple[NodeKind, NodeType]]
) -> list[Problem]:
    starts = [n["id"] for n in nodes if types.get(n["id"], ("",))[0] == "triggers"]
    if nodes and not starts and len(types) == len(nodes):
        return [Problem(None, "$.nodes", "開始(トリガー)のノードが必要です / a scenario needs a trigger to start from")]
    successors = _successors(edges)
    reached, todo = set(starts), list(starts)
    while todo:
        for nxt in successors.get(todo.pop(), []):
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    return [
        Problem(n["id"], f"$.nodes[{i}]", "どの開始ノードからもたどり着けません / unreachable from every trigger")
        for i, n in enumerate(nodes)
        if n["id"] not in reached and n["id"] in types
    ]


def _check_cycles(
    nodes: list[dict[str, Any]], edges: list[dict[str, Any]], types: Mapping[str, tuple[NodeKind, NodeType]]
) -> list[Problem]:
    """A loop must pass through a wait, or a friend would run around it forever in one instant."""
    successors = _successors(edges)
    problems: list[Problem] = []
    for component in _strong_components([n["id"] for n in nodes], successors):
        looped = len(component) > 1 or component[0] in successors.get(component[0], [])
        if looped and not any(types.get(n, ("",))[0] == "waits" for n in component):
            index = {n["id"]: i for i, n in enumerate(nodes)}
            for node_id in sorted(component, key=lambda n: index[n]):
                problems.append(
                    Problem(node_id, f"$.nodes[{index[node_id]}]", "待機のない繰り返しです / a loop without a wait")
                )
    return problems


def _strong_components(node_ids: list[str], successors: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (a 1,000-node chain would overflow Python's recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    known = set(node_ids)
    for root in node_ids:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = [t for t in successors.get(node, []) if t in known]
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _node_at(document: Any, path: str) -> str | None:
    """The id of the node a path such as ``$.nodes[3].config`` points into, when there is one."""
    if not path.startswith("$.nodes[") or not isinstance(document, dict):
        return None
    try:
        node = document["nodes"][int(path[len("$.nodes[") : path.index("]")])]
        return str(node["id"]) if isinstance(node, dict) and "id" in node else None
    except (ValueError, IndexError, KeyError, TypeError):
        return None
