"""A LINE emulator: the Messaging API, LINE Login, signed webhooks, simulated users, a control API and a simulator
page, in memory. Enishi's demo and every test that talks to "LINE" use it, plugins' tests too; load tests must never
hit LINE. It models LINE and imports nothing of Enishi, which mounts it at ``/emulator`` with ``ENISHI_EMULATOR=1``.

    emulator = Emulator()
    emulator.add_channel("1234567890", secret, token, "http://127.0.0.1:8000/webhook/…")
    app = Litestar(route_handlers=[create_emulator_router(emulator)])     # /emulator/v2/bot/…
    Configuration(host="http://127.0.0.1:8000/emulator", access_token=token)  # the official SDK, unchanged
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

# LINE's published OpenAPI specs (spec/README.md): the emulator checks requests against them, and a client of LINE
# may check its webhook events and messages against the same files (Enishi does).
SPEC_DIR = Path(__file__).parent / "spec"

# The names below are loaded from their modules on first use: enishi.line.message_check needs only the request
# validation module, and importing the package must not build the emulator's web app for it (the web process
# without the emulator never needs the rest).
if TYPE_CHECKING:
    from enishi_line_emulator.app import create_emulator_app, create_emulator_router
    from enishi_line_emulator.errors import Detail, LineApiError
    from enishi_line_emulator.state import (
        ENDPOINTS,
        LINE_RATE_LIMITS,
        Channel,
        Emulator,
        Faults,
        LogEntry,
        Quota,
        RateLimit,
        SimUser,
        UserAction,
    )
    from enishi_line_emulator.webhooks import WebhookResult, sign

_FROM = {
    "create_emulator_app": "app",
    "create_emulator_router": "app",
    "Detail": "errors",
    "LineApiError": "errors",
    **dict.fromkeys(
        (
            "ENDPOINTS",
            "LINE_RATE_LIMITS",
            "Channel",
            "Emulator",
            "Faults",
            "LogEntry",
            "Quota",
            "RateLimit",
            "SimUser",
            "UserAction",
        ),
        "state",
    ),
    "WebhookResult": "webhooks",
    "sign": "webhooks",
}


def __getattr__(name: str) -> Any:
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_FROM[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM})


__all__ = [
    "ENDPOINTS",
    "LINE_RATE_LIMITS",
    "SPEC_DIR",
    "Channel",
    "Detail",
    "Emulator",
    "Faults",
    "LineApiError",
    "LogEntry",
    "Quota",
    "RateLimit",
    "SimUser",
    "UserAction",
    "WebhookResult",
    "create_emulator_app",
    "create_emulator_router",
    "sign",
]
