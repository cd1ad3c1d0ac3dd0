"""``enishi emulator``: options, channels registered before the server starts."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from enishi_line_emulator.cli import emulator_command
from enishi_line_emulator.state import Emulator


def test_help_names_the_command() -> None:
    assert emulator_command.name == "emulator"
    result = CliRunner().invoke(emulator_command, ["--help"])
    assert result.exit_code == 0 and "--channel" in result.output and "ID:SECRET:TOKEN" in result.output


def test_runs_the_standalone_app_with_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen["app"] = app
        seen.update(kwargs)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    args = [
        "--port",
        "9123",
        "--channel",
        "1657000001:0123456789abcdef0123456789abcdef:tok:en",
        "--channel",
        "1657000002:fedcba9876543210fedcba9876543210:token2",
        "--webhook",
        "http://127.0.0.1:8000/webhook/abc",
        "--users",
        "2",
        "--quota",
        "200",
        "--prefix",
        "emulator",
    ]
    result = CliRunner().invoke(emulator_command, args)
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:9123/emulator/simulator" in result.output
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 9123)
    emulator: Emulator = seen["app"].state["line_emulator"]
    first = emulator.channel("1657000001")
    assert first.access_token == "tok:en" and first.webhook_url == "http://127.0.0.1:8000/webhook/abc"
    assert sum(u.following for u in first.users.values()) == 2
    assert emulator.quota(first).limit == 200
    assert emulator.channel("1657000002").secret == "fedcba9876543210fedcba9876543210"
    paths = {r.path for r in seen["app"].routes}
    assert "/emulator/v2/bot/message/push" in paths


def test_bad_channel_is_refused() -> None:
    result = CliRunner().invoke(emulator_command, ["--channel", "only:two"])
    assert result.exit_code == 2 and "ID:SECRET:TOKEN" in result.output


def test_listening_beyond_loopback_warns_that_the_control_api_is_open(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: None)
    loopback = CliRunner().invoke(emulator_command, ["--port", "9124"])
    assert loopback.exit_code == 0 and "警告" not in loopback.output
    exposed = CliRunner().invoke(emulator_command, ["--host", "0.0.0.0", "--port", "9124"])  # noqa: S104
    assert exposed.exit_code == 0
    assert "警告" in exposed.output and "no sign-in" in exposed.output
