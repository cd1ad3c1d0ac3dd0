"""The console's first load: how much JavaScript a browser reads, and how long it takes to see the first friend
list, with the console split per area (as it is built) and with the whole console in one script (as it was before
the split, built from the same sources with ENISHI_UI_ONE_BUNDLE=1).

Both builds are served side by side by two `enishi demo` servers (SQLite, emulator, the demo workspace given
``--friends`` friends who added the account through the emulator), the same plugins and their UI modules, gzip on.
Each round opens the friend list in a fresh Chromium context (cold cache, signed in beforehand), alternating which
build goes first, and measures from navigation to the first row of the friend table. Printed: JS transferred
(compressed) and decoded, scripts read, median time to the first friend list, and split ÷ one-script ratios.

    .venv/bin/python bench/console_first_load.py [--rounds 15] [--friends 30]

``--before DIST`` measures another build (e.g. one made from an older commit) instead of the one-script build.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.async_api import Browser, async_playwright
from playwright.async_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "builder_ui"
ENISHI = Path(sys.executable).with_name("enishi")
EMAIL, PASSWORD = "demo@enishi.example", "enishi-demo"  # the demo's printed login


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(out: Path, *, one_bundle: bool) -> None:
    env = {**os.environ, "ENISHI_UI_ONE_BUNDLE": "1" if one_bundle else "0"}
    command = ["npx", "vite", "build", "--outDir", str(out), "--emptyOutDir"]
    subprocess.run(command, cwd=UI, env=env, check=True, capture_output=True)


@dataclass
class Server:
    name: str
    dist: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, data: Path) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ENISHI_")},
            "ENISHI_DATA_DIR": str(data),
            "ENISHI_UI_DIST": str(self.dist),
            "ENISHI_PUBLIC_URL": self.url,
        }
        command = [str(ENISHI), "demo", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def ready(self, friends: int) -> int:
        """Waits for the server, adds the friends through the emulator; the demo workspace's id."""
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            for _ in range(600):
                try:
                    if (await http.get("/api/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            login = await http.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
            login.raise_for_status()
            http.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            [workspace] = (await http.get("/api/workspaces")).json()
            channel = (await http.get(f"/api/workspaces/{workspace['id']}")).json()["workspace"]["line_channel_id"]
            control = f"/emulator/_control/channels/{channel}"
            for n in range(friends):
                user = await http.post(f"{control}/users", json={"displayName": f"友だち{n + 1}"})
                user.raise_for_status()
                (await http.post(f"{control}/users/{user.json()['userId']}/follow")).raise_for_status()
            for _ in range(600):  # the follows are handled by the in-process runner
                found = await http.post(f"/api/workspaces/{workspace['id']}/friends/count", json={})
                if found.status_code == 200 and found.json()["count"] >= friends:
                    return int(workspace["id"])
                await asyncio.sleep(0.1)
            raise RuntimeError(f"{self.name}: the friends did not arrive")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)


@dataclass
class Load:
    seconds: float
    scripts: int
    transferred: int  # bytes on the wire (gzip)
    decoded: int


async def first_load(browser: Browser, server: Server, workspace: int) -> Load:
    context = await browser.new_context(base_url=server.url)
    try:
        login = await context.request.post("/api/auth/login", data={"email": EMAIL, "password": PASSWORD})
        assert login.ok, await login.text()
        page = await context.new_page()
        scripts: list[tuple[int, int]] = []

        async def counted(response: object) -> None:
            request = response.request  # type: ignore[attr-defined]
            if request.resource_type != "script":
                return
            try:
                sizes = await request.sizes()
                body = await response.body()  # type: ignore[attr-defined]
            except PlaywrightError:
                return  # asked for after the page went idle and was closed: not part of the first load
            scripts.append((sizes["responseBodySize"], len(body)))

        pending: list[asyncio.Task[None]] = []
        page.on("response", lambda r: pending.append(asyncio.ensure_future(counted(r))))
        started = time.perf_counter()
        await page.goto(f"/w/{workspace}/friends")
        await page.locator("table.friends-table tbody tr").first.wait_for(timeout=60_000)
        seconds = time.perf_counter() - started
        await page.wait_for_load_state("networkidle")  # every script the page asked for, read to its end
        await asyncio.gather(*pending)
        return Load(seconds, len(scripts), sum(t for t, _ in scripts), sum(d for _, d in scripts))
    finally:
        await context.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--friends", type=int, default=30)
    parser.add_argument("--before", type=Path, help="another build to compare with, instead of the one-script build")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="enishi-first-load-") as tmp:
        work = Path(tmp)
        print("building the console (split per area, and as one script) …", flush=True)
        build(work / "split", one_bundle=False)
        before = args.before
        if before is None:
            before = work / "one"
            build(before, one_bundle=True)
        servers = [Server("one script" if args.before is None else "before", before), Server("split", work / "split")]
        for server in servers:
            server.start(work / f"data-{server.port}")
        try:
            workspaces = [await server.ready(args.friends) for server in servers]
            results: dict[str, list[Load]] = {s.name: [] for s in servers}
            async with async_playwright() as p:
                # Debian's Chromium, as the browser tests use (CHROMIUM names another).
                executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
                browser = await p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
                for server, workspace in zip(servers, workspaces, strict=True):  # a warm-up each, not counted
                    await first_load(browser, server, workspace)
                for round_ in range(args.rounds):
                    order = list(zip(servers, workspaces, strict=True))
                    if round_ % 2:
                        order.reverse()
                    for server, workspace in order:
                        results[server.name].append(await first_load(browser, server, workspace))
                await browser.close()
        finally:
            for server in servers:
                server.stop()

    print(f"\nfirst load of the friend list ({args.friends} friends), {args.rounds} rounds, medians:")
    print(f"{'build':<12} {'scripts':>8} {'JS gzip kB':>11} {'JS kB':>8} {'to first list ms':>17}")
    medians: dict[str, tuple[float, float, float]] = {}
    for name, loads in results.items():
        seconds = statistics.median(x.seconds for x in loads)
        transferred = statistics.median(x.transferred for x in loads)
        decoded = statistics.median(x.decoded for x in loads)
        scripts = statistics.median(x.scripts for x in loads)
        medians[name] = (transferred, decoded, seconds)
        print(f"{name:<12} {scripts:>8.0f} {transferred / 1000:>11.1f} {decoded / 1000:>8.1f} {seconds * 1000:>17.0f}")
    (bt, bd, bs), (at, ad, as_) = medians.values()
    ratios = f"JS gzip {at / bt:.2f}, JS {ad / bd:.2f}, time to the first friend list {as_ / bs:.2f}"
    print(f"\nsplit ÷ {servers[0].name}: {ratios}")


if __name__ == "__main__":
    asyncio.run(main())
