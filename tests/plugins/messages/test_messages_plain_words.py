"""The message editor's problems in plain words: a button needs its text (a tap action it does not need), and
LINE's own wording ("Length must be between 1 and 5000") reads as the forms say it."""

from __future__ import annotations

from typing import Any

from enishi_messages.validation import as_line_sees_it, line_problems


def buttons(*actions: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "template",
        "altText": "お知らせ",
        "template": {"type": "buttons", "text": "どうぞ", "actions": list(actions)},
    }


def said(messages: list[dict[str, Any]]) -> dict[str, str]:
    return {p.path: p.message for p in line_problems(as_line_sees_it(messages), "$.messages")}


def test_a_button_needs_its_text_but_not_a_tap_action() -> None:
    assert said([buttons({"type": "postback", "label": "受け取る", "enishi_actions": []})]) == {}
    assert said(
        [buttons({"type": "postback", "label": " ", "enishi_actions": []}, {"type": "postback", "enishi_actions": []})]
    ) == {
        "$.messages[0].template.actions[0].label": "ボタンの文字を入力してください / Enter the button's text",
        "$.messages[0].template.actions[1].label": "ボタンの文字を入力してください / Enter the button's text",
    }


def test_lines_limits_read_in_plain_words() -> None:
    problems = said([{"type": "text", "text": ""}, buttons({"type": "uri", "label": "見る", "uri": "not a url"})])
    assert problems == {
        "$.messages[0].text": "1〜5000文字で入力してください / Enter 1 to 5000 characters",
        "$.messages[1].template.actions[0].uri": "「https://」で始まるURLを入力してください / Enter a URL starting with https://",
    }
    for message in problems.values():
        assert "must" not in message and "Length" not in message
