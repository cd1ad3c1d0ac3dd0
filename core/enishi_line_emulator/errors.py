"""LINE-style errors: ``{"message": "...", "details": [{"message": "...", "property": "messages[0].text"}]}``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# LINE's own wording, so that a client that matches on it (or a person reading logs) sees what production says.
INVALID_TOKEN = "Authentication failed. Confirm that the access token in the authorization header is valid."  # noqa: S105 - a message, not a secret
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
MONTHLY_LIMIT = "You have reached your monthly limit."
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
INVALID_REPLY_TOKEN = "Invalid reply token"  # noqa: S105
NOT_FOUND = "Not found"


@dataclass(frozen=True, slots=True)
class Detail:
    """One problem in a request, at a LINE-style property path such as ``messages[0].text``."""

    message: str
    property: str

    def as_dict(self) -> dict[str, str]:
        return {"message": self.message, "property": self.property}


class LineApiError(Exception):
    """An error answered the way the Messaging API answers it."""

    def __init__(
        self,
        status_code: int,
        message: str,
        details: Sequence[Detail] = (),
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.details = list(details)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.details:
            out["details"] = [d.as_dict() for d in self.details]
        out.update(self.extra)
        return out


def invalid_body(details: Sequence[Detail]) -> LineApiError:
    return LineApiError(400, f"The request body has {len(details)} error(s)", details)


def bad_request(message: str) -> LineApiError:
    return LineApiError(400, message)


def not_found(message: str = NOT_FOUND) -> LineApiError:
    return LineApiError(404, message)


def conflict(message: str) -> LineApiError:
    return LineApiError(409, message)
