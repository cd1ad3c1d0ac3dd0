"""A message nested absurdly deep is refused with a clear problem: the compiled validator never sees it (it would
crash the process instead of raising)."""

from __future__ import annotations

from typing import Any

from enishi.line.message_check import check_messages
from enishi.line.spec import check_event
from enishi_line_emulator.validation import request_details


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"type": "text", "text": "x"}
    for _ in range(levels):
        value = {"type": "box", "layout": "vertical", "contents": [value]}
    return value


def test_a_message_nested_thirty_thousand_deep_is_refused_not_a_crash() -> None:
    flex = {"type": "flex", "altText": "深い", "contents": _deep(30_000)}
    [problem] = check_messages([flex])
    assert problem.path == "$.messages[0]" and "nested" in problem.message
    [detail] = request_details("PushMessageRequest", {"to": "U" + "0" * 32, "messages": [flex]})
    assert "nest" in detail.message
    known, problems = check_event({"type": "message", "message": _deep(30_000)})
    assert known and [p.path for p in problems] == ["$"]


def test_a_real_flex_message_a_few_levels_deep_passes() -> None:
    flex = {"type": "flex", "altText": "箱", "contents": {"type": "bubble", "body": _deep(5)}}
    assert check_messages([flex]) == []
