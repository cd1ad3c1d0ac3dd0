"""What a person calls a node: the label staff gave it, else its type's name, in Japanese and English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from enishi.registry import Registry
from enishi.scenarios.document import find_type


def node_title(registry: Registry, node: Mapping[str, Any] | None) -> dict[str, str]:
    if node is None:
        return {"ja": "(削除されたステップ)", "en": "(removed step)"}
    label = node.get("label")
    if isinstance(label, str) and label.strip():
        return {"ja": label, "en": label}
    found = find_type(registry, node["type"], node.get("type_version"))
    if found is None:
        return {"ja": node["type"], "en": node["type"]}
    return found[1].item.label.as_dict()


def sends_messages(registry: Registry, node: Mapping[str, Any] | None) -> bool:
    if node is None:
        return False
    found = find_type(registry, node["type"], node.get("type_version"))
    return bool(found and getattr(found[1].item, "sends_messages", False))
