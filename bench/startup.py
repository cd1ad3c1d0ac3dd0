"""Start-up: how long `enishi --help` takes, how long `enishi serve` takes from launch to its first 200 on
/api/health (embedded SQLite, emulator on, a fresh data directory each time, and again on the data directory it
left behind), and how much memory `enishi serve` and the demo (`enishi demo`) hold once started and idle.

    .venv/bin/python bench/startup.py [--runs 5] [--source CHECKOUT] [--cache-bytecode]

``--source`` runs another checkout's code (its core/ and plugins/ first on the path) with this environment, e.g.
a `git worktree` of an older commit, to compare before and after. Prints medians and the ratio to the goal.

Python compiles every module it cannot find compiled (.pyc) on each launch when PYTHONDONTWRITEBYTECODE is set,
as in some containers and CI: the first line says which case was measured. ``--cache-bytecode`` measures the
usual case instead, where the second launch finds them: compiled files go to a directory of this run
(PYTHONPYCACHEPREFIX, warmed by one launch first), nothing is written into the checkout.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ENISHI = Path(sys.executable).with_name("enishi")
GOAL_SECONDS = 1.5  # launch → first answer of `enishi serve`


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PYCACHE: Path | None = None  # set by --cache-bytecode


def environment(data_dir: Path, source: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENISHI_")}
    env.update({"ENISHI_DATA_DIR": str(data_dir), "ENISHI_EMULATOR": "1", "ENISHI_LOG_LEVEL": "WARNING"})
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(source / "core"), str(source / "plugins")])
    if PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def bytecode_note() -> str:
    if PYCACHE is not None:
        return f"cached (PYTHONPYCACHEPREFIX={PYCACHE}, warmed by one launch)"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return "compiled at each launch where not installed compiled (PYTHONDONTWRITEBYTECODE is set)"
    return "cached as Python does by default (__pycache__)"


def time_help(source: Path | None) -> tuple[float, float]:
    """(wall, CPU) seconds of `enishi --help`."""
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), os.times()
        subprocess.run([str(ENISHI), "--help"], env=environment(Path(tmp), source), check=True, capture_output=True)
        after = os.times()
        return time.perf_counter() - started, (after.children_user - cpu.children_user) + (
            after.children_system - cpu.children_system
        )


def launch(command: str, data_dir: Path, source: Path | None) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(ENISHI), command, "--port", str(port)],
        env=environment(data_dir, source),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}/api/health", started


def first_answer(proc: subprocess.Popen[bytes], url: str, started: float, limit: float = 120) -> tuple[float, float]:
    """Seconds from launch to the first 200 on ``url``, and the CPU seconds the server had used by then (less
    at the mercy of whatever else the machine is doing than the wall-clock time)."""
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() - started < limit:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode} before it answered")
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter() - started, cpu_seconds(proc.pid)
            except httpx.TransportError:
                time.sleep(0.005)
    raise RuntimeError(f"no answer from {url} within {limit} s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def time_serve(source: Path | None) -> tuple[list[tuple[float, float]], float]:
    """(wall, CPU) seconds to the first answer: on a fresh data directory, then on the same directory again; and
    the resident memory of the second once idle."""
    with tempfile.TemporaryDirectory() as tmp:
        times, rss = [], 0.0
        for again in (False, True):
            proc, url, started = launch("serve", Path(tmp), source)
            try:
                times.append(first_answer(proc, url, started))
                if again:
                    rss = idle_rss(proc)
            finally:
                stop(proc)
        return times, rss


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def idle_rss(proc: subprocess.Popen[bytes]) -> float:
    """Resident memory (MiB) once it has settled: the same reading, within half a MiB, for two seconds."""
    readings: list[float] = []
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        readings.append(rss_mib(proc.pid))
        if len(readings) >= 5 and max(readings[-5:]) - min(readings[-5:]) < 0.5:
            break
        time.sleep(0.5)
    return readings[-1]


def demo_rss(source: Path | None) -> float:
    """The demo's resident memory once started and idle (its simulated friends added)."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, started = launch("demo", Path(tmp), source)
        try:
            first_answer(proc, url, started)
            return idle_rss(proc)
        finally:
            stop(proc)


def main() -> None:
    global PYCACHE
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--source", type=Path, help="another checkout to measure (its core/ and plugins/)")
    parser.add_argument("--cache-bytecode", action="store_true", help="let the launches keep compiled modules")
    args = parser.parse_args()
    source = args.source.resolve() if args.source else None
    with tempfile.TemporaryDirectory(prefix="enishi-pycache-") as pycache:
        if args.cache_bytecode:
            PYCACHE = Path(pycache)
            time_serve(source)  # compiles what the launches load (and the migrations)
        measure(source, args.runs)


def measure(source: Path | None, runs: int) -> None:
    helps = [time_help(source) for _ in range(runs)]
    serves = [time_serve(source) for _ in range(runs)]
    fresh, again = [s[0][0] for s in serves], [s[0][1] for s in serves]
    serve_rss = [s[1] for s in serves]
    rss = [demo_rss(source) for _ in range(max(1, runs // 2))]

    def row(label: str, values: list[float], unit: str = "s") -> None:
        shown = " ".join(f"{v:.2f}" for v in values)
        print(f"{label:<44} median {statistics.median(values):7.2f} {unit}   ({shown})")

    print(f"runs: {runs}  source: {'this checkout' if source is None else source.name}  load: {os.getloadavg()}")
    print(f"bytecode: {bytecode_note()}")
    for label, pairs in (
        ("enishi --help", helps),
        ("enishi serve → first 200 (fresh dir)", fresh),
        ("enishi serve → first 200 (again)", again),
    ):
        row(label, [wall for wall, _ in pairs])
        row("  CPU used by then", [cpu for _, cpu in pairs])
    row("enishi serve idle RSS (again)", serve_rss, "MiB")
    row("enishi demo idle RSS", rss, "MiB")
    for label, pairs in (("fresh", fresh), ("again", again)):
        wall = statistics.median(w for w, _ in pairs)
        cpu = statistics.median(c for _, c in pairs)
        print(f"serve ({label}) / {GOAL_SECONDS} s goal: {wall / GOAL_SECONDS:.2f} (CPU: {cpu / GOAL_SECONDS:.2f})")


if __name__ == "__main__":
    main()
