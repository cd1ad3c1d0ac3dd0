"""Time-based one-time codes (RFC 6238, as authenticator apps make them) for staff two-factor sign-in."""

from __future__ import annotations

import hmac
import time

import pyotp

ISSUER = "Enishi"
STEP_SECONDS = 30  # what authenticator apps use


def clock() -> float:
    """Seconds since the epoch; a seam so tests choose the moment instead of reading the wall clock."""
    return time.time()


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (usually from a QR code)."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, or None. One step either side of now is accepted for clock drift, and
    never a step at or before ``last_step``: a code works once."""
    code = code.replace(" ", "")
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(clock() // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
