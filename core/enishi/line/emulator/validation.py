"""Request validation the way LINE does it: the component schemas of ``messaging-api.yml`` plus LINE's limits.

The spec is OpenAPI 3.0, read here as JSON Schema (Draft 2020-12) with one addition: the OpenAPI
``discriminator`` (``Message`` → ``TextMessage`` by ``type``, ``Action`` → ``PostbackAction``, ``FlexComponent``
→ ``FlexBox`` …) is followed, so a nested action or flex component is checked against its own schema and an
unknown ``type`` is an error. A sub-schema that extends its base through ``allOf`` points at a copy of the base
without the discriminator, so the two do not loop.

The spec leaves out most size limits (5,000 characters of text, 4 buttons, 10 carousel columns, …): those in
``_limit_details`` come from LINE's reference. Lengths are counted in UTF-16 code units, as LINE's servers do, so
an emoji outside the BMP counts as two.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from enishi.line.emulator.errors import Detail

SPEC_DIR = Path(__file__).resolve().parents[1] / "spec"
MESSAGING_URI = "urn:enishi:emulator:messaging-api"
WEBHOOK_URI = "urn:enishi:emulator:webhook"
_BASE = "__base"

MAX_MESSAGES = 5
MAX_MULTICAST = 500
MAX_TEXT = 5000
MAX_ALT_TEXT = 1500
USER_ID = re.compile(r"^U[0-9a-f]{32}$")


def _discriminator(
    validator: Any, discriminator: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """OpenAPI's ``discriminator``: validate against the sub-schema named by the mapping."""
    mapping = discriminator.get("mapping") or {}
    name = discriminator.get("propertyName")
    if not mapping or not isinstance(instance, dict) or name not in instance:
        return  # a missing property is reported by ``required``
    value = instance[name]
    target = mapping.get(value) if isinstance(value, str) else None
    if target is None:
        yield ValidationError(f"must be one of: {', '.join(mapping)}", validator="discriminator", path=[name])
        return
    yield from validator.descend(instance, {"$ref": target})


_Validator = extend(Draft202012Validator, {"discriminator": _discriminator})


def _split_discriminated(document: dict[str, Any], uri: str) -> dict[str, Any]:
    """A copy of the document where discriminator mappings are absolute and sub-schemas extend a plain base."""
    doc = copy.deepcopy(document)
    schemas: dict[str, Any] = doc["components"]["schemas"]
    prefix = "#/components/schemas/"
    discriminated = [
        n for n, s in schemas.items() if isinstance(s, dict) and (s.get("discriminator") or {}).get("mapping")
    ]
    for name in discriminated:
        base = {k: v for k, v in schemas[name].items() if k != "discriminator"}
        schemas[name + _BASE] = base
        mapping = schemas[name]["discriminator"]["mapping"]
        schemas[name]["discriminator"]["mapping"] = {
            k: (uri + v if v.startswith("#") else v) for k, v in mapping.items()
        }
    bases = {prefix + n: prefix + n + _BASE for n in discriminated}

    def rewrite(node: Any) -> None:
        if isinstance(node, dict):
            for part in node.get("allOf") or ():
                if isinstance(part, dict) and part.get("$ref") in bases:
                    part["$ref"] = bases[part["$ref"]]
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)

    for name in list(schemas):
        if not name.endswith(_BASE):
            rewrite(schemas[name])
    return doc


@cache
def _document(file: str) -> dict[str, Any]:
    with (SPEC_DIR / file).open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    return loaded


@cache
def _registry() -> Registry[Any]:
    resources = [
        (uri, DRAFT202012.create_resource(_split_discriminated(_document(file), uri)))
        for uri, file in ((MESSAGING_URI, "messaging-api.yml"), (WEBHOOK_URI, "webhook.yml"))
    ]
    return Registry().with_resources(resources)


@cache
def validator(schema_name: str, uri: str = MESSAGING_URI) -> Any:
    """A validator for one component schema (cached; the YAML is read once per process)."""
    return _Validator(
        {"$ref": f"{uri}#/components/schemas/{schema_name}"},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def property_path(parts: Any) -> str:
    """``['messages', 0, 'text']`` → ``messages[0].text`` (LINE's notation)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _detail(error: ValidationError) -> Detail:
    path = property_path(error.absolute_path)
    kind, value, schema = error.validator, error.validator_value, error.schema
    if kind == "required":
        missing = next((p for p in value if isinstance(error.instance, dict) and p not in error.instance), "")
        return Detail("must be specified", _join(path, str(missing)))
    if kind in ("maxItems", "minItems"):
        return Detail(f"Size must be between {schema.get('minItems', 0)} and {schema.get('maxItems', '∞')}", path)
    if kind in ("maxLength", "minLength"):
        return Detail(f"Length must be between {schema.get('minLength', 0)} and {schema.get('maxLength', '∞')}", path)
    if kind == "type":
        return Detail(f"must be of type {value}", path)
    if kind == "enum":
        return Detail(f"must be one of: {', '.join(map(str, value))}", path)
    if kind == "format":
        return Detail(f"must be a valid {value}", path)
    if kind == "pattern":
        return Detail(f"must match {value}", path)
    if kind in ("minimum", "maximum"):
        return Detail(f"must be {'at least' if kind == 'minimum' else 'at most'} {value}", path)
    return Detail(error.message, path)


def schema_details(schema_name: str, body: Any, uri: str = MESSAGING_URI) -> list[Detail]:
    """Every schema problem of ``body``, one per property, ordered by property path."""
    seen: dict[str, Detail] = {}
    for error in validator(schema_name, uri).iter_errors(body):
        detail = _detail(error)
        seen.setdefault(detail.property, detail)
    return sorted(seen.values(), key=_order)


def _order(detail: Detail) -> list[Any]:
    """Natural order of property paths: ``messages[2]`` before ``messages[10]``."""
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", detail.property)]


# -- LINE's limits that the spec does not state ------------------------------------------------------------------


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _length(obj: Mapping[str, Any], key: str, path: str, high: int, low: int = 0) -> Iterator[Detail]:
    value = obj.get(key)
    if isinstance(value, str) and not low <= utf16_length(value) <= high:
        yield Detail(f"Length must be between {low} and {high}", _join(path, key))


def _size(obj: Mapping[str, Any], key: str, path: str, high: int, low: int = 0) -> Iterator[Detail]:
    value = obj.get(key)
    if isinstance(value, list) and not low <= len(value) <= high:
        yield Detail(f"Size must be between {low} and {high}", _join(path, key))


def _https(obj: Mapping[str, Any], key: str, path: str) -> Iterator[Detail]:
    value = obj.get(key)
    if isinstance(value, str):
        if not value.startswith("https://"):
            yield Detail("must be an HTTPS URL", _join(path, key))
        elif len(value) > 2000:
            yield Detail("Length must be between 0 and 2000", _join(path, key))


def _actions(actions: Any, path: str) -> Iterator[Detail]:
    for i, action in enumerate(actions if isinstance(actions, list) else []):
        if isinstance(action, dict):
            yield from _length(action, "label", f"{path}[{i}]", 20)


# Fields LINE requires of an action although the spec leaves them optional.
_ACTION_REQUIRED = {
    "postback": ("data",),
    "message": ("text",),
    "uri": ("uri",),
    "datetimepicker": ("data", "mode"),
    "richmenuswitch": ("richMenuAliasId", "data"),
    "clipboard": ("clipboardText",),
}


def _action_fields(node: Any, path: str) -> Iterator[Detail]:
    """Every ``action`` / ``actions[]`` anywhere below ``node`` has the fields its type needs."""
    if isinstance(node, list):
        for i, value in enumerate(node):
            yield from _action_fields(value, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        where = _join(path, key)
        actions = [(where, value)] if key == "action" else []
        if key == "actions" and isinstance(value, list):
            actions = [(f"{where}[{i}]", a) for i, a in enumerate(value)]
        for at, action in actions:
            if isinstance(action, dict):
                for name in _ACTION_REQUIRED.get(str(action.get("type")), ()):
                    if name not in action:
                        yield Detail("must be specified", f"{at}.{name}")
        yield from _action_fields(value, where)


def _template(template: Mapping[str, Any], path: str) -> Iterator[Detail]:
    kind = template.get("type")
    has_header = bool(template.get("thumbnailImageUrl") or template.get("title"))
    if kind == "buttons":
        yield from _length(template, "title", path, 40)
        yield from _length(template, "text", path, 60 if has_header else 160, 1)
        yield from _size(template, "actions", path, 4, 1)
        yield from _actions(template.get("actions"), _join(path, "actions"))
    elif kind == "confirm":
        yield from _length(template, "text", path, 240, 1)
        yield from _size(template, "actions", path, 2, 2)
        yield from _actions(template.get("actions"), _join(path, "actions"))
    elif kind in ("carousel", "image_carousel"):
        yield from _size(template, "columns", path, 10, 1)
        columns = template["columns"] if isinstance(template.get("columns"), list) else []
        counts = set()
        for i, column in enumerate(columns):
            if not isinstance(column, dict):
                continue
            where = f"{path}.columns[{i}]"
            if kind == "carousel":
                header = bool(column.get("thumbnailImageUrl") or column.get("title"))
                yield from _length(column, "title", where, 40)
                yield from _length(column, "text", where, 60 if header else 120, 1)
                yield from _size(column, "actions", where, 3, 1)
                yield from _actions(column.get("actions"), f"{where}.actions")
                if isinstance(column.get("actions"), list):
                    counts.add(len(column["actions"]))
            else:
                yield from _https(column, "imageUrl", where)
                action = column.get("action")
                if isinstance(action, dict):
                    yield from _length(action, "label", f"{where}.action", 12)
        if len(counts) > 1:
            yield Detail("every column must have the same number of actions", _join(path, "columns"))


def _message(message: Mapping[str, Any], path: str) -> Iterator[Detail]:
    kind = message.get("type")
    if kind in ("text", "textV2"):
        yield from _length(message, "text", path, MAX_TEXT, 1)
    elif kind in ("image", "video"):
        yield from _https(message, "originalContentUrl", path)
        yield from _https(message, "previewImageUrl", path)
    elif kind == "audio":
        yield from _https(message, "originalContentUrl", path)
    elif kind in ("template", "flex", "imagemap"):
        yield from _length(message, "altText", path, MAX_ALT_TEXT, 1)
        if kind == "template" and isinstance(message.get("template"), dict):
            yield from _template(message["template"], f"{path}.template")
        if (
            kind == "flex"
            and isinstance(message.get("contents"), dict)
            and message["contents"].get("type") == "carousel"
        ):
            yield from _size(message["contents"], "contents", f"{path}.contents", 12, 1)
    if kind != "imagemap":  # imagemap actions have their own fields (linkUri, area)
        yield from _action_fields(message, path)
    quick = message.get("quickReply")
    if isinstance(quick, dict) and isinstance(quick.get("items"), list):
        for i, item in enumerate(quick["items"]):
            if isinstance(item, dict) and isinstance(item.get("action"), dict):
                yield from _length(item["action"], "label", f"{path}.quickReply.items[{i}].action", 20)


def limit_details(messages: Any, path: str = "messages") -> list[Detail]:
    if not isinstance(messages, list):
        return []
    out: list[Detail] = []
    for i, message in enumerate(messages):
        if isinstance(message, dict):
            out.extend(_message(message, f"{path}[{i}]"))
    return out


def request_details(schema_name: str, body: Any) -> list[Detail]:
    """Schema problems plus LINE's limits, at most one per property, ordered by property."""
    found = {d.property: d for d in schema_details(schema_name, body)}
    if isinstance(body, dict):
        for detail in limit_details(body.get("messages")):
            found.setdefault(detail.property, detail)
    return sorted(found.values(), key=_order)
