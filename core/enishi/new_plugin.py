"""``enishi plugins new NAME``: a new plugin package made from the plugin template, renamed to NAME.

There is one copy of the template: ``examples/enishi-plugin-template`` in the source tree, which the wheel carries
as ``enishi/plugin_template`` (see ``pyproject.toml``). An installed Enishi finds it in the package; a source
checkout (an editable install) finds it beside the package.

The template is a working plugin named after its entry point (``birthday``). Its name is replaced wherever it
names the plugin (package, distribution, entry point, branch label, revision ids, table names, namespaced keys,
route paths, the tests' expectations) and left alone where it names the example's data (a friend's birthday).
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from pathlib import Path

from enishi.plugin_host import CORE_DISTRIBUTION, ENTRY_POINT_GROUP
from enishi.registry import RESERVED_PLUGIN_NAMES

PLUGIN_NAME = re.compile(r"[a-z][a-z0-9_]*")
# What a checkout of the template may hold besides its sources: never copied.
IGNORED = shutil.ignore_patterns(
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "node_modules",
)
# The console module's build kit, @enishi/plugin-ui, is not published yet: the template's ui/package.json takes it
# from a checkout of Enishi (`file:`). A copy made from a checkout points there; otherwise the author sets it.
PLUGIN_UI = Path("builder_ui") / "packages" / "plugin-ui"
PLUGIN_UI_REFERENCE = re.compile(r'"@enishi/plugin-ui": "file:[^"]*"')


class NewPluginRefused(Exception):
    """No plugin was created; the message says why, in plain words."""


def template_folder() -> Path:
    """The plugin template: inside the installed package, or beside it in a source checkout."""
    package = Path(__file__).resolve().parent
    for folder in (package / "plugin_template", package.parents[1] / "examples" / "enishi-plugin-template"):
        if (folder / "pyproject.toml").is_file():
            return folder
    raise NewPluginRefused("the plugin template is missing from this installation of Enishi")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a new plugin's name, or None."""
    if not PLUGIN_NAME.fullmatch(name):
        return f"{name!r} is not a plugin name: lowercase letters, digits and _, starting with a letter"
    if name in RESERVED_PLUGIN_NAMES:
        return f"{name!r} is reserved for the core"
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            dist = getattr(ep, "dist", None)
            if dist is not None and dist.name == CORE_DISTRIBUTION:
                return f"{name!r} is a built-in plugin"
            return f"a plugin named {name!r} is already installed" + (f" ({dist.name})" if dist else "")
    return None


def create_plugin(name: str, target: Path) -> Path:
    """Copy the template into ``target`` (which must not exist or be empty) renamed to ``name``; the package."""
    if problem := name_problem(name):
        raise NewPluginRefused(problem)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise NewPluginRefused(f"{target} exists and is not an empty folder")
    template = template_folder()
    old = _template_name(template)
    rename = _renamer(old, name, _table_names(template))
    target.mkdir(parents=True, exist_ok=True)
    for source in _files(template):
        relative = source.relative_to(template).as_posix().replace(f"enishi_{old}", f"enishi_{name}")
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            destination.write_bytes(data)
        else:
            destination.write_text(rename(text), encoding="utf-8")
    _point_at_plugin_ui(template, target / "ui" / "package.json")
    package = target / "src" / f"enishi_{name}"
    if not (package / "__init__.py").is_file():
        raise NewPluginRefused(f"the template has no package src/enishi_{old}")
    return package


def plugin_ui_package(template: Path) -> Path | None:
    """The checkout's @enishi/plugin-ui, when the template is the one in a source checkout."""
    checkout = template.resolve().parents[1]
    package = checkout / PLUGIN_UI
    return package if (package / "package.json").is_file() else None


def _point_at_plugin_ui(template: Path, package_json: Path) -> None:
    """Make the new plugin's ``file:`` reference to @enishi/plugin-ui hold from where it was created."""
    package = plugin_ui_package(template)
    if package is None or not package_json.is_file():
        return
    text = package_json.read_text(encoding="utf-8")
    reference = f'"@enishi/plugin-ui": "file:{package.as_posix()}"'
    package_json.write_text(PLUGIN_UI_REFERENCE.sub(reference, text), encoding="utf-8")


def _files(template: Path) -> list[Path]:
    found: list[Path] = []
    for folder, folders, names in os.walk(template):
        ignored = IGNORED(folder, [*folders, *names])
        folders[:] = [f for f in folders if f not in ignored]
        found.extend(Path(folder) / n for n in names if n not in ignored)
    return sorted(found)


def _template_name(template: Path) -> str:
    project = tomllib.loads((template / "pyproject.toml").read_text(encoding="utf-8"))
    names = list(project.get("project", {}).get("entry-points", {}).get(ENTRY_POINT_GROUP, {}))
    if len(names) != 1:
        raise NewPluginRefused(f"the template's pyproject.toml must declare one {ENTRY_POINT_GROUP} entry point")
    return names[0]


def _table_names(template: Path) -> set[str]:
    """The template's table names (``__tablename__``), which start with its plugin name."""
    tables: set[str] = set()
    for path in template.rglob("*.py"):
        tables.update(re.findall(r"__tablename__\s*=\s*[\"']([a-z0-9_]+)[\"']", path.read_text(encoding="utf-8")))
    return tables


def _renamer(old: str, new: str, tables: Iterable[str]) -> Callable[[str], str]:
    o = re.escape(old)
    rules: list[tuple[str, str]] = [
        (rf"\benishi([_-]){o}\b", rf"enishi\g<1>{new}"),  # package and distribution
        (rf"(?<![\w.\"'`/-]){o}(?= = \")", new),  # the entry point: birthday = "enishi_birthday"
        (rf"(?<![A-Za-z0-9]){o}_(\d{{4}})\b", rf"{new}_\g<1>"),  # revision ids: birthday_0001
        # tables and the constraints named after them: birthday_birthdays, pk_birthday_birthdays
        *(
            (rf"(?<![A-Za-z0-9]){re.escape(t)}(?![a-z0-9])", new + t[len(old) :])
            for t in sorted(tables, key=len, reverse=True)
            if t.startswith(f"{old}_")
        ),
        (rf"(?<=[\"'`]){o}(?=\.[a-z_])", new),  # namespaced keys: "birthday.set_birthday", `birthday.manage`
        (rf"(?<![\w.]){o}(?=@)", new),  # branch targets: birthday@base
        (rf"(?<=``){o}(?=``)", new),  # the name in a docstring: ``birthday``
        (rf"(?<=branch `){o}(?=`)", new),
        (rf"/{o}/", f"/{new}/"),  # route paths: /api/workspaces/{id}/birthday/…
        # the name as a string where it is the plugin's, not a friend's birthday
        *(
            (rf"(?<={re.escape(before)})\"{o}\"", f'"{new}"')
            for before in (
                "branch_labels = (",
                "settings_of(",
                ".check(",
                "EntryPoint(name=",
                "plugins[",
                "enishi_plugins = [",
                "enishi_plugins(",
                "plugin_host(settings, [",
                "frozenset({",
                "Register(kind, ",
                "labelled ",
                "including ",
                "# ",
                "PLUGIN = ",  # the console module's i18n namespace (ui/src/index.tsx)
                "name: ",  # the console module's name (ui/vite.config.js)
            )
        ),
    ]
    compiled = [(re.compile(pattern), replacement) for pattern, replacement in rules]

    def rename(text: str) -> str:
        for pattern, replacement in compiled:
            text = pattern.sub(replacement, text)
        return text

    return rename
