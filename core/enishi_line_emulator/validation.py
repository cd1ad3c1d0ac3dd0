"""Request validation the way LINE does it: the component schemas of ``messaging-api.yml`` plus LINE's limits.

The spec is OpenAPI 3.0, read here as JSON Schema (Draft 2020-12) with one addition: the OpenAPI
``discriminator`` (``Message`` → ``TextMessage`` by ``type``, ``Action`` → ``PostbackAction``, ``FlexComponent``
→ ``FlexBox`` …) is followed, so a nested action or flex component is checked against its own schema and an
unknown ``type`` is an error. A sub-schema that extends its base through ``allOf`` points at a copy of the base
without the discriminator, so the two do not loop.

Every push and reply is checked here, and every message the app checks before storing it, so the schemas are
compiled by jsonschema-rs (a few microseconds a text message where the pure-Python jsonschema took a quarter of a
millisecond). The discriminator is rewritten into plain JSON Schema: an ``enum`` of the known types at the
property, then one ``if``/``then`` per type. The answers stay jsonschema's: each failed keyword is found again along
the error's evaluation path, which gives the keyword's own values for the message and jsonschema's order (the
first error of a property is the one kept); formats are checked by jsonschema's format checker and a pattern's
final ``$`` keeps Python's meaning. NaN and Infinity, which ``json.loads`` reads but JSON cannot carry, are not
numbers here (jsonschema took them for numbers).

The spec leaves out most size limits (5,000 characters of text, 4 buttons, 10 carousel columns, …): those in
``_limit_details`` come from LINE's reference. Lengths are counted in UTF-16 code units, as LINE's servers do, so
an emoji outside the BMP counts as two.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache, lru_cache
from typing import Any

import jsonschema_rs
import yaml
from jsonschema import Draft202012Validator

from enishi_line_emulator import SPEC_DIR
from enishi_line_emulator.errors import Detail

MESSAGING_URI = "urn:enishi:emulator:messaging-api"
WEBHOOK_URI = "urn:enishi:emulator:webhook"
_FILES = {MESSAGING_URI: "messaging-api.yml", WEBHOOK_URI: "webhook.yml"}
_SCHEMAS = "#/components/schemas/"
_BASE = "__base"
_WRITTEN_PATTERN = "x-enishi-pattern"

MAX_MESSAGES = 5
MAX_MULTICAST = 500
MAX_TEXT = 5000
MAX_ALT_TEXT = 1500
USER_ID = re.compile(r"^U[0-9a-f]{32}$")


@cache
def _document(file: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser, where libyaml is present, is ~10× faster
    with (SPEC_DIR / file).open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    return loaded


def _discriminator(discriminator: Mapping[str, Any], uri: str) -> list[dict[str, Any]]:
    """OpenAPI's ``discriminator`` in plain JSON Schema, for an ``allOf``.

    The property, when present, is one of the mapping's keys ("must be one of: …" at the property), and an object
    whose property names a key is validated against that key's schema.
    """
    name = discriminator["propertyName"]
    mapping: Mapping[str, str] = discriminator["mapping"]
    known: dict[str, Any] = {"properties": {name: {"enum": list(mapping)}}}
    return [known] + [
        {
            "if": {"type": "object", "required": [name], "properties": {name: {"const": key}}},
            "then": {"$ref": uri + target if target.startswith("#") else target},
        }
        for key, target in mapping.items()
    ]


def _compiled_schemas(uri: str) -> dict[str, Any]:
    """The component schemas with every discriminator rewritten, and sub-schemas extending a plain base.

    The rewritten ``allOf`` takes the discriminator's place among the schema's keywords, so errors keep the order
    in which jsonschema visited them.
    """
    original: dict[str, Any] = _document(_FILES[uri])["components"]["schemas"]
    discriminated = {
        name for name, s in original.items() if isinstance(s, dict) and (s.get("discriminator") or {}).get("mapping")
    }
    bases = {_SCHEMAS + name: _SCHEMAS + name + _BASE for name in discriminated}

    def plain(node: Any) -> Any:
        """A copy where ``allOf`` parts extend the base copy of a discriminated schema, patterns read as in Python."""
        if isinstance(node, list):
            return [plain(value) for value in node]
        if not isinstance(node, dict):
            return node
        out = {key: plain(value) for key, value in node.items()}
        if isinstance(out.get("pattern"), str):  # the pattern as written is kept for the error message
            out["pattern"], out[_WRITTEN_PATTERN] = _python_pattern(out["pattern"]), out["pattern"]
        for part in out.get("allOf") or ():
            if isinstance(part, dict) and part.get("$ref") in bases:
                part["$ref"] = bases[part["$ref"]]
        return out

    schemas: dict[str, Any] = {}
    for name, schema in original.items():
        if name not in discriminated:
            schemas[name] = plain(schema)
            continue
        if "allOf" in schema:  # the rewritten discriminator takes this keyword
            raise ValueError(f"{name}: a discriminated schema with its own allOf is not supported")
        schemas[name] = {
            ("allOf" if key == "discriminator" else key): (
                _discriminator(value, uri) if key == "discriminator" else plain(value)
            )
            for key, value in schema.items()
        }
        schemas[name + _BASE] = {key: plain(value) for key, value in schema.items() if key != "discriminator"}
    return schemas


@cache
def _schemas(uri: str) -> dict[str, Any]:
    return {"components": {"schemas": _compiled_schemas(uri)}}


def _python_pattern(pattern: str) -> str:
    """``pattern`` for the Rust engine with Python's meaning: jsonschema uses ``re.search``, where a final ``$`` also
    matches before a newline that ends the text; Rust's ``$`` matches only at the very end."""
    return pattern[:-1] + r"\n?$" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern


def _python_format(name: str) -> Callable[[str], bool]:
    """A format checked as jsonschema's format checker checks it (``uri``, ``date-time``; others pass)."""

    @lru_cache(maxsize=4096)  # the same image and link URLs come back on every send
    def conforms(value: str) -> bool:
        return Draft202012Validator.FORMAT_CHECKER.conforms(value, name)

    return conforms


def _format_names(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*map(_format_names, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    own = {node["format"]} if isinstance(node.get("format"), str) else set()
    return own.union(*map(_format_names, node.values()))


@cache
def _registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(uri, _schemas(uri)) for uri in _FILES])


@cache
def _formats() -> dict[str, Callable[[str], bool]]:
    names = set().union(*(_format_names(_schemas(uri)) for uri in _FILES))
    return {name: _python_format(name) for name in sorted(names)}


@cache
def validator(schema_name: str, uri: str = MESSAGING_URI) -> jsonschema_rs.Draft202012Validator:
    """A compiled validator for one component schema (cached; the YAML is read once per process)."""
    return jsonschema_rs.Draft202012Validator(
        _root(schema_name, uri), registry=_registry(), validate_formats=True, formats=_formats()
    )


def _root(schema_name: str, uri: str) -> dict[str, Any]:
    return {"$ref": f"{uri}{_SCHEMAS}{schema_name}"}


def _resolve(reference: str, base: str) -> tuple[Any, str]:
    """The schema a ``$ref`` names, and the URI of its document."""
    uri, _, pointer = reference.partition("#")
    node: Any = _schemas(uri or base)
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node, uri or base


def _failed_keyword(error: jsonschema_rs.ValidationError, root: Mapping[str, Any]) -> tuple[list[int], Any, str]:
    """The failed keyword, found again along the error's evaluation path: its place in the order jsonschema visits a
    schema (keywords, ``properties`` and ``allOf`` parts in the order they are written), the schema holding it, and
    its name. Two errors at one property compare in jsonschema's order, whatever order jsonschema-rs found them in.
    """
    node: Any = root
    base = ""
    place: list[int] = []
    steps = error.evaluation_path
    i = 0
    while True:
        keyword = str(steps[i])
        place.append(list(node).index(keyword))
        if i == len(steps) - 1:
            return place, node, keyword
        value = node[keyword]
        i += 1
        if keyword == "$ref":
            node, base = _resolve(value, base)
        elif isinstance(value, list) or keyword in ("properties", "patternProperties", "$defs", "dependentSchemas"):
            step = steps[i]
            place.append(int(step) if isinstance(value, list) else list(value).index(step))
            node = value[step]
            i += 1
        else:  # items, additionalProperties, then, …: the error is below the one schema they hold
            node = value


def property_path(parts: Any) -> str:
    """``['messages', 0, 'text']`` → ``messages[0].text`` (LINE's notation)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _detail(kind: str, schema: Mapping[str, Any], error: jsonschema_rs.ValidationError) -> Detail:
    """LINE's wording for the failed ``kind`` keyword of ``schema``."""
    path = property_path(error.instance_path)
    value = schema[kind]
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
        return Detail(f"must match {schema.get(_WRITTEN_PATTERN, value)}", path)
    if kind in ("minimum", "maximum"):
        return Detail(f"must be {'at least' if kind == 'minimum' else 'at most'} {value}", path)
    return Detail(error.message, path)


MAX_NESTING = 256  # far beyond any real LINE message (flex nests a few levels)


def nested_deeper_than(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` deep, found without recursion.

    Checked before a compiled validator sees a body: jsonschema-rs recurses natively and a body nested some 20,000
    deep would crash the process instead of answering 400.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
    return False


def schema_details(schema_name: str, body: Any, uri: str = MESSAGING_URI) -> list[Detail]:
    """Every schema problem of ``body``, one per property (the first jsonschema would report), ordered by path."""
    if nested_deeper_than(body):
        return [Detail(f"must not nest more than {MAX_NESTING} levels deep", "")]
    checker = validator(schema_name, uri)
    try:
        if checker.is_valid(body):
            return []
        errors = list(checker.iter_errors(body))
    except ValueError as exc:  # a set, a date, …: only JSON values arrive over HTTP
        return [Detail(f"must be a JSON value ({exc})", "")]
    root = _root(schema_name, uri)
    located = sorted(((*_failed_keyword(error, root), error) for error in errors), key=lambda found: found[0])
    seen: dict[str, Detail] = {}
    for _, schema, kind, error in located:
        detail = _detail(kind, schema, error)
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
    missing: list[tuple[_Where, str]] = []
    if isinstance(node, (dict, list)):
        _find_missing_fields(node, None, missing)
    for where, name in missing:
        yield Detail("must be specified", f"{_where_path(path, where)}.{name}")


# Where a value sits below the message, built only when something is missing there: (parent, key) for a value
# of an object, (parent, [index]) for an item of an array.
_Where = tuple[Any, Any] | None


def _find_missing_fields(node: Any, where: _Where, missing: list[tuple[_Where, str]]) -> None:
    if isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, (dict, list)):
                _find_missing_fields(value, (where, [i]), missing)
        return
    for key, value in node.items():
        if isinstance(value, dict):
            if key == "action":
                _missing_of_action(value, (where, key), missing)
            _find_missing_fields(value, (where, key), missing)
        elif isinstance(value, list):
            if key == "actions":
                for i, action in enumerate(value):
                    _missing_of_action(action, ((where, key), [i]), missing)
            _find_missing_fields(value, (where, key), missing)


def _missing_of_action(action: Any, where: _Where, missing: list[tuple[_Where, str]]) -> None:
    if isinstance(action, dict):
        missing.extend(
            (where, name) for name in _ACTION_REQUIRED.get(str(action.get("type")), ()) if name not in action
        )


def _where_path(path: str, where: _Where) -> str:
    steps = []
    while where is not None:
        where, step = where
        steps.append(step)
    for step in reversed(steps):
        path = f"{path}[{step[0]}]" if isinstance(step, list) else _join(path, step)
    return path


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
    if isinstance(body, dict) and not nested_deeper_than(body):  # (too deep: the one detail says so)
        for detail in limit_details(body.get("messages")):
            found.setdefault(detail.property, detail)
    return sorted(found.values(), key=_order)
