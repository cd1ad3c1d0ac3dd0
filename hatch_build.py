"""The build hook (hatchling's ``custom`` hook): a wheel carries the built console, as ``enishi/console``, and every
built-in plugin's UI module where the plugin registers it (``<package>/ui/dist/module.js``); an sdist carries them
where they are built, beside their sources, so a wheel builds from it without Node.

What is missing or older than its sources is built first with the console's own build (``npm run build``, which
builds the plugins' modules too, or ``npm run build:plugins`` for those alone). ``ENISHI_UI_BUILD=never`` takes
what is built as it is (a stale build with a warning); a build that is missing is always an error that says what to
run. An editable install serves the checkout's builds and needs none of this.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

CONSOLE = "builder_ui"
CONSOLE_DIST = "builder_ui/dist"
# What the console's build reads: a change to any of them makes builder_ui/dist stale.
CONSOLE_SOURCES = (
    "index.html",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "vite.config.ts",
    "src",
    "packages",
    "scripts",
)
# What builds a plugin's module besides its own ui/src: the preset (builder_ui/scripts/build-plugin-modules.js).
PLUGIN_PRESET = "builder_ui/packages/plugin-ui"
PLUGIN_ENTRIES = ("index.tsx", "index.ts", "index.jsx", "index.js")
PLUGIN_MODULE = "ui/dist/module.js"
WHEEL_CONSOLE = "enishi/console"
BUILD_MODE_ENV = "ENISHI_UI_BUILD"  # "auto" (the default) or "never"
SKIPPED_DIRS = frozenset({"node_modules", "dist", "__pycache__"})


class UiBuildError(RuntimeError):
    """The UI is not built and cannot be built here; the message says what to run."""


class UiState(NamedTuple):
    """What of the UI needs building: the console, and the plugins (by package) whose module does.

    (A named tuple, not a dataclass: hatchling loads this file as a script, outside sys.modules.)"""

    console: bool
    plugins: tuple[str, ...]
    missing: tuple[str, ...]  # outputs that do not exist at all, relative to the root

    @property
    def fresh(self) -> bool:
        return not self.console and not self.plugins


def plugin_modules(root: Path) -> dict[str, Path]:
    """Each plugin in the tree with a UI source (``plugins/<package>/ui/src/index.*``): its built module's path."""
    plugins = root / "plugins"
    if not plugins.is_dir():
        return {}
    return {
        package.name: package / PLUGIN_MODULE
        for package in sorted(plugins.iterdir())
        if any((package / "ui" / "src" / entry).is_file() for entry in PLUGIN_ENTRIES)
    }


def _files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            for directory, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
                # Tests beside the sources change nothing that is built.
                yield from (Path(directory) / f for f in files if ".test." not in f)


def _newest(paths: Iterable[Path]) -> float:
    return max((f.stat().st_mtime for f in _files(paths)), default=0.0)


def _older_than_sources(output: Path, sources: Iterable[Path]) -> bool:
    # Strictly older: an sdist gives every file the same time, and its builds are as new as their sources.
    return not output.is_file() or output.stat().st_mtime < _newest(sources)


def ui_state(root: Path) -> UiState:
    console = root / CONSOLE
    index = root / CONSOLE_DIST / "index.html"
    console_stale = _older_than_sources(index, (console / name for name in CONSOLE_SOURCES))
    modules = plugin_modules(root)
    stale_plugins = tuple(
        package
        for package, module in modules.items()
        if _older_than_sources(module, (module.parents[1] / "src", root / PLUGIN_PRESET))
    )
    missing = [index, *(module for module in modules.values())]
    return UiState(
        console=console_stale,
        plugins=stale_plugins,
        missing=tuple(str(p.relative_to(root)) for p in missing if not p.is_file()),
    )


def ensure_ui_built(root: Path, mode: str = "auto", say: Callable[[str], None] = print) -> UiState:
    """Builds what of the UI is missing or stale (see the module's docstring); raises UiBuildError when a build that
    is needed cannot be made. Returns the state it found."""
    state = ui_state(root)
    if state.fresh:
        return state
    npm = shutil.which("npm")
    console = root / CONSOLE
    can_build = mode != "never" and npm is not None and (console / "package.json").is_file()
    if not can_build:
        why = (
            f"{BUILD_MODE_ENV}=never"
            if mode == "never"
            else "npm (Node.js) is not installed"
            if npm is None
            else f"{CONSOLE}/package.json is missing"
        )
        if state.missing:
            raise UiBuildError(
                f"Enishi's UI is not built ({', '.join(state.missing)}) and cannot be built here: {why}. "
                f"Build it first (cd {CONSOLE} && npm ci && npm run build), or install Node.js 20 or later."
            )
        stale = ["the console"] * state.console + list(state.plugins)
        say(f"warning: the UI build is older than its sources ({', '.join(stale)}) and is packaged as it is: {why}")
        return state
    assert npm is not None
    if not (console / "node_modules").is_dir():
        _run([npm, "ci"], console, say)
    if state.console:
        _run([npm, "run", "build"], console, say)  # the console and every plugin's module
    else:
        _run([npm, "run", "build:plugins", "--", *state.plugins], console, say)
    after = ui_state(root)
    if after.missing:
        raise UiBuildError(f"The UI build finished but did not write: {', '.join(after.missing)}")
    return state


def _run(command: list[str], cwd: Path, say: Callable[[str], None]) -> None:
    say(f"building the UI: {' '.join(Path(command[0]).name if i == 0 else c for i, c in enumerate(command))}")
    done = subprocess.run(command, cwd=cwd, check=False)  # noqa: S603 (npm, found on PATH)
    if done.returncode != 0:
        raise UiBuildError(f"`{' '.join(command[1:])}` failed in {cwd} (exit {done.returncode}); see its output above")


def ui_files(root: Path, target: str) -> dict[str, str]:
    """Hatchling's force-include map for the built UI: into the packages in a wheel, in place in an sdist."""
    files = {CONSOLE_DIST: WHEEL_CONSOLE if target == "wheel" else CONSOLE_DIST}
    for package, module in plugin_modules(root).items():
        source = str(module.relative_to(root))
        files[source] = f"{package}/{PLUGIN_MODULE}" if target == "wheel" else source
    return files


class UiBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name not in ("wheel", "sdist") or version == "editable":
            return
        root = Path(self.root)
        mode = os.environ.get(BUILD_MODE_ENV, "auto").strip().lower() or "auto"
        if mode not in ("auto", "never"):
            raise UiBuildError(f"{BUILD_MODE_ENV} is {mode!r}: it is 'auto' (the default) or 'never'")
        ensure_ui_built(root, mode, say=self.app.display_info)
        build_data["force_include"].update(ui_files(root, self.target_name))
