"""No raw value reaches a person: every fixed value of every schema the console draws (node configs, conditions,
report parameters, resources, plugin settings) carries a "日本語 / English" label, and every permission a label."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from enishi import Text, choice_values, choices
from enishi.labelled_choices import unlabelled_choices
from enishi.plugin_host import PluginHost, discover
from enishi.testing import settings_for
from tests.template_plugin import forget_the_template_plugin

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_SRC = ROOT / "examples" / "enishi-plugin-template" / "src"


def drawn_schemas(host: PluginHost, plugins: frozenset[str]) -> Iterator[tuple[str, Any]]:
    """(where, schema) for each schema of these plugins the console turns into a form, a summary or a list."""
    registry = host.registry
    for _, entry in registry.node_types():
        if entry.plugin in plugins:
            yield f"{entry.key} v{entry.version} config_schema", entry.item.config_schema
    for report in registry.all("reports"):
        if report.plugin in plugins:
            yield f"report {report.key} params_schema", report.item.params_schema
    for resource in registry.all("resources"):
        if resource.plugin in plugins:
            yield f"resource {resource.key} schema", resource.item.schema
    for name in plugins:
        manifest = host.manifest(name)
        if manifest is not None:
            yield f"plugin {name} settings_schema", manifest.settings_schema


def problems_of(host: PluginHost, plugins: frozenset[str]) -> list[str]:
    return [f"{where}: {p}" for where, schema in drawn_schemas(host, plugins) for p in unlabelled_choices(schema)]


def built_in(host: PluginHost) -> frozenset[str]:
    return frozenset({"core", *(p.name for p in host.loaded if p.source == "built-in")})


def test_every_choice_of_the_catalog_has_a_japanese_and_an_english_label(tmp_path: Path) -> None:
    host = discover(settings_for(tmp_path))
    plugins = built_in(host)
    assert {"core", "tags", "assignment", "friend_fields", "member_cards"} <= plugins
    schemas = list(drawn_schemas(host, plugins))
    assert len(schemas) > 40  # the whole catalog, not a handful
    assert sum(bool(choice_values(p)) for _, s in schemas for p in s.get("properties", {}).values()) > 15
    assert problems_of(host, plugins) == []


def test_the_plugin_template_labels_its_choices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(TEMPLATE_SRC))
    template = EntryPoint(name="birthday", value="enishi_birthday", group="enishi.plugins")
    try:
        host = discover(settings_for(tmp_path), extra=[template])
        assert host.plugins["birthday"].loaded, host.plugins["birthday"].error
        assert list(drawn_schemas(host, frozenset({"birthday"})))
        assert problems_of(host, frozenset({"birthday"})) == []
    finally:
        forget_the_template_plugin()


def test_the_walk_names_each_unlabelled_choice_by_its_path() -> None:
    schema = {
        "type": "object",
        "properties": {
            "match": {"type": "string", "enum": ["any", "all"]},
            "kinds": {"type": "array", "items": {"oneOf": [{"const": "a", "title": "エー / A"}, {"const": "b"}]}},
            "half": {"oneOf": [{"const": 1, "title": "一 / "}, {"const": 2, "title": "二"}]},
            "labelled": {"type": "string", **choices(("x", "エックス / X"), ("y", Text("ワイ", "Y")))},
        },
        # a test of a value is drawn as nothing: its enum may stay bare
        "if": {"properties": {"match": {"enum": ["any"]}}},
        "then": {"required": ["kinds"]},
    }
    assert list(unlabelled_choices(schema)) == [
        "$.properties.match: enum ['any', 'all'] has no labels (write it with choices())",
        "$.properties.kinds.items.oneOf[1]: 'b' needs a title '日本語 / English'",
        "$.properties.half.oneOf[0]: 1 needs a title '日本語 / English'",
        "$.properties.half.oneOf[1]: 2 needs a title '日本語 / English'",
    ]


def test_choices_refuse_a_label_without_both_languages_and_a_repeated_value() -> None:
    with pytest.raises(ValueError, match="日本語 / English"):
        choices(("any", "いずれか"))
    with pytest.raises(ValueError, match="repeat"):
        choices(("any", "いずれか / Any"), ("any", "どれでも / Anything"))
    assert choice_values({"oneOf": [{"const": "a", "title": "エー / A"}]}) == ["a"]


def test_every_permission_has_a_japanese_and_an_english_label(tmp_path: Path) -> None:
    host = discover(settings_for(tmp_path))
    entries = host.registry.all("permissions")
    assert {"core", "tags", "assignment"} <= {e.plugin for e in entries}
    for entry in entries:
        label = entry.item.label
        assert isinstance(label, Text), entry.key
        assert label.ja.strip() and label.en.strip(), entry.key
        # a label, not the key again
        assert entry.item.name not in (label.ja, label.en) and entry.key not in (label.ja, label.en), entry.key
    # the roles page tells each row from the others by its label alone
    for lang in ("ja", "en"):
        labels = [getattr(e.item.label, lang) for e in entries]
        assert len(set(labels)) == len(labels), sorted(label for label in labels if labels.count(label) > 1)
