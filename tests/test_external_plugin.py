"""A third-party plugin beside Enishi: the tutorial's keyword counter, installed as its own distribution, is listed
by ``enishi plugins list`` and passes its own tests with the test kit (enishi.testing); the tutorial quotes it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "enishi-keyword-counter"
TUTORIAL = ROOT / "docs" / "plugins" / "tutorial.md"
ENISHI = Path(sys.executable).with_name("enishi")


@pytest.mark.slow
def test_the_keyword_counter_installs_beside_enishi_and_passes_its_tests(tmp_path: Path) -> None:
    site = tmp_path / "site"
    # Offline: no index, no build isolation (hatchling comes with Enishi's development tools), no dependencies.
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--no-build-isolation"]
    install = subprocess.run(
        [*pip, "--target", str(site), str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert install.returncode == 0, install.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ENISHI_TEST_POSTGRES_URL")}
    env |= {"ENISHI_DATA_DIR": str(tmp_path / "data"), "ENISHI_LOG_LEVEL": "WARNING"}
    beside = {**env, "PYTHONPATH": str(site)}

    def plugins(environment: dict[str, str]) -> dict[str, dict[str, str]]:
        listed = subprocess.run(
            [str(ENISHI), "plugins", "list", "--json"], env=environment, capture_output=True, text=True, timeout=60
        )
        assert listed.returncode == 0, listed.stderr
        return {p["name"]: p for p in json.loads(listed.stdout)}

    counter = plugins(beside)["keyword_counter"]
    assert (counter["status"], counter["source"], counter["version"]) == ("loaded", "enishi-keyword-counter", "0.1.0")
    assert "keyword_counter" not in plugins(env)

    # Its tests, away from its source tree: the plugin comes from the installed copy, the fixtures from the kit.
    work = tmp_path / "work"
    shutil.copytree(EXAMPLE / "tests", work / "tests")
    shutil.copy(EXAMPLE / "pyproject.toml", work)
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=work,
        env=beside,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert re.search(r"\b2 passed\b", tests.stdout), tests.stdout[-2000:]


def test_the_tutorial_quotes_the_example_as_it_is() -> None:
    sources = "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(EXAMPLE.rglob("*")) if p.suffix in (".py", ".toml")
    )
    blocks = re.findall(r"```(?:python|toml)\n(.*?)```", TUTORIAL.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 10
    stale = [block for block in blocks if block.strip() not in sources]
    assert stale == [], "docs/plugins/tutorial.md quotes code the example no longer has"
