"""What publishing the draft changes, compared with the published version: nodes added, removed and changed (by
title), whether the settings or connections changed, and who it reaches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from enishi.registry import Registry
from enishi.scenarios.titles import node_title


@dataclass
class DocumentChanges:
    added: list[dict[str, Any]] = field(default_factory=list)  # [{node_id, title}]
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    edges_changed: bool = False
    settings_changed: bool = False

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.edges_changed or self.settings_changed)


def _edge_set(document: Mapping[str, Any]) -> set[tuple[Any, ...]]:
    return {(e["source"], e["source_port"], e["target"], e.get("target_port")) for e in document.get("edges", [])}


def compare(registry: Registry, published: Mapping[str, Any] | None, draft: Mapping[str, Any]) -> DocumentChanges:
    """The draft against the published document (None: never published, every node is new)."""
    old = {n["id"]: n for n in (published or {}).get("nodes", [])}
    new = {n["id"]: n for n in draft.get("nodes", [])}
    out = DocumentChanges()
    for node_id, node in new.items():
        entry = {"node_id": node_id, "title": node_title(registry, node)}
        if node_id not in old:
            out.added.append(entry)
        elif old[node_id] != node:
            out.changed.append(entry)
    out.removed = [{"node_id": i, "title": node_title(registry, n)} for i, n in old.items() if i not in new]
    out.edges_changed = _edge_set(published or {}) != _edge_set(draft)
    out.settings_changed = (published or {}).get("settings") != draft.get("settings")
    return out


def same_document(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal as the engine reads them: the nodes (in any order), the connections and the settings."""
    return (
        {n["id"]: n for n in a.get("nodes", [])} == {n["id"]: n for n in b.get("nodes", [])}
        and _edge_set(a) == _edge_set(b)
        and (a.get("settings") or {}) == (b.get("settings") or {})
        and a.get("schema_version") == b.get("schema_version")
    )
