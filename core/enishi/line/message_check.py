"""LINE's verdict on outgoing messages before anything is stored: its schemas plus the limits the API enforces.

The OpenAPI schemas alone miss much of what LINE refuses (label lengths, button counts, nested action types,
HTTPS URLs); the emulator's request validator applies those, so a message that passes here is one LINE accepts.
"""

from __future__ import annotations

import re
from typing import Any

from enishi.line.channels import MAX_MESSAGES
from enishi.line.spec import check_message
from enishi.schema_validation import SchemaProblem
from enishi_line_emulator.validation import request_details

_SAMPLE_USER = "U" + "0" * 32
_LINE_PATH = re.compile(r"^messages(?=$|[.\[])")
_REQUIRED = re.compile(r"""^["']([A-Za-z0-9_]+)["'] is a required property$""")


def check_messages(messages: Any, prefix: str = "$.messages") -> list[SchemaProblem]:
    """Every problem of a list of message objects as they would be sent, at most one per path."""
    if isinstance(messages, tuple):  # a JSON array is a list; the compiled validator would take a tuple for one
        return [SchemaProblem(prefix, "must be of type array")]
    found: dict[str, SchemaProblem] = {}
    if isinstance(messages, list):
        for i, message in enumerate(messages[:MAX_MESSAGES]):
            for problem in check_message(message, f"{prefix}[{i}]"):
                missing = _REQUIRED.match(problem.message)
                if missing:  # named on the missing field itself, as LINE names it
                    problem = SchemaProblem(f"{problem.path}.{missing.group(1)}", "must be specified")
                found.setdefault(problem.path, problem)
    for detail in request_details("PushMessageRequest", {"to": _SAMPLE_USER, "messages": messages}):
        if not _LINE_PATH.match(detail.property):
            continue
        path = _LINE_PATH.sub(lambda _: prefix, detail.property, count=1)
        found.setdefault(path, SchemaProblem(path, detail.message))
    return sorted(found.values(), key=lambda p: _natural(p.path))


def _natural(path: str) -> list[tuple[int, Any]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", path)]
