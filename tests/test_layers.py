"""The core's import structure: no import cycles among its modules, and every module in a layer of the contract.

The layers contract itself (pyproject.toml, ``[tool.importlinter]``) is checked by ``lint-imports`` in
scripts/test. Function-level imports count; imports for type checking only do not.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
# Outside the layers: the kit plugins test with and the migrations.
OUTSIDE = ("enishi.testing", "enishi.migrations")
# Packages whose own module the contract cannot name without naming all of theirs.
UNLAYERED_PACKAGES = {"enishi", "enishi.api", "enishi.db", "enishi.jobs", "enishi.line"}


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("enishi", cache_dir=None, exclude_type_checking_imports=True)


def core_modules() -> set[str]:
    return {m for m in graph().modules if not any(m == o or m.startswith(o + ".") for o in OUTSIDE)}


def cycles(modules: set[str]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph().find_modules_directly_imported_by(start) & modules)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    index[other] = low[other] = len(index)
                    stack.append(other)
                    on_stack.add(other)
                    work.append((other, iter(sorted(graph().find_modules_directly_imported_by(other) & modules))))
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_cores_modules_import_one_another_without_cycles() -> None:
    found = cycles(core_modules())
    assert not found, "import cycles (break them by moving what both sides need into a lower module):\n" + "\n".join(
        ", ".join(c) for c in found
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    g = graph()
    g.add_import(importer="enishi.text", imported="enishi.types")  # types imports text
    try:
        assert ["enishi.text", "enishi.types"] in cycles(core_modules())
    finally:
        g.remove_import(importer="enishi.text", imported="enishi.types")


def test_every_core_module_is_in_a_layer() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["type"] == "layers"]
    names = {name.strip() for layer in contract["layers"] for name in re.split(r"[|:]", layer)}
    optional = {name[1:-1] for name in names if name.startswith("(")}  # (module): may not exist yet
    named = {name for name in names if not name.startswith("(")}
    assert named <= graph().modules, f"the contract names modules that do not exist: {named - graph().modules}"
    named |= optional
    unlayered = {
        m for m in core_modules() - UNLAYERED_PACKAGES if not any(m == n or m.startswith(n + ".") for n in named)
    }
    assert not unlayered, f"put these modules in a layer of [tool.importlinter] in pyproject.toml: {sorted(unlayered)}"
