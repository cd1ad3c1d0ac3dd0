"""The build hook (hatch_build.py): what of the UI it finds missing or stale, what it runs to build it, what it says
when it cannot, and where the built files go in a wheel and an sdist."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import hatch_build
from enishi.plugin_host import discover
from enishi.testing import settings_for
from hatch_build import UiBuildError, ensure_ui_built, plugin_modules, ui_files, ui_state

ROOT = Path(__file__).resolve().parents[1]

FAKE_NPM = """#!/bin/sh
# Records its arguments and writes what the real build writes.
echo "$*" >> "{log}"
root="$(cd .. && pwd)"
case "$*" in
  ci) mkdir -p node_modules ;;
  "run build") mkdir -p dist && echo '<!doctype html>' > dist/index.html
    mkdir -p "$root/plugins/enishi_x/ui/dist" && echo 'export default 1' > "$root/plugins/enishi_x/ui/dist/module.js" ;;
  "run build:plugins -- enishi_x") mkdir -p "$root/plugins/enishi_x/ui/dist"
    echo 'export default 2' > "$root/plugins/enishi_x/ui/dist/module.js" ;;
esac
"""


def tree(root: Path, *, built: bool) -> Path:
    """A checkout in miniature: the console's sources, a plugin with a UI source, and (built) their builds."""
    for source in ("builder_ui/package.json", "builder_ui/src/main.tsx", "builder_ui/packages/plugin-ui/vite.js"):
        (root / source).parent.mkdir(parents=True, exist_ok=True)
        (root / source).write_text("x", encoding="utf-8")
    (root / "plugins/enishi_x/ui/src").mkdir(parents=True)
    (root / "plugins/enishi_x/ui/src/index.tsx").write_text("x", encoding="utf-8")
    (root / "plugins/enishi_plain").mkdir()  # no UI: nothing to build for it
    if built:
        for output in ("builder_ui/dist/index.html", "plugins/enishi_x/ui/dist/module.js"):
            (root / output).parent.mkdir(parents=True, exist_ok=True)
            (root / output).write_text("built", encoding="utf-8")
        touch(root / "builder_ui/dist/index.html", root / "plugins/enishi_x/ui/dist/module.js", later=10)
    return root


def touch(*paths: Path, later: float) -> None:
    for path in paths:
        now = path.stat().st_mtime + later
        os.utime(path, (now, now))


def fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "npm.log"
    npm = bin_dir / "npm"
    npm.write_text(FAKE_NPM.format(log=log), encoding="utf-8")
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def test_a_fresh_build_is_left_alone_and_a_newer_source_or_preset_makes_it_stale(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo", built=True)
    assert ui_state(root) == hatch_build.UiState(console=False, plugins=(), missing=())

    touch(root / "builder_ui/src/main.tsx", later=60)
    assert ui_state(root) == hatch_build.UiState(console=True, plugins=(), missing=())

    touch(root / "builder_ui/dist/index.html", later=120)
    (root / "plugins/enishi_x/ui/src/x.test.tsx").write_text("a test changes nothing built", encoding="utf-8")
    touch(root / "plugins/enishi_x/ui/src/x.test.tsx", later=60)
    assert ui_state(root).fresh
    touch(root / "builder_ui/packages/plugin-ui/vite.js", later=60)  # the preset every module is built with
    assert ui_state(root) == hatch_build.UiState(console=False, plugins=("enishi_x",), missing=())


def test_what_is_missing_or_stale_is_built_with_the_consoles_own_scripts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_npm(tmp_path, monkeypatch)
    root = tree(tmp_path / "repo", built=False)
    said: list[str] = []
    found = ensure_ui_built(root, say=said.append)
    assert found.missing == ("builder_ui/dist/index.html", "plugins/enishi_x/ui/dist/module.js")
    assert log.read_text().splitlines() == ["ci", "run build"]  # no node_modules yet: installed first
    assert ui_state(root).fresh and any("npm run build" in line for line in said)

    # Only a plugin's module stale: only the plugins' build, for that plugin.
    touch(root / "plugins/enishi_x/ui/src/index.tsx", later=3600)
    ensure_ui_built(root, say=said.append)
    assert log.read_text().splitlines()[2:] == ["run build:plugins -- enishi_x"]
    assert (root / "plugins/enishi_x/ui/dist/module.js").read_text().strip() == "export default 2"


def test_without_node_a_missing_build_is_an_error_that_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    root = tree(tmp_path / "repo", built=False)
    with pytest.raises(UiBuildError) as refused:
        ensure_ui_built(root, say=print)
    message = str(refused.value)
    assert "builder_ui/dist/index.html" in message and "plugins/enishi_x/ui/dist/module.js" in message
    assert "npm (Node.js) is not installed" in message and "npm ci && npm run build" in message


def test_a_stale_build_is_packaged_as_it_is_with_a_warning_when_it_cannot_be_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_npm(tmp_path, monkeypatch)
    root = tree(tmp_path / "repo", built=True)
    touch(root / "builder_ui/src/main.tsx", later=60)
    said: list[str] = []
    ensure_ui_built(root, "never", say=said.append)
    assert not log.exists()  # npm is there, but never means never
    assert said == [
        "warning: the UI build is older than its sources (the console) and is packaged as it is: ENISHI_UI_BUILD=never"
    ]


def test_the_builds_go_into_the_packages_in_a_wheel_and_stay_in_place_in_an_sdist(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo", built=True)
    assert ui_files(root, "wheel") == {
        "builder_ui/dist": "enishi/console",
        "plugins/enishi_x/ui/dist/module.js": "enishi_x/ui/dist/module.js",
    }
    assert ui_files(root, "sdist") == {
        "builder_ui/dist": "builder_ui/dist",
        "plugins/enishi_x/ui/dist/module.js": "plugins/enishi_x/ui/dist/module.js",
    }


def test_every_built_in_plugins_registered_module_is_one_the_hook_packages(tmp_path: Path) -> None:
    host = discover(settings_for(tmp_path))
    registered = {entry.item.path for entry in host.registry.all("ui_modules")}
    built_in = {path for path in registered if path.is_relative_to(ROOT / "plugins")}
    for package in ("enishi_member_cards", "enishi_assignment", "enishi_notes"):
        assert ROOT / f"plugins/{package}/ui/dist/module.js" in built_in
    assert built_in <= set(plugin_modules(ROOT).values())
