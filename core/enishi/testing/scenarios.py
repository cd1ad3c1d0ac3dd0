"""Scenario documents for tests: nodes, the edges between them, and a whole document."""

from __future__ import annotations

import itertools
import uuid
from typing import Any


def node(type_: str, config: dict[str, Any] | None = None, version: int = 1) -> dict[str, Any]:
    """A node of a registered type (``"<plugin>.<name>"``) with its config."""
    return {"id": str(uuid.uuid4()), "type": type_, "type_version": version, "config": config or {}}


def edge(source: dict[str, Any], target: dict[str, Any], port: str = "next") -> dict[str, Any]:
    """From ``source``'s output ``port`` to ``target``'s input."""
    return {
        "id": str(uuid.uuid4()),
        "source": source["id"],
        "source_port": port,
        "target": target["id"],
        "target_port": "in",
    }


def chain(*nodes: dict[str, Any]) -> list[dict[str, Any]]:
    """Edges that join the nodes one after the other through their ``next`` ports."""
    return [edge(a, b) for a, b in itertools.pairwise(nodes)]


def document(*nodes: dict[str, Any], edges: list[dict[str, Any]] | None = None, **settings: Any) -> dict[str, Any]:
    """A scenario document of ``nodes``, chained one after the other unless ``edges`` are given; ``settings``
    (``reentry=True``, ``quiet_hours=…``) go into its settings."""
    return {
        "schema_version": 1,
        "nodes": list(nodes),
        "edges": chain(*nodes) if edges is None else edges,
        "settings": settings,
    }
