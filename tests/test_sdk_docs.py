"""Meta-tests: the SDK reference (docs/plugins/sdk.md) lists exactly the names ``enishi`` exports, and the package's
three lists of them (``__all__``, the lazy table and the imports for type checkers) agree."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import enishi

ROOT = Path(__file__).resolve().parents[1]
SDK_PAGE = ROOT / "docs" / "plugins" / "sdk.md"
# A row of the reference's tables: | `name` | what it is |
ROW = re.compile(r"^\| `(?P<name>[A-Za-z_][A-Za-z0-9_]*)` \| (?P<what>.*?) \|$", re.M)


def documented() -> list[tuple[str, str]]:
    return [(m["name"], m["what"].strip()) for m in ROW.finditer(SDK_PAGE.read_text())]


def type_checking_imports() -> dict[str, tuple[str, str | None]]:
    """What ``if TYPE_CHECKING:`` in enishi/__init__.py imports, as (module, attribute) like the lazy table's
    entries: ``from enishi.line import login as line_login`` is ``("enishi.line.login", None)``."""
    tree = ast.parse(Path(enishi.__file__).read_text())
    [block] = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
    ]
    found: dict[str, tuple[str, str | None]] = {}
    for statement in block.body:
        assert isinstance(statement, ast.ImportFrom) and statement.module, ast.unparse(statement)
        for alias in statement.names:
            exported = alias.asname or alias.name
            assert exported not in found, f"{exported} is imported twice for type checkers"
            found[exported] = _module_or_attribute(statement.module, alias.name)
    return found


def _module_or_attribute(module: str, name: str) -> tuple[str, str | None]:
    try:
        importlib.import_module(f"{module}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{module}.{name}":
            raise
        return module, name
    return f"{module}.{name}", None


def test_every_exported_name_is_in_the_sdk_reference() -> None:
    missing = sorted(set(enishi.__all__) - {name for name, _ in documented()})
    assert not missing, f"docs/plugins/sdk.md lacks a row (| `name` | what it is |) for: {', '.join(missing)}"


def test_the_sdk_reference_names_only_exported_names() -> None:
    unknown = sorted({name for name, _ in documented()} - set(enishi.__all__))
    assert not unknown, f"docs/plugins/sdk.md lists names enishi does not export: {', '.join(unknown)}"


def test_the_sdk_reference_describes_each_name_once() -> None:
    names = [name for name, _ in documented()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
    assert [name for name, what in documented() if not what] == []


def test_the_sdk_reference_is_linked_from_the_plugin_docs() -> None:
    assert "(sdk.md)" in (ROOT / "docs" / "plugins" / "README.md").read_text()


def test_all_and_the_lazy_table_name_the_same_names() -> None:
    assert len(enishi.__all__) == len(set(enishi.__all__)), "a name is in enishi.__all__ twice"
    assert set(enishi._LAZY) - set(enishi.__all__) == set(), "lazily importable but left out of __all__"
    assert set(enishi.__all__) - set(enishi._LAZY) == set(), "in __all__ but not in the lazy table"


def test_every_lazy_name_imports_from_where_the_table_says() -> None:
    for name, (module_name, attribute) in enishi._LAZY.items():
        module = importlib.import_module(module_name)
        if attribute is None:
            assert getattr(enishi, name) is module, name
        else:
            assert hasattr(module, attribute), f"{name}: {module_name} has no {attribute}"
            assert getattr(enishi, name) is getattr(module, attribute), name


def test_type_checkers_see_the_same_names_from_the_same_places() -> None:
    assert type_checking_imports() == enishi._LAZY
