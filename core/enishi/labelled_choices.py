"""Labelled choices in JSON Schemas: a ``oneOf`` of ``{"const": value, "title": "日本語 / English"}``.

Standard Draft 2020-12, which the console's forms draw as a select showing the titles in the UI's language, and
its node summaries, segment builder and report forms read the same way. A bare ``enum`` would show its raw values
to people, so no schema the console draws uses one (a test walks the whole catalog).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from enishi.text import Text

Choice = str | int | float | bool | None


def _title(title: Text | str) -> str:
    if isinstance(title, Text):
        return f"{title.ja} / {title.en}"
    if not is_bilingual(title):
        raise ValueError(f"a choice's title must read '日本語 / English', not {title!r}")
    return title


def is_bilingual(title: object) -> bool:
    """Whether a title is written ``"日本語 / English"``: one separator (the console splits on it), words on both
    sides."""
    if not isinstance(title, str) or title.count(" / ") != 1:
        return False
    ja, _, en = title.partition(" / ")
    return bool(ja.strip() and en.strip())


def choices(*options: tuple[Choice, Text | str]) -> dict[str, list[dict[str, Any]]]:
    """The ``oneOf`` of a property with a fixed set of values, each with its label::

        "match": {"type": "string", "title": "条件 / Match", "default": "any",
                  **choices(("any", "いずれか / Any"), ("all", Text("すべて", "All")))}

    For a list of such values, put it in the items: ``{"type": "array", "items": {"type": "string", **choices(…)},
    "uniqueItems": True}`` (the form then shows checkboxes).
    """
    if not options:
        raise ValueError("choices need at least one option")
    values = [value for value, _ in options]
    if len({repr(v) for v in values}) != len(values):
        raise ValueError(f"choices repeat a value: {values!r}")
    return {"oneOf": [{"const": value, "title": _title(title)} for value, title in options]}


def choice_values(schema: Mapping[str, Any]) -> list[Any]:
    """The values a property may take: its ``enum``, or the ``const`` of each branch of its ``oneOf``/``anyOf``."""
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches and all(isinstance(b, dict) and "const" in b for b in branches):
            return [b["const"] for b in branches]
    return []


# Keywords whose sub-schemas only test a value (``"if": {"properties": {"match": {"enum": […]}}}``): no field
# is drawn from them, so a bare enum there reaches nobody.
_TESTS = frozenset({"if", "not", "contains", "propertyNames", "dependentSchemas"})


def unlabelled_choices(schema: object, path: str = "$") -> Iterator[str]:
    """Where a schema offers values without a ``"日本語 / English"`` label: each bare ``enum``, and each branch of a
    ``oneOf``/``anyOf`` of ``const`` whose title lacks a half. Yields a JSON-pointer-like path and what is wrong."""
    if isinstance(schema, Sequence) and not isinstance(schema, str):
        for n, part in enumerate(schema):
            yield from unlabelled_choices(part, f"{path}[{n}]")
        return
    if not isinstance(schema, Mapping):
        return
    if "enum" in schema:
        yield f"{path}: enum {schema['enum']!r} has no labels (write it with choices())"
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if not isinstance(branches, list):
            continue
        for n, branch in enumerate(branches):
            if isinstance(branch, Mapping) and "const" in branch and not is_bilingual(branch.get("title")):
                yield f"{path}.{key}[{n}]: {branch['const']!r} needs a title '日本語 / English'"
    for key, value in schema.items():
        if key in _TESTS or key in ("enum", "const", "default", "examples"):
            continue
        yield from unlabelled_choices(value, f"{path}.{key}")
