"""Validation against LINE's own OpenAPI specs (shipped in ``spec/``), with OpenAPI 3.0 schemas read as JSON Schema.

The specs never forbid extra properties, so unknown fields pass: LINE adds fields over time and we keep them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from enishi.schema_validation import SchemaProblem, _json_path

SPEC_DIR = Path(__file__).parent / "spec"
_WEBHOOK = "urn:enishi:line:webhook"
_MESSAGING = "urn:enishi:line:messaging"


@cache
def _document(name: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser, where libyaml is present, is ~10× faster
    with (SPEC_DIR / name).open() as fh:
        loaded: dict[str, Any] = yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    return loaded


@cache
def _registry() -> Registry[Any]:
    return Registry().with_resources(
        [
            (_WEBHOOK, DRAFT202012.create_resource(_document("webhook.yml"))),
            (_MESSAGING, DRAFT202012.create_resource(_document("messaging-api.yml"))),
        ]
    )


@cache
def _validator(uri: str, schema_name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{uri}#/components/schemas/{schema_name}"}, registry=_registry())


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


def _problems(validator: Draft202012Validator, value: Any, prefix: str) -> list[SchemaProblem]:
    errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    return [SchemaProblem(_json_path(e.absolute_path, prefix), e.message) for e in errors]


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
