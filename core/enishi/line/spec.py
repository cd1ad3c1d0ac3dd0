"""Validation against LINE's OpenAPI specs (in enishi_line_emulator), with OpenAPI 3.0 schemas read as JSON Schema.

The specs never forbid extra properties, so unknown fields pass: LINE adds fields over time and we keep them.
Every webhook event and every outgoing message is checked here, so the checking is done by jsonschema-rs (a
compiled validator, a few microseconds an event where the pure-Python jsonschema took about half a millisecond,
which at a thousand events a second was half a core). The forms and plugin schemas keep jsonschema.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema_rs
import yaml

from enishi.schema_validation import MAX_NESTING, SchemaProblem, _json_path, nested_deeper_than
from enishi_line_emulator import SPEC_DIR

_WEBHOOK = "urn:enishi:line:webhook"
_MESSAGING = "urn:enishi:line:messaging"


@cache
def _document(name: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser, where libyaml is present, is ~10× faster
    with (SPEC_DIR / name).open() as fh:
        loaded: dict[str, Any] = yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    return loaded


@cache
def _registry() -> jsonschema_rs.Registry:
    # YAML reads some examples as dates: the validator takes JSON values only.
    plain = {
        name: json.loads(json.dumps(_document(name), default=str)) for name in ("webhook.yml", "messaging-api.yml")
    }
    return jsonschema_rs.Registry([(_WEBHOOK, plain["webhook.yml"]), (_MESSAGING, plain["messaging-api.yml"])])


@cache
def _validator(uri: str, schema_name: str) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(
        {"$ref": f"{uri}#/components/schemas/{schema_name}"}, registry=_registry()
    )


@cache
def event_schema_names() -> dict[str, str]:
    """Event type → schema name, from the spec's discriminator (e.g. "message" → "MessageEvent")."""
    mapping = _document("webhook.yml")["components"]["schemas"]["Event"]["discriminator"]["mapping"]
    return {kind: ref.rsplit("/", 1)[1] for kind, ref in mapping.items()}


@cache
def message_schema_names() -> dict[str, str]:
    """Message type → schema name for outgoing message objects (text, image, template, flex, …)."""
    mapping = _document("messaging-api.yml")["components"]["schemas"]["Message"]["discriminator"]["mapping"]
    return {kind: ref.rsplit("/", 1)[1] for kind, ref in mapping.items()}


def _problems(validator: jsonschema_rs.Draft202012Validator, value: Any, prefix: str) -> list[SchemaProblem]:
    if nested_deeper_than(value):
        return [SchemaProblem(prefix, f"nested more than {MAX_NESTING} levels deep")]
    try:
        errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.instance_path])
    except ValueError as exc:  # something that is not a JSON value (the validator takes JSON values only)
        return [SchemaProblem(prefix, f"not a JSON value: {exc}")]
    return [SchemaProblem(_json_path(e.instance_path, prefix), e.message) for e in errors]


def check_event(event: dict[str, Any], prefix: str = "$") -> tuple[bool, list[SchemaProblem]]:
    """(known type?, problems). An unknown type is not a problem: it is stored and handed to plugins as is."""
    name = event_schema_names().get(str(event.get("type")))
    if name is None:
        return False, []
    return True, _problems(_validator(_WEBHOOK, name), event, prefix)


def check_message(message: Any, prefix: str = "$") -> list[SchemaProblem]:
    """Problems of one outgoing message object, by LINE's spec."""
    if not isinstance(message, dict):
        return [SchemaProblem(prefix, "a message must be an object")]
    name = message_schema_names().get(str(message.get("type")))
    if name is None:
        known = ", ".join(sorted(message_schema_names()))
        return [SchemaProblem(f"{prefix}.type", f"unknown message type {message.get('type')!r} (known: {known})")]
    return _problems(_validator(_MESSAGING, name), message, prefix)
