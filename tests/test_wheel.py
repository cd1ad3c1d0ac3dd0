"""A pip-installed release serves the whole UI: the wheel carries the built console (enishi/console) and each built-in
plugin's UI module, and `enishi serve` from a fresh virtualenv, away from the checkout, serves them compressed."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import hatch_build

ROOT = Path(__file__).resolve().parents[1]


def skip_unless_built() -> None:
    """A wheel needs every build; these tests do not make them, as others may be working in this tree."""
    missing = hatch_build.ui_state(ROOT).missing
    if missing:
        pytest.skip(f"the UI is not built here ({', '.join(missing)}): cd builder_ui && npm ci && npm run build")


def build_wheel(into: Path, source: Path = ROOT, env: dict[str, str] | None = None) -> Path:
    """The wheel as pip builds it (offline, with the development tools' hatchling). From the checkout, the UI is
    packaged as it is built (ENISHI_UI_BUILD=never): others may be rebuilding it in this tree right now, and
    tests/test_hatch_build.py covers when the hook builds it."""
    env = env if env is not None else {**os.environ, hatch_build.BUILD_MODE_ENV: "never"}
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-index", "--no-deps", "--no-build-isolation"]
    built = subprocess.run(
        [*pip, "--wheel-dir", str(into), str(source)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert built.returncode == 0, built.stderr
    [wheel] = into.glob("enishi-*.whl")
    return wheel


def fresh_virtualenv(where: Path, wheel: Path) -> Path:
    """A virtualenv with the wheel installed and, as the other installing tests do it offline, the dependencies
    of this environment: its site-packages on the path through a .pth file, whose own .pth files (the checkout's
    editable install) Python does not read. Returns its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=60)
    python = where / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-index", "--no-deps"]
    install = subprocess.run(
        [*pip, str(wheel)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "enishi_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return where / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(bin_dir: Path, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [str(bin_dir / "enishi"), "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else "exited"
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "enishi serve did not answer within a minute"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.slow
def test_the_installed_wheel_serves_the_console_and_the_plugins_modules_compressed(tmp_path: Path) -> None:
    skip_unless_built()
    wheel = build_wheel(tmp_path / "wheels")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"enishi/console/index.html", "enishi/console/shared/react.js"} <= names
    assert {f"enishi_{p}/ui/dist/module.js" for p in ("member_cards", "tags", "assignment", "notes")} <= names
    # A built-in plugin's UI sources stay out (the plugin template, enishi/plugin_template, keeps its own).
    assert not [n for n in names if n.startswith("enishi_") and "/ui/src/" in n]

    bin_dir = fresh_virtualenv(tmp_path / "venv", wheel)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENISHI_") and k != "PYTHONPATH"}
    env |= {"ENISHI_DATA_DIR": str(tmp_path / "data"), "ENISHI_LOG_LEVEL": "WARNING"}
    where = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import enishi.app, enishi_member_cards; print(enishi.app.UI_DIST); print(enishi_member_cards.UI_MODULE)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert where.returncode == 0, where.stderr
    console, module = (Path(line) for line in where.stdout.split())
    venv = tmp_path / "venv"
    assert console.is_relative_to(venv) and console.name == "console", console  # not the checkout's builder_ui/dist
    assert module.is_relative_to(venv) and module.is_file(), module

    with served(bin_dir, tmp_path, env) as base, httpx.Client(base_url=base, timeout=10) as http:
        index = http.get("/")
        assert index.status_code == 200
        assert index.content == (console / "index.html").read_bytes()
        [script] = re.findall(r'src="(/assets/index-[^"]+\.js)"', index.text)
        asset = http.get(script)
        assert asset.status_code == 200
        assert asset.headers["content-encoding"] == "gzip" and "accept-encoding" in asset.headers["vary"].lower()
        assert asset.content == (console / script.lstrip("/")).read_bytes()  # httpx decompressed it

        shim = http.get("/ui/shared/react.js")
        assert shim.status_code == 200 and shim.headers["content-type"].startswith("text/javascript")

        digest = hashlib.sha256(module.read_bytes()).hexdigest()[:16]
        plugin = http.get(f"/ui/plugins/member_cards/{digest}.js", headers={"Accept-Encoding": "gzip"})
        assert plugin.status_code == 200 and plugin.headers["content-encoding"] == "gzip"
        assert plugin.content == module.read_bytes()
        raw = http.get(f"/ui/plugins/member_cards/{digest}.js", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in raw.headers and raw.content == module.read_bytes()


@pytest.mark.slow
def test_a_wheel_builds_from_the_sdist_without_node(tmp_path: Path) -> None:
    skip_unless_built()
    env = {**os.environ, hatch_build.BUILD_MODE_ENV: "never"}
    sdist = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "sdist", "--directory", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert sdist.returncode == 0, sdist.stderr
    [archive] = tmp_path.glob("enishi-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
        tar.extractall(tmp_path / "unpacked", filter="data")
    assert {"hatch_build.py", "builder_ui/package.json", "builder_ui/dist/index.html"} <= names
    assert "plugins/enishi_member_cards/ui/dist/module.js" in names
    assert not [name for name in names if "node_modules" in name]

    # No npm on the path, and the hook left to decide: the sdist's builds are as new as their sources.
    without_node = {k: v for k, v in os.environ.items() if k != hatch_build.BUILD_MODE_ENV}
    without_node["PATH"] = str(Path(sys.executable).parent)
    [unpacked] = (tmp_path / "unpacked").iterdir()
    wheel = build_wheel(tmp_path / "wheels", unpacked, without_node)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"enishi/console/index.html", "enishi_member_cards/ui/dist/module.js"} <= names
