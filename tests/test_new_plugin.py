"""`enishi plugins new NAME`: a plugin package made from the template, renamed throughout, whose tests pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from enishi.cli import main
from enishi.new_plugin import template_folder

ROOT = Path(__file__).resolve().parents[1]


def _new(tmp_path: Path, *args: str) -> Result:
    env = {"ENISHI_DATA_DIR": str(tmp_path / "data"), "ENISHI_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(main, ["plugins", "new", *args], env=env)


def _text(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}


def test_the_template_is_the_one_in_examples() -> None:
    # A source checkout finds it beside the package; the wheel carries this same folder as enishi/plugin_template.
    assert template_folder() == ROOT / "examples" / "enishi-plugin-template"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    forced = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert forced == {"examples/enishi-plugin-template": "enishi/plugin_template"}


def test_creates_a_renamed_copy_of_the_template(tmp_path: Path) -> None:
    target = tmp_path / "enishi-plugin-points"
    result = _new(tmp_path, "points", "--directory", str(target))
    assert result.exit_code == 0, result.output
    assert "src/enishi_points" in result.output

    files = _text(target)
    assert "src/enishi_points/__init__.py" in files and not any("enishi_birthday" in name for name in files)
    project = tomllib.loads(files["pyproject.toml"])
    assert project["project"]["name"] == "enishi-points"
    assert project["project"]["entry-points"]["enishi.plugins"] == {"points": "enishi_points"}
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["src/enishi_points"]

    first = files["src/enishi_points/migrations/0001_create_birthdays.py"]
    assert 'revision = "points_0001"' in first and 'branch_labels = ("points",)' in first
    assert '"points_birthdays"' in first and '"fk_points_birthdays_friend_id_friends"' in first
    assert 'down_revision = "points_0001"' in files["src/enishi_points/migrations/0002_sqlite_autoincrement.py"]
    assert '__tablename__ = "points_birthdays"' in files["src/enishi_points/models.py"]
    assert '"points.set_birthday"' in files["tests/test_plugin.py"]
    assert 'EntryPoint(name="points", value="enishi_points"' in files["tests/test_plugin.py"]
    assert '"points@base"' in files["tests/test_database.py"]
    assert project["tool"]["pytest"]["ini_options"]["enishi_plugins"] == ["points"]
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["artifacts"] == ["src/enishi_points/ui/dist/module.js"]
    # The console module: its namespace, its routes, where it is built to; @enishi/plugin-ui from this checkout.
    module = files["ui/src/index.tsx"]
    assert 'const PLUGIN = "points";' in module and "`/points/birthdays/${friendId}`" in module
    assert '"../src/enishi_points/ui/dist/module.js"' in files["ui/vite.config.js"]
    assert 'name: "points"' in files["ui/vite.config.js"]
    package = json.loads(files["ui/package.json"])
    assert package["name"] == "enishi-points-ui"
    plugin_ui = package["devDependencies"]["@enishi/plugin-ui"]
    assert plugin_ui == f"file:{(ROOT / 'builder_ui' / 'packages' / 'plugin-ui').as_posix()}"
    assert '"points.friends"' in files["src/enishi_points/screens.py"]
    assert not any("node_modules" in name for name in files)
    everything = "\n".join(files.values())
    for leftover in ("enishi_birthday", "enishi-birthday", '"birthday.', "birthday_0001", "birthday_birthdays"):
        assert leftover not in everything
    # The example's own data keeps its name: a friend's birthday is still a birthday.
    assert 'sa.Column("birthday", sa.Date()' in first and "def run_set_birthday(" in files["src/enishi_points/nodes.py"]


def test_the_default_folder_and_what_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    created = _new(tmp_path, "loyalty_points")
    assert created.exit_code == 0, created.output
    assert (tmp_path / "enishi-plugin-loyalty-points" / "src" / "enishi_loyalty_points" / "__init__.py").is_file()

    again = _new(tmp_path, "loyalty_points")
    assert again.exit_code == 1 and "exists and is not an empty folder" in again.output
    for name, why in [
        ("Points", "is not a plugin name"),
        ("2points", "is not a plugin name"),
        ("points-card", "is not a plugin name"),
        ("tags", "is a built-in plugin"),
        ("core", "is reserved for the core"),
        ("line_emulator", "is reserved for the core"),  # its package would be the emulator's, enishi_line_emulator
    ]:
        refused = _new(tmp_path, name, "--directory", str(tmp_path / "x"))
        assert refused.exit_code == 1 and why in refused.output, (name, refused.output)
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_the_new_plugin_imports_and_its_own_tests_pass(tmp_path: Path) -> None:
    target = tmp_path / "stamps"
    assert _new(tmp_path, "stamps", "--directory", str(target)).exit_code == 0
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ENISHI_TEST_POSTGRES_URL")}
    checked = subprocess.run(
        [sys.executable, "-c", "import enishi_stamps; enishi_stamps.manifest.check('stamps')"],
        cwd=target,
        env={**env, "PYTHONPATH": str(target / "src")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
