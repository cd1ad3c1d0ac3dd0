"""What became of one call to LINE, as a typed outcome the outbox can act on.

LINE answers a send in one of four ways that call for different handling (DESIGN.md, "What a LINE account gives
us"): it took the request (2xx, or 409 for a retry key it already accepted), it wants us to try again later (5xx,
a timeout, a broken connection, or 429 for the rate limit), the channel's monthly message quota is used up (429
with "monthly limit"), or it refused the request for good (any other 4xx, never retried).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

# LINE's 429 bodies: {"message": "The API rate limit has been exceeded. Try again later."} for the rate limit,
# {"message": "You have reached your monthly limit."} for the quota.
_QUOTA_WORDS = ("monthly limit",)
_REPLY_TOKEN_WORDS = ("invalid reply token",)


@dataclass(frozen=True, kw_only=True)
class Accepted:
    """LINE took the request. ``already`` is a 409 for a retry key it had accepted before (so: not sent twice)."""

    status: int
    request_id: str | None = None  # X-Line-Request-Id, or X-Line-Accepted-Request-Id on a 409
    already: bool = False
    # sentMessages[].id of a push or reply, one per message sent, in order (None where LINE did not say)
    sent_message_ids: tuple[str | None, ...] = ()
    data: Any = None  # the SDK's response model for reads (profile, quota, …)


@dataclass(frozen=True, kw_only=True)
class RetryLater:
    """Try the same request again (with the same retry key) after ``delay`` seconds.

    ``maybe_delivered`` is False when the request certainly did not reach LINE's sending machinery (a local rate
    limit, a refused connection, a 429); True when LINE may have acted on it (a timeout, a 5xx, a dropped
    connection). Only the first kind is safe to follow with a push after a reply token turns out to be used.
    """

    delay: float
    reason: str
    status: int | None = None
    maybe_delivered: bool = True
    parts_accepted: int = 0  # of a split send, how many leading parts LINE accepted before this answer


@dataclass(frozen=True, kw_only=True)
class QuotaExhausted:
    """429 "You have reached your monthly limit.": nothing more goes out by push or multicast this month."""

    message: str
    status: int = 429
    parts_accepted: int = 0


@dataclass(frozen=True, kw_only=True)
class Rejected:
    """LINE refused the request for good (a 4xx other than 409-accepted and 429), or it could not be built."""

    status: int | None
    message: str
    details: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    parts_accepted: int = 0

    @property
    def invalid_reply_token(self) -> bool:
        """400 "Invalid reply token": the token expired or was used already."""
        return self.status == 400 and any(w in self.message.lower() for w in _REPLY_TOKEN_WORDS)

    def describe(self) -> str:
        """LINE's message with its details, as stored in ``line_requests.error``."""
        head = f"{self.status} {self.message}" if self.status is not None else self.message
        if not self.details:
            return head
        parts = [
            f"{d.get('property')}: {d.get('message')}" if d.get("property") else str(d.get("message"))
            for d in self.details
        ]
        return f"{head} ({'; '.join(parts)})"


Outcome = Accepted | RetryLater | QuotaExhausted | Rejected


class LineError(Exception):
    """A read call (profile, followers, quota, rich menu link) that did not succeed; ``outcome`` says how."""

    def __init__(self, outcome: RetryLater | QuotaExhausted | Rejected) -> None:
        self.outcome = outcome
        super().__init__(_describe(outcome))


class RateLimited(LineError):
    """The local rate limiter could not give a slot within its bounded wait; nothing was sent."""

    outcome: RetryLater

    def __init__(self, outcome: RetryLater) -> None:
        super().__init__(outcome)


def _describe(outcome: RetryLater | QuotaExhausted | Rejected) -> str:
    if isinstance(outcome, Rejected):
        return f"LINE rejected the request: {outcome.describe()}"
    if isinstance(outcome, QuotaExhausted):
        return f"LINE monthly message quota exhausted: {outcome.message}"
    return f"retry in {outcome.delay:.1f} s: {outcome.reason}"


def backoff(attempt: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base · 2^attempt)] (attempt 0 is the first)."""
    ceiling = min(cap, base * (2 ** min(max(attempt, 0), 32)))
    return random.uniform(0.0, ceiling)


def parse_error_body(body: Any) -> tuple[str, tuple[dict[str, Any], ...], dict[str, Any]]:
    """LINE's ErrorResponse (message, details) from a raw body; tolerant of non-JSON answers (proxies, 502 pages)."""
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", "replace")
    document: Any = None
    if isinstance(body, str) and body.strip():
        try:
            document = json.loads(body)
        except ValueError:
            return body.strip()[:500], (), {}
    if not isinstance(document, dict):
        return "", (), {}
    message = document.get("message")
    details = document.get("details")
    clean = tuple(d for d in details if isinstance(d, dict)) if isinstance(details, list) else ()
    return (message if isinstance(message, str) else ""), clean, document


def classify_status(
    status: int,
    body: Any,
    headers: Any,
    *,
    attempt: int,
    with_retry_key: bool,
    backoff_base: float = 1.0,
    backoff_cap: float = 300.0,
) -> Outcome:
    """Map a non-2xx answer from LINE to an outcome. ``headers`` is any mapping with case-insensitive ``get``."""
    message, details, document = parse_error_body(body)
    if status == 409 and with_retry_key:
        accepted_id = _header(headers, "X-Line-Accepted-Request-Id")
        if accepted_id is not None or "already accepted" in message.lower():
            return Accepted(
                status=409,
                request_id=accepted_id or _header(headers, "X-Line-Request-Id"),
                already=True,
                sent_message_ids=sent_message_ids(document),
            )
    if status == 429:
        if any(w in message.lower() for w in _QUOTA_WORDS):
            return QuotaExhausted(message=message)
        delay = max(backoff(attempt, base=backoff_base, cap=backoff_cap), _retry_after(headers) or 0.0)
        return RetryLater(delay=delay, reason=f"429 {message or 'rate limit'}", status=429, maybe_delivered=False)
    if status >= 500:
        delay = backoff(attempt, base=backoff_base, cap=backoff_cap)
        return RetryLater(delay=delay, reason=f"{status} {message or 'server error'}", status=status)
    return Rejected(status=status, message=message or f"HTTP {status}", details=details)


def sent_message_ids(document: Any) -> tuple[str, ...]:
    if not isinstance(document, dict) or not isinstance(document.get("sentMessages"), list):
        return ()
    return tuple(str(m["id"]) for m in document["sentMessages"] if isinstance(m, dict) and m.get("id") is not None)


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return str(value) if value is not None else None


def _retry_after(headers: Any) -> float | None:
    raw = _header(headers, "Retry-After")
    if raw is None:
        return None
    try:
        return min(max(float(raw), 0.0), 3600.0)
    except ValueError:
        return None
