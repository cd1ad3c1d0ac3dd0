"""JSON Schema (Draft 2020-12, format checking on) is the one contract for configs, settings and segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from enishi.schema_messages import describe

_FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """One validation problem, with a JSON path such as ``$.messages[0].text``."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class InvalidSchema(ValueError):
    """A plugin registered a schema that is not valid Draft 2020-12."""


def check_schema(schema: dict[str, Any], where: str) -> None:
    """Refuse a schema that is not a valid Draft 2020-12 object schema."""
    if not isinstance(schema, dict):
        raise InvalidSchema(f"{where}: a schema must be a JSON object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise InvalidSchema(f"{where}: invalid JSON Schema at {_json_path(exc.absolute_path)}: {exc.message}") from exc


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)


def validate(schema: dict[str, Any], value: Any, prefix: str = "$") -> list[SchemaProblem]:
    """Every problem at once, ordered by path, so the caller can show them all, each said in plain words at the
    field it is about ("$.wait.days": "日は3650以下にしてください / Days must be 3650 or less")."""
    said = [describe(e, schema) for e in validator_for(schema).iter_errors(value)]
    unique = {(_json_path(path, prefix), message): None for path, message in said}  # two keywords may say the same
    return sorted((SchemaProblem(p, m) for p, m in unique), key=lambda p: _path_key(p.path))


def _path_key(path: str) -> list[str]:
    return [part.zfill(8) if part.isdigit() else part for part in path.replace("[", ".").replace("]", "").split(".")]


def _json_path(parts: Any, prefix: str = "$") -> str:
    out = prefix
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


MAX_NESTING = 256  # far beyond any real LINE message (flex nests a few levels) or form answer


def nested_deeper_than(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` deep, found without recursion.

    Checked before a compiled validator sees a value: jsonschema-rs recurses natively and a value nested some
    20,000 deep would crash the process instead of raising.
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
