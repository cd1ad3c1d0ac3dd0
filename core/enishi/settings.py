"""Settings from ``ENISHI_*`` environment variables, read when the app is created (never at import time).

No settings at all is the embedded mode: a SQLite file in the data directory and the in-process job runner, talking
to LINE; ``ENISHI_EMULATOR=1`` (the demo sets it) serves the built-in LINE emulator at ``/emulator`` instead.
``ENISHI_DATABASE_URL`` (PostgreSQL) and ``ENISHI_REDIS_URL`` turn it into a deployment of several web processes
and arq workers.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet


class SettingsError(ValueError):
    """A setting has a wrong value; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True, kw_only=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_keys: tuple[str, ...]  # Fernet keys; the first encrypts, all decrypt (rotation)
    public_url: str
    plugins_allow: frozenset[str] | None
    plugins_block: frozenset[str]
    line_api_url: str
    emulator: bool
    timezone: str = "Asia/Tokyo"
    log_level: str = "INFO"
    session_hours: int = 12
    login_max_failures: int = 5
    login_window_seconds: int = 900
    max_request_bytes: int = 1_048_576
    secure_cookies: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)
    # LINE Login's authorisation page (access.line.me); its token and key endpoints live on line_api_url.
    line_login_url: str = "https://access.line.me"
    line_login_state_seconds: int = 600  # how long a started LINE Login may take

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_redis(self) -> bool:
        return self.redis_url is not None

    @property
    def dialect(self) -> str:
        return "sqlite" if self.embedded else "postgresql"

    def with_changes(self, **changes: object) -> Settings:
        from dataclasses import replace

        return replace(self, **changes)  # type: ignore[arg-type]


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("ENISHI_DATA_DIR") or Path.cwd() / "data").expanduser().resolve()
    database_url = _database_url(env.get("ENISHI_DATABASE_URL"), data_dir)
    redis_url = _redis_url(env.get("ENISHI_REDIS_URL"))
    public_url = _public_url(env.get("ENISHI_PUBLIC_URL", "http://127.0.0.1:8000"))
    embedded = database_url.startswith("sqlite")
    # The emulator answers for every channel's users and holds their secrets: it is never on unless asked for
    # (the demo asks), and never beside a real LINE.
    emulator = env_bool(env, "ENISHI_EMULATOR", default=False)
    own_emulator = f"{public_url}/emulator"
    line_api_url = env.get("ENISHI_LINE_API_URL") or (own_emulator if emulator else "https://api.line.me")
    _check_url("ENISHI_LINE_API_URL", line_api_url)
    if emulator and line_api_url.rstrip("/") != own_emulator:
        raise SettingsError(
            "ENISHI_EMULATOR",
            f"is on, but ENISHI_LINE_API_URL points at {line_api_url!r}, not this app's {own_emulator}",
        )
    line_login_url = env.get("ENISHI_LINE_LOGIN_URL") or (
        f"{public_url}/emulator" if emulator else "https://access.line.me"
    )
    _check_url("ENISHI_LINE_LOGIN_URL", line_login_url)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_keys=_secret_keys(env.get("ENISHI_SECRET_KEY"), data_dir, embedded),
        public_url=public_url,
        plugins_allow=_name_list(env, "ENISHI_PLUGINS"),
        plugins_block=_name_list(env, "ENISHI_DISABLE_PLUGINS") or frozenset(),
        line_api_url=line_api_url.rstrip("/"),
        emulator=emulator,
        timezone=_timezone(env.get("ENISHI_TIMEZONE", "Asia/Tokyo")),
        log_level=_choice(env, "ENISHI_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
        session_hours=env_int(env, "ENISHI_SESSION_HOURS", 12, 1, 24 * 90),
        login_max_failures=env_int(env, "ENISHI_LOGIN_MAX_FAILURES", 5, 1, 1000),
        login_window_seconds=env_int(env, "ENISHI_LOGIN_WINDOW_SECONDS", 900, 1, 86_400),
        max_request_bytes=env_int(env, "ENISHI_MAX_REQUEST_BYTES", 1_048_576, 1024, 1 << 30),
        secure_cookies=env_bool(env, "ENISHI_SECURE_COOKIES", default=public_url.startswith("https://")),
        extra={k: v for k, v in env.items() if k.startswith("ENISHI_")},
        line_login_url=line_login_url.rstrip("/"),
        line_login_state_seconds=env_int(env, "ENISHI_LINE_LOGIN_STATE_SECONDS", 600, 1, 3600),
    )


def _database_url(raw: str | None, data_dir: Path) -> str:
    if not raw:
        return f"sqlite+aiosqlite:///{data_dir / 'enishi.db'}"
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme in ("postgres", "postgresql", "postgresql+asyncpg"):
        return "postgresql+asyncpg://" + raw.split("://", 1)[1]
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        return "sqlite+aiosqlite://" + raw.split("://", 1)[1]
    raise SettingsError("ENISHI_DATABASE_URL", "must be a postgresql:// or sqlite:/// URL")


def _redis_url(raw: str | None) -> str | None:
    if not raw:
        return None
    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError("ENISHI_REDIS_URL", "must be a redis:// or rediss:// URL")
    return raw


def _public_url(raw: str) -> str:
    _check_url("ENISHI_PUBLIC_URL", raw)
    return raw.rstrip("/")


def _check_url(variable: str, raw: str) -> None:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(variable, f"must be an http(s) URL, not {raw!r}")


def _secret_keys(raw: str | None, data_dir: Path, embedded: bool) -> tuple[str, ...]:
    if raw:
        keys = tuple(k.strip() for k in raw.split(",") if k.strip())
        for key in keys:
            try:
                Fernet(key.encode())
            except (ValueError, TypeError) as exc:
                raise SettingsError(
                    "ENISHI_SECRET_KEY",
                    "each key must be 32 url-safe base64-encoded bytes (make one with `enishi secret-key`)",
                ) from exc
        return keys
    if not embedded:
        # Several processes must share the key that encrypts channel secrets, so it cannot be made up here.
        raise SettingsError("ENISHI_SECRET_KEY", "is required with ENISHI_DATABASE_URL (make one: `enishi secret-key`)")
    key_file = data_dir / "secret.key"
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(Fernet.generate_key().decode())
    return (key_file.read_text().strip(),)


def _name_list(env: Mapping[str, str], variable: str) -> frozenset[str] | None:
    raw = env.get(variable)
    if raw is None or not raw.strip():
        return None
    names = frozenset(n.strip() for n in raw.split(",") if n.strip())
    bad = sorted(n for n in names if not n.replace("_", "").isalnum())
    if bad:
        raise SettingsError(variable, f"not plugin names: {', '.join(bad)}")
    return names


def env_bool(env: Mapping[str, str], variable: str, default: bool) -> bool:
    raw = env.get(variable)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(variable, f"must be true or false (on or off), not {raw!r}")


def env_int(env: Mapping[str, str], variable: str, default: int, low: int, high: int) -> int:
    raw = env.get(variable)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(variable, f"must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(variable, f"must be between {low} and {high}, not {value}")
    return value


def env_float(env: Mapping[str, str], variable: str, default: float, low: float, high: float) -> float:
    raw = env.get(variable)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(variable, f"must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(variable, f"must be between {low:g} and {high:g}, not {value:g}")
    return value


def _choice(env: Mapping[str, str], variable: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(variable, default).upper()
    if value not in choices:
        raise SettingsError(variable, f"must be one of {', '.join(choices)}")
    return value


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError("ENISHI_TIMEZONE", f"unknown time zone {raw!r}") from None
    return raw


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
