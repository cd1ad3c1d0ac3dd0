"""The built-in LINE emulator: the Messaging API, signed webhooks, simulated users, a control API and a
simulator page, in memory. The demo and every test that talks to "LINE" use it; load tests must never hit LINE.

    emulator = Emulator()
    emulator.add_channel("1234567890", secret, token, "http://127.0.0.1:8000/webhook/…")
    app = Litestar(route_handlers=[create_emulator_router(emulator)])     # /emulator/v2/bot/…
    Configuration(host="http://127.0.0.1:8000/emulator", access_token=token)  # the official SDK, unchanged
"""

from enishi.line.emulator.app import create_emulator_app, create_emulator_router
from enishi.line.emulator.errors import Detail, LineApiError
from enishi.line.emulator.state import (
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
from enishi.line.emulator.webhooks import WebhookResult, sign

__all__ = [
    "ENDPOINTS",
    "LINE_RATE_LIMITS",
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
