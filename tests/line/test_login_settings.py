"""Where LINE Login goes: LINE itself in production, the emulator in embedded mode, or what the settings say."""

from __future__ import annotations

from pathlib import Path

import pytest

from enishi.settings import SettingsError, load_settings

KEY = "bS1pcy1hLXZhbGlkLWZlcm5ldC1rZXktb2YtMzJieXQ="


def test_embedded_mode_logs_in_at_the_emulator(tmp_path: Path) -> None:
    s = load_settings(
        {"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_PUBLIC_URL": "http://shop.test:8000/", "ENISHI_EMULATOR": "1"}
    )
    assert s.line_login_url == "http://shop.test:8000/emulator"
    assert s.line_api_url == "http://shop.test:8000/emulator"  # token and keys
    assert s.line_login_state_seconds == 600


def test_production_logs_in_at_line(tmp_path: Path) -> None:
    env = {"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_DATABASE_URL": "postgresql://u@db/e", "ENISHI_SECRET_KEY": KEY}
    s = load_settings(env)
    assert (s.line_login_url, s.line_api_url) == ("https://access.line.me", "https://api.line.me")
    custom = load_settings(
        {**env, "ENISHI_LINE_LOGIN_URL": "https://login.test/", "ENISHI_LINE_LOGIN_STATE_SECONDS": "60"}
    )
    assert (custom.line_login_url, custom.line_login_state_seconds) == ("https://login.test", 60)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("ENISHI_LINE_LOGIN_URL", "access.line.me"), ("ENISHI_LINE_LOGIN_STATE_SECONDS", "0")],
)
def test_wrong_values_name_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"ENISHI_DATA_DIR": str(tmp_path), variable: value})
    assert raised.value.variable == variable
