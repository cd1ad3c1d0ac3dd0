"""`enishi demo` seeds, prints the URL and login, and serves: the login it prints works."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

ENISHI = Path(sys.executable).with_name("enishi")
ROOT = Path(__file__).resolve().parents[1]
TOKYO = ZoneInfo("Asia/Tokyo")


def nearest(hour: int) -> datetime:
    """The moment nearest to now (within 12 hours) when it is ``hour``:00 in Tokyo."""
    now = datetime.now(TOKYO)
    at = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    candidates = (at - timedelta(days=1), at, at + timedelta(days=1))
    return min(candidates, key=lambda c: abs(c - now))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Demo:
    base: str
    email: str
    password: str
    printed: str
    deadline: float  # the test's time budget, shared by its waits


def demo_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ENISHI_DATA_DIR": str(tmp_path), "ENISHI_LOG_LEVEL": "WARNING"}


@contextmanager
def running_demo(tmp_path: Path, clock: datetime | None = None) -> Iterator[Demo]:
    """`enishi demo` on a free port, once it has printed its login and answers; stopped afterwards.

    With ``clock`` the demo's wall clock starts there (its sessions then last long enough for this side's
    real clock to keep the cookie)."""
    port = _free_port()
    command = [str(ENISHI)]
    env = demo_env(tmp_path)
    if clock is not None:
        command = [sys.executable, "-m", "tests.demo_at", clock.isoformat()]
        env["ENISHI_SESSION_HOURS"] = "48"
    proc = subprocess.Popen(
        [*command, "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        printed = ""
        deadline = time.monotonic() + 120
        while "ログイン" not in printed and time.monotonic() < deadline:
            printed += proc.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/" in printed
        email, password = printed.split("ログイン:", 1)[1].split("\n", 1)[0].strip().split(" / ")
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield Demo(base=base, email=email, password=password, printed=printed, deadline=deadline)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("hour", [3, 12], ids=["03:00 JST", "12:00 JST"])
def test_demo_prints_a_login_that_works_on_the_server_it_starts(tmp_path: Path, hour: int) -> None:
    # At night as at noon: the welcome answers each follow at once (a free reply; quiet hours hold only pushes).
    with running_demo(tmp_path, nearest(hour)) as demo:
        assert f"{demo.base}/emulator/simulator" in demo.printed
        with httpx.Client(base_url=demo.base, timeout=10) as client:
            me = client.post("/api/auth/login", json={"email": demo.email, "password": demo.password})
            assert me.status_code == 200, me.text
            client.headers["X-CSRF-Token"] = me.json()["csrf_token"]  # the simulated user's message below
            workspaces = client.get("/api/workspaces").json()
            assert [w["name"] for w in workspaces] == ["縁カフェ (デモ)"]
            ws = f"/api/workspaces/{workspaces[0]['id']}"
            # 30 simulated friends followed and chatted, through signed webhooks to the demo's own URL.
            while time.monotonic() < demo.deadline:
                friends = client.get(f"{ws}/friends", params={"limit": 100}).json()["items"]
                conversations = client.get(f"{ws}/inbox/conversations", params={"limit": 100}).json()["items"]
                # (profiles are fetched in the background: a display name may arrive after the friend)
                named = all(c["friend"]["display_name"] for c in conversations)
                # (the welcome can open a conversation before the friend's own first message is stored)
                heard = all(c["unread"] == 1 for c in conversations)
                if len(friends) == 30 and len(conversations) == 30 and named and heard:
                    break
                time.sleep(0.3)
            assert len(friends) == 30 and all(f["status"] == "following" for f in friends)
            assert {c["friend"]["display_name"] for c in conversations} >= {"佐藤 花子", "小川 奏太"}
            assert all(c["unread"] == 1 for c in conversations)
            # The demo's step scenario welcomed each of them and waits to send the coupon the next day.
            while time.monotonic() < demo.deadline:
                [scenario] = client.get(f"{ws}/scenarios").json()["items"]
                runs = client.get(f"{ws}/scenarios/{scenario['id']}").json()["runs_by_status"]
                if runs.get("waiting") == 30:
                    break
                time.sleep(0.3)
            assert scenario["name"] == "友だち追加ステップ (デモ)" and runs == {"waiting": 30}
            welcomed = client.get(f"{ws}/inbox/friends/{friends[0]['id']}/messages").json()["items"]
            assert any(m["direction"] == "out" and "友だち追加ありがとうございます" in m["text"] for m in welcomed)

            # A message typed as a simulated user shows in the inbox within a second.
            channel = workspaces[0]["line_channel_id"]
            user = friends[0]["line_user_id"]
            sent_at = time.monotonic()
            typed = client.post(
                f"/emulator/_control/channels/{channel}/users/{user}/text", json={"text": "席は空いていますか？"}
            )
            assert typed.status_code == 200, typed.text
            while time.monotonic() - sent_at < 5:
                latest = client.get(f"{ws}/inbox/friends/{friends[0]['id']}/messages").json()["items"][0]
                if latest["text"] == "席は空いていますか？":
                    break
                time.sleep(0.05)
            assert latest["text"] == "席は空いていますか？" and latest["direction"] == "in"
    # Seeding again is idempotent: the same workspace, the same login.
    again = subprocess.run(
        [str(ENISHI), "demo", "--no-serve"],
        env=demo_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0 and "workspace:  1 " in again.stdout
