"""The emulator is a package of its own: it imports nothing of Enishi, and Enishi's wheel carries it whole."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder

ROOT = Path(__file__).resolve().parents[3]


def test_importing_every_module_of_the_emulator_loads_nothing_of_enishi() -> None:
    probe = textwrap.dedent(
        """
        import importlib, json, pkgutil, sys

        import enishi_line_emulator

        for module in pkgutil.walk_packages(enishi_line_emulator.__path__, "enishi_line_emulator."):
            importlib.import_module(module.name)
        for name in enishi_line_emulator.__all__:
            getattr(enishi_line_emulator, name)
        enishi_line_emulator.create_emulator_app(enishi_line_emulator.Emulator())
        print(json.dumps(sorted(sys.modules)))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "enishi_line_emulator.app" in loaded
    assert [m for m in loaded if m == "enishi" or m.startswith("enishi.")] == []


def test_the_wheel_carries_the_simulator_page_and_lines_specs() -> None:
    shipped = {f.distribution_path for f in WheelBuilder(str(ROOT)).recurse_included_files()}
    emulator = ROOT / "core" / "enishi_line_emulator"
    expected = {
        path.relative_to(ROOT / "core").as_posix()
        for path in emulator.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "enishi_line_emulator/simulator/static/simulator.js" in expected
    assert "enishi_line_emulator/spec/messaging-api.yml" in expected
    assert expected <= shipped
