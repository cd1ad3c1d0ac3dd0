"""Schema problems read as plain words at the field: no Python repr, no JSON Schema jargon, the field's title."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from enishi_assignment.nodes import ASSIGN_CONFIG

from enishi.scenarios.core_nodes import DURATION_SCHEMA
from enishi.schema_validation import validate

CHOICE = {
    "type": "string",
    "title": "条件 / Match",
    "oneOf": [
        {"const": "any", "title": "いずれかを持つ / Has any"},
        {"const": "all", "title": "すべて持つ / Has all"},
    ],
}
MATCH_SAID = "条件は次から選んでください: いずれかを持つ、すべて持つ / Match: choose one of Has any, Has all"
FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "名前 / Name", "minLength": 1, "maxLength": 5},
        "code": {
            "type": "string",
            "title": "コード / Code",
            "minLength": 3,
            "pattern": "^[0-9]+$",
            "x-messages": {"pattern": "半角数字で入力してください / Use digits only"},
        },
        "plain": {"type": "string", "title": "合言葉 / Keyword", "pattern": "^a"},
        "count": {"type": "integer", "title": "回数 / Count", "minimum": 1, "maximum": 10},
        "ratio": {"type": "number", "title": "割合 / Ratio", "exclusiveMinimum": 0, "multipleOf": 0.5},
        "at": {"type": "string", "title": "時刻 / Time", "format": "time"},
        "url": {"type": "string", "title": "リンク / Link", "format": "uri"},
        "kind": {"type": "string", "title": "種類 / Kind", "enum": ["a", "b"]},
        "match": CHOICE,
        "tags": {"type": "array", "title": "タグ / Tags", "minItems": 1, "maxItems": 2, "uniqueItems": True},
        "items": {
            "type": "array",
            "title": "ボタン / Buttons",
            "items": {
                "type": "object",
                "properties": {"label": {"type": "string", "title": "ラベル / Label"}, "match": CHOICE},
                "required": ["label"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["name", "count"],
    "additionalProperties": False,
}


def said(value: Any, schema: dict[str, Any] = FORM) -> dict[str, str]:
    return {p.path: p.message for p in validate(schema, value)}


def test_every_keyword_says_what_to_do_with_the_field_by_its_title() -> None:
    problems = said(
        {
            "name": "長すぎる名前です",
            "code": "1a",
            "plain": "b",
            "count": 11,
            "ratio": 0.3,
            "at": "9時",
            "url": "not a url",
            "kind": "c",
            "match": "some",
        }
    )
    assert problems == {
        "$.name": "名前は5文字以内にしてください / Name: at most 5 characters",
        "$.code": "半角数字で入力してください / Use digits only",
        "$.plain": "合言葉は書き方が正しくありません / Keyword: is not in the expected form",
        "$.count": "回数は10以下にしてください / Count: must be 10 or less",
        "$.ratio": "割合は0.5の倍数にしてください / Ratio: must be a multiple of 0.5",
        "$.at": "時刻は「09:30」の形で入力してください / Time: enter a time like 09:30",
        "$.url": "リンクは「https://」で始まるURLを入力してください / Link: enter a URL starting with https://",
        "$.kind": "種類は次から選んでください: a、b / Kind: choose one of a, b",
        "$.match": MATCH_SAID,
    }
    # two keywords on one field: both said, neither as a repr
    assert {p.message for p in validate(FORM, {"name": "x", "count": 1, "tags": [1, 1, 2]})} == {
        "タグは2件までにしてください / Tags: at most 2",
        "タグは同じものが重複しています / Tags: has the same value twice",
    }


def test_lower_limits_and_missing_fields_point_at_the_field_itself() -> None:
    assert said({"name": "", "code": "12", "ratio": 0, "tags": []}) == {
        "$.name": "名前を入力してください / Enter Name",
        "$.count": "回数を入力してください / Enter Count",
        "$.code": "コードは3文字以上にしてください / Code: at least 3 characters",
        "$.ratio": "割合は0より大きくしてください / Ratio: must be more than 0",
        "$.tags": "タグは1件以上にしてください / Tags: add at least 1",
    }
    assert said({"name": "x", "count": 0}) == {"$.count": "回数は1以上にしてください / Count: must be 1 or more"}
    assert said({"name": "x", "count": "3"}) == {
        "$.count": "回数は整数で入力してください / Count: enter a whole number"
    }


def test_nested_paths_name_the_list_item_and_its_field() -> None:
    problems = said({"name": "x", "count": 1, "items": [{"label": "ok"}, {"match": "x", "extra": 1}]})
    assert problems == {
        "$.items[1].label": "ラベルを入力してください / Enter Label",
        "$.items[1].match": MATCH_SAID,
        "$.items[1].extra": "この項目は使えません / This field is not allowed",
    }


def test_a_duration_of_nothing_says_to_fill_days_hours_or_minutes() -> None:
    expected = "日・時間・分のどれかを入力してください / Fill in one of: Days, Hours, Minutes"
    assert said({"days": 0, "hours": 0, "minutes": 0}, dict(DURATION_SCHEMA)) == {"$": expected}
    wait = {"type": "object", "properties": {"wait": DURATION_SCHEMA}, "required": ["wait"]}
    assert said({"wait": {}}, wait) == {"$.wait": expected}
    assert said({"wait": {"hours": 1}}, wait) == {}


@pytest.mark.parametrize(
    ("config", "path", "message"),
    [
        (
            {},
            "$",
            "担当スタッフ・振り分けグループ・担当者を外すのどれかを入力してください"
            " / Fill in one of: Staff member, Round-robin pool, Unassign",
        ),
        (
            {"user_id": 1, "pool_id": 2},
            "$",
            "担当スタッフ・振り分けグループのどれか一つだけにしてください"
            " / Only one of: Staff member, Round-robin pool",
        ),
        (
            {"unassign": True, "keep_existing": True},
            "$.keep_existing",
            "「担当者がいる友だちはそのまま」はこの組み合わせでは使えません"
            " / Keep an existing assignee cannot be used with this choice",
        ),
    ],
)
def test_one_of_ways_says_which_fields_to_fill(config: dict[str, Any], path: str, message: str) -> None:
    assert said(config, dict(ASSIGN_CONFIG)) == {path: message}


def test_a_choice_among_objects_reports_the_closest_branchs_problem() -> None:
    schema = {
        "type": "object",
        "properties": {
            "expression": {
                "title": "計算 / Expression",
                "oneOf": [
                    {
                        "type": "object",
                        "title": "現在日時から / From now",
                        "properties": {"days": {"type": "integer", "title": "日 / Days", "maximum": 9}},
                        "required": ["days"],
                    },
                    {"type": "string", "title": "式 / Formula", "minLength": 2},
                ],
            }
        },
    }
    assert said({"expression": {"days": 20}}, schema) == {
        "$.expression.days": "日は9以下にしてください / Days: must be 9 or less"
    }


def test_no_message_carries_a_repr_or_schema_words() -> None:
    bad = {"name": {"a": 1}, "count": [1], "match": None, "items": [{"label": 5}], "extra": {"days": 0}}
    for problem in validate(FORM, bad):
        ja, en = problem.message.split(" / ")
        for word in ("{", "'", "is not valid", "schema", "None", "[", "under"):
            assert word not in ja and word not in en, problem


CASES = Path(__file__).parents[1] / "builder_ui" / "src" / "forms" / "schema_message_cases.json"


@pytest.mark.parametrize("case", json.loads(CASES.read_text()), ids=lambda c: c["name"])
def test_the_server_says_what_the_console_says(case: dict[str, Any]) -> None:
    """The console's forms are tested with the same cases (messages.test.ts): one text per problem, both sides."""
    assert [p.as_dict() for p in validate(case["schema"], case["value"])] == case["problems"]
