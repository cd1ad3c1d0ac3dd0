"""A plugin that registers a resource the console could not use; ``BROKEN`` picks how (the tests set it)."""

from __future__ import annotations

from typing import Any

from enishi import PluginManifest, Register, Text, hookimpl
from enishi.types import Lookup, Resource, UiModule

manifest = PluginManifest(title=Text("壊れた画面", "Broken screens"), description=Text("説明", "Description"))

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
    "additionalProperties": False,
}
BROKEN: dict[str, dict[str, Any]] = {
    "invalid_schema": {"schema": {"type": "object", "properties": {"name": {"type": "strng"}}}},
    "item_path_without_id": {"item_path": "/bad_screens/things/{thing_id}"},
    "example_the_schema_refuses": {"example": {"name": 5}},
    "permission_of_another_plugin": {"permission": "tags.manage"},
}
CHOSEN = "invalid_schema"


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    fields: dict[str, Any] = {
        "name": "things",
        "title": Text("もの", "Things"),
        "path": "/bad_screens/things",
        "item_path": "/bad_screens/things/{id}",
        "schema": SCHEMA,
        "example": {"name": "ひとつ"},
    }
    register(Resource(**{**fields, **BROKEN[CHOSEN]}))
