"""Meta-tests of the events catalogue: every event the core and the built-in plugins announce is catalogued (with
the data it carries) and documented in docs/events.md, and nothing is catalogued that nobody announces."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import pytest

from enishi import EventType, Register, Text
from enishi.plugin_host import discover
from enishi.registry import RegistrationError, Registry
from tests.conftest import PROBE, settings_for

REPO = Path(__file__).resolve().parents[1]
DOCS = (REPO / "docs" / "events.md").read_text()
# Where events are announced: the core's package and the built-in plugins.
SOURCES = {REPO / "core" / "enishi": "enishi", REPO / "plugins": ""}
# The announcing API itself: its ``name`` parameters are whatever its callers pass, and those are checked.
API = {("enishi.context", "emit"), ("enishi.context", "emit_many")}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """The core's events and those the built-in plugins register (a third-party plugin installed beside Enishi is
    left out: its events and triggers are documented by it)."""
    installed = discover(settings_for(tmp_path_factory.mktemp("events"))).plugins.values()
    built_in = ",".join(p.name for p in installed if p.source == "built-in")
    host = discover(settings_for(tmp_path_factory.mktemp("events"), ENISHI_PLUGINS=built_in))
    assert all(p.loaded for p in host.plugins.values() if p.source == "built-in")
    return host.registry


def catalogued(registry: Registry) -> dict[str, EventType]:
    return {e.key: e.item for e in registry.all("events")}


# ---- which event names the source announces -----------------------------------------------------------------


class Unresolved(Exception):
    """An announced name the scan cannot follow back to string constants."""


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    constants: dict[str, ast.expr] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # alias -> (module, attribute)
    enclosing: dict[ast.AST, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)


Scope = tuple[Module, "ast.FunctionDef | ast.AsyncFunctionDef | None"]


def _modules() -> dict[str, Module]:
    modules = {}
    for root, prefix in SOURCES.items():
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join([prefix, *parts] if prefix else parts)
            module = Module(name, path, ast.parse(path.read_text(), str(path)))
            _index(module)
            modules[name] = module
    return modules


def _index(module: Module) -> None:
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in module.tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    module.constants[target.id] = node.value
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    for t, v in zip(target.elts, node.value.elts, strict=True):
                        if isinstance(t, ast.Name):
                            module.constants[t.id] = v
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            module.constants[node.target.id] = node.value
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{source}" if source else base
            for alias in node.names:
                module.imports[alias.asname or alias.name] = (source, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                module.imports[alias.asname or alias.name] = (alias.name, None)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                module.enclosing[inner] = node  # outer first, inner functions overwrite: innermost wins


class Scan:
    def __init__(self) -> None:
        self.modules = _modules()

    def announced(self) -> Iterator[tuple[str, set[str]]]:
        """(``file:line``, the names it may announce) for every ``emit``, ``emit_many`` and ``DomainEvent``."""
        for module in self.modules.values():
            for node in ast.walk(module.tree):
                name = self._announced_name(node)
                if name is None:
                    continue
                function = module.enclosing.get(node)
                if function is not None and (module.name, function.name) in API:
                    continue
                where = f"{module.path.relative_to(REPO)}:{node.lineno}"  # type: ignore[attr-defined]
                try:
                    # An empty name is a placeholder the code fills in before announcing (webhook processing).
                    yield where, {v for v in self.values(name, (module, function)) if v}
                except Unresolved as exc:
                    raise AssertionError(f"{where}: cannot tell which event this announces ({exc})") from None

    @staticmethod
    def _announced_name(node: ast.AST) -> ast.expr | None:
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if callee in ("emit", "emit_many") and isinstance(func, ast.Attribute) and node.args:
            return node.args[0]
        if callee == "DomainEvent":
            named = [k.value for k in node.keywords if k.arg == "name"]
            return named[0] if named else node.args[0] if node.args else None
        return None

    def values(self, expr: ast.expr, scope: Scope) -> set[str]:
        module, function = scope
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.IfExp):
            return self.values(expr.body, scope) | self.values(expr.orelse, scope)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in module.imports:
            source, attr = module.imports[expr.value.id]  # `events.TAG_ADDED` after `from enishi_tags import events`
            return self._constant(source if attr is None else f"{source}.{attr}", expr.attr)
        if isinstance(expr, ast.Name):
            if function is not None:
                local = self._local(expr.id, (module, function), index=None)
                if local is not None:
                    return local
            if expr.id in module.constants:
                return self.values(module.constants[expr.id], (module, None))
            if expr.id in module.imports:
                source, attr = module.imports[expr.id]
                return self._constant(source, attr or expr.id)
        raise Unresolved(ast.unparse(expr))

    def _constant(self, module_name: str, name: str) -> set[str]:
        module = self.modules.get(module_name)
        if module is None:
            raise Unresolved(f"{module_name}.{name} is outside the scanned source")
        return self.values(ast.Name(id=name), (module, None))

    def _local(self, name: str, scope: Scope, index: int | None) -> set[str] | None:
        """What a local name (or, with ``index``, the index-th item of the tuples in a local list) may hold;
        None when ``name`` is not local to the function."""
        module, function = scope
        assert function is not None
        found: set[str] = set()
        bound = False
        params = [a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)]
        if name in params:
            bound = True
            arguments = [
                (argument, caller_scope)
                for call, caller_scope in self._callers(module, function)
                if (argument := _argument(call, function, name)) is not None
            ]
            if not arguments:
                raise Unresolved(f"no call of {function.name}() in the scanned source passes {name}")
            for argument, caller_scope in arguments:
                found |= self._items(argument, caller_scope, index)
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                bound = True
                found |= self._items(node.value, scope, index)
            elif isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.target, ast.Tuple) and index is None:
                for i, element in enumerate(node.target.elts):
                    if isinstance(element, ast.Name) and element.id == name:
                        bound = True
                        found |= self._items(node.iter, scope, i)
            elif (
                index is not None
                and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
                and node.args
            ):
                bound = True
                found |= self._items(node.args[0], scope, index)
        return found if bound else None

    def _items(self, expr: ast.expr, scope: Scope, index: int | None) -> set[str]:
        if index is None:
            return self.values(expr, scope)
        if isinstance(expr, ast.Tuple):
            return self.values(expr.elts[index], scope)
        if isinstance(expr, ast.List):
            return set().union(*(self._items(e, scope, index) for e in expr.elts))
        if isinstance(expr, ast.Name) and scope[1] is not None:
            found = self._local(expr.id, scope, index)
            if found is not None:
                return found
        raise Unresolved(f"item {index} of {ast.unparse(expr)}")

    def _callers(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> Iterator[tuple[ast.Call, Scope]]:
        for other in self.modules.values():
            local_names = {function.name} if other is module else set()
            local_names |= {a for a, (m, n) in other.imports.items() if m == module.name and n == function.name}
            module_aliases = {a for a, (m, n) in other.imports.items() if n is None and m == module.name}
            module_aliases |= {a for a, (m, n) in other.imports.items() if f"{m}.{n}" == module.name}
            for node in ast.walk(other.tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if (isinstance(func, ast.Name) and func.id in local_names) or (
                    isinstance(func, ast.Attribute)
                    and func.attr == function.name
                    and isinstance(func.value, ast.Name)
                    and func.value.id in module_aliases
                ):
                    yield node, (other, other.enclosing.get(node))


def _argument(call: ast.Call, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    positional = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if name in positional and positional.index(name) < len(call.args):
        return call.args[positional.index(name)]
    return None


def test_every_announced_event_is_catalogued_and_every_catalogued_one_announced(catalogue: Registry) -> None:
    known = catalogued(catalogue)
    sites = dict(Scan().announced())
    missing = {where: sorted(names - set(known)) for where, names in sites.items() if names - set(known)}
    assert not missing, f"announced but not in the events catalogue (enishi.events / enishi_register_events): {missing}"
    announced = set().union(*sites.values())
    assert announced == set(known), f"catalogued but never announced: {sorted(set(known) - announced)}"
    # The scan follows names through constants, imports, parameters and lists of tuples.
    assert {"core.friend_followed", "core.message_received", "tags.tag_removed"} <= announced


def test_the_scan_refuses_a_name_it_cannot_follow() -> None:
    scan = Scan()
    module = Module("example", REPO / "example.py", ast.parse("def f(names):\n    ctx.emit(names[0], 1)\n"))
    _index(module)
    scan.modules = {"example": module}
    with pytest.raises(AssertionError, match=r"example.py:2: cannot tell which event this announces \(names\[0\]\)"):
        list(scan.announced())
    module = Module("example", REPO / "example.py", ast.parse('def f():\n    ctx.emit("tags.tagged", 1)\n'))
    _index(module)
    scan.modules = {"example": module}
    assert list(scan.announced()) == [("example.py:2", {"tags.tagged"})]


def test_every_trigger_listens_to_catalogued_events(catalogue: Registry) -> None:
    known = catalogued(catalogue)
    for entry in catalogue.all("triggers"):
        assert set(entry.item.listens_to) <= set(known), (entry.key, entry.item.listens_to)


# ---- docs/events.md ---------------------------------------------------------------------------------------------


def _section(key: str) -> str:
    heading = f"### `{key}`"
    assert heading in DOCS, f"docs/events.md lacks a heading {heading}"
    return DOCS.split(heading, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]


def test_every_catalogued_event_is_documented_with_its_data(catalogue: Registry) -> None:
    for key, event in catalogued(catalogue).items():
        section = _section(key)
        for description in (event.description.ja, event.description.en):
            assert description in section, f"{key}: document its description {description!r}"
        friend = "`friend_id`: the friend" if event.friend else "`friend_id`: None"
        assert friend in section, f"{key}: say whether friend_id is set ({friend!r})"
        for name, type_name in event.fields().items():
            cell = type_name.replace("|", "\\|")  # a table cell escapes the pipe of `int | None`
            assert f"| `{name}` | `{cell}` |" in section, f"{key}: document `{name}` as `{cell}`"
        documented = re.findall(r"^\| `(\w+)` \|", section, flags=re.M)
        assert documented == list(event.fields()), f"{key}: the data's fields, in order"


def test_the_docs_name_the_triggers_of_each_event(catalogue: Registry) -> None:
    for entry in catalogue.all("triggers"):
        for name in entry.item.listens_to:
            assert f"`{entry.key}`" in _section(name), f"{name}: name the trigger {entry.key} that listens to it"


def test_docs_name_no_event_that_is_not_catalogued(catalogue: Registry) -> None:
    documented = set(re.findall(r"^### `([a-z_]+\.[a-z_]+)`", DOCS, flags=re.M))
    assert documented == set(catalogued(catalogue))


# ---- registration -----------------------------------------------------------------------------------------------


def test_plugins_register_their_events_under_their_name(tmp_path: Path) -> None:
    host = discover(settings_for(tmp_path), extra=[PROBE])
    renamed = host.registry.get("events", "probe.renamed")
    assert renamed is not None and renamed.plugin == "probe" and renamed.item.fields() == {"name": "str"}
    core = host.registry.get("events", "core.message_received")
    assert core is not None and core.plugin == "core"
    assert [e.key for e in host.registry.all("events", enabled=set()) if e.plugin != "core"] == []


class _Data(TypedDict):
    points: int


def test_an_event_without_a_typed_data_description_is_refused() -> None:
    register: Register[EventType] = Register("events", "points", "1")
    register(EventType(name="points_added", description=Text("ポイント", "Points"), data=_Data))
    assert [e.key for e in register.collected] == ["points.points_added"]
    with pytest.raises(RegistrationError, match="data must be a TypedDict"):
        register(EventType(name="points_removed", description=Text("ポイント", "Points"), data=dict))
    with pytest.raises(RegistrationError, match="registered twice"):
        register(EventType(name="points_added", description=Text("ポイント", "Points"), data=_Data))
