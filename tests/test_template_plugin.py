"""The plugin template installs as a separate distribution and works with no change to the core."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "examples" / "enishi-plugin-template"
ENISHI = Path(sys.executable).with_name("enishi")


def _enishi(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ENISHI), *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def install_plugin(source: Path, site: Path) -> None:
    """pip-install the plugin at ``source`` into the folder ``site`` (for PYTHONPATH or sys.path), offline: no
    index, no build isolation (hatchling comes with Enishi's development tools), no dependencies."""
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-build-isolation",
            "--no-deps",
            "--target",
            str(site),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr


@pytest.mark.slow
def test_template_installs_migrates_lists_and_works(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(TEMPLATE, site)
    data = tmp_path / "data"
    base_env = {**os.environ, "ENISHI_DATA_DIR": str(data), "ENISHI_LOG_LEVEL": "WARNING"}
    base_env.pop("PYTHONPATH", None)
    with_plugin = {**base_env, "PYTHONPATH": str(site)}

    # The database first exists without the plugin; installing it later and upgrading adds its branch.
    assert _enishi("db", "upgrade", env=base_env).returncode == 0
    assert "upgrade pending" in _enishi("db", "current", env=with_plugin).stdout
    upgraded = _enishi("db", "upgrade", env=with_plugin)
    assert upgraded.returncode == 0, upgraded.stderr
    tables = {
        r[0] for r in sqlite3.connect(data / "enishi.db").execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert "birthday_birthdays" in tables

    listed = _enishi("plugins", "list", "--json", env=with_plugin)
    plugin = next(p for p in json.loads(listed.stdout) if p["name"] == "birthday")
    assert plugin | {"enabled_in": []} == plugin | {
        "version": "0.1.0",
        "source": "enishi-birthday",
        "status": "loaded",
        "tier": "standard",
        "enabled_in": [],
    }
    assert "birthday" in _enishi("plugins", "list", env=with_plugin).stdout
    assert "birthday" not in _enishi("plugins", "list", env=base_env).stdout

    e2e = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "scripts" / "template_plugin_e2e.py"), str(data)],
        env={**with_plugin, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert e2e.returncode == 0, e2e.stdout + e2e.stderr
    assert "works end to end" in e2e.stdout

    # Taking the plugin's branch down leaves the core intact.
    assert _enishi("db", "downgrade", "birthday@base", env=with_plugin).returncode == 0
    tables = {
        r[0] for r in sqlite3.connect(data / "enishi.db").execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert "birthday_birthdays" not in tables and "workspaces" in tables
