"""Settings come from ENISHI_* variables; a wrong value names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from enishi.settings import SettingsError, load_settings


def test_no_settings_is_embedded_mode(tmp_path: Path) -> None:
    s = load_settings({"ENISHI_DATA_DIR": str(tmp_path)})
    assert s.embedded and not s.uses_redis and not s.emulator  # the emulator only when asked for
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path / 'enishi.db'}"
    assert s.line_api_url == "https://api.line.me"
    # The generated key is kept, so a restart can still decrypt channel secrets.
    assert load_settings({"ENISHI_DATA_DIR": str(tmp_path)}).secret_keys == s.secret_keys
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_postgres_and_redis_mode(tmp_path: Path) -> None:
    s = load_settings(
        {
            "ENISHI_DATA_DIR": str(tmp_path),
            "ENISHI_DATABASE_URL": "postgresql://u@db/enishi",
            "ENISHI_REDIS_URL": "redis://cache:6379/0",
            "ENISHI_SECRET_KEY": "bS1pcy1hLXZhbGlkLWZlcm5ldC1rZXktb2YtMzJieXQ=",
        }
    )
    assert s.database_url == "postgresql+asyncpg://u@db/enishi"
    assert not s.embedded and s.uses_redis and not s.emulator
    assert s.line_api_url == "https://api.line.me"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ENISHI_DATABASE_URL", "mysql://x", "postgresql:// or sqlite:///"),
        ("ENISHI_REDIS_URL", "http://x", "redis://"),
        ("ENISHI_PUBLIC_URL", "example.com", "http(s) URL"),
        ("ENISHI_SECRET_KEY", "short", "32 url-safe base64"),
        ("ENISHI_TIMEZONE", "Mars/Base", "unknown time zone"),
        ("ENISHI_EMULATOR", "maybe", "true or false"),
        ("ENISHI_SESSION_HOURS", "0", "between 1 and"),
        ("ENISHI_MAX_REQUEST_BYTES", "lots", "whole number"),
        ("ENISHI_PLUGINS", "tags,../evil", "not plugin names"),
    ],
)
def test_a_wrong_value_names_the_variable(tmp_path: Path, variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as exc:
        load_settings({"ENISHI_DATA_DIR": str(tmp_path), variable: value})
    assert exc.value.variable == variable
    assert str(exc.value).startswith(variable) and message in str(exc.value)


def test_postgres_needs_a_shared_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="ENISHI_SECRET_KEY: is required"):
        load_settings({"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_DATABASE_URL": "postgresql://u@db/x"})
