"""The field types: each one's value schema (JSON Schema generated from the definition), how an input becomes a
stored value, and which condition operators apply to it.

Input is forgiving where Japanese staff and forms commonly differ from the canonical form (full-width digits,
「〒100－0001」, 「2024/5/1」, a date-time without an offset), and strict after that: the generated schema decides,
with format checking on. What is stored is canonical, so equal values compare equal in SQL.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Protocol
from urllib.parse import quote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from enishi import SchemaProblem, validate

TEXT = "text"
NUMBER = "number"
DATE = "date"
DATETIME = "datetime"
SELECT = "select"
MULTI_SELECT = "multi_select"
EMAIL = "email"
PHONE = "phone"
POSTAL_ADDRESS = "postal_address"
URL = "url"
FILE = "file"

FIELD_TYPES = (TEXT, NUMBER, DATE, DATETIME, SELECT, MULTI_SELECT, EMAIL, PHONE, POSTAL_ADDRESS, URL, FILE)
CHOICE_TYPES = frozenset({SELECT, MULTI_SELECT})
TEXT_LIKE = frozenset({TEXT, EMAIL, PHONE, URL})
# Types whose value is one typed column, so a friend list can sort by it.
SORTABLE = frozenset({TEXT, NUMBER, DATE, DATETIME, SELECT, EMAIL, PHONE, POSTAL_ADDRESS, URL, FILE})

TYPE_LABELS = {
    TEXT: ("テキスト", "Text"),
    NUMBER: ("数値", "Number"),
    DATE: ("日付", "Date"),
    DATETIME: ("日時", "Date and time"),
    SELECT: ("選択(1つ)", "Single choice"),
    MULTI_SELECT: ("選択(複数)", "Multiple choice"),
    EMAIL: ("メールアドレス", "Email address"),
    PHONE: ("電話番号", "Phone number"),
    POSTAL_ADDRESS: ("住所", "Postal address"),
    URL: ("URL", "URL"),
    FILE: ("ファイル", "File"),
}

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
TEXT_MAX = 500  # value_text is indexed; 500 characters stay within PostgreSQL's btree row limit
URL_MAX = 500
EMAIL_MAX = 254
OPTION_MAX = 100
OPTIONS_MAX = 200
NUMBER_LIMIT = 1e12  # numbers sort through a fixed-point text with 6 decimals, which must fit in 64 bits
SORT_MAX = 100

PHONE_PATTERN = r"^(?=(?:[^0-9]*[0-9]){10,15}[^0-9]*$)\+?[0-9]+(?:-[0-9]+)*$"
POSTAL_CODE_PATTERN = r"^[0-9]{3}-?[0-9]{4}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://"

PREFECTURES = (
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
)

# Dashes people type in phone numbers and postal codes, all meaning "-".
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u30fc\uff0d\uff70\u002d]")
_SLASH_DATE = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_NAIVE_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)$")


class FieldLike(Protocol):
    """What the type logic needs of a definition (the model, or a definition being created)."""

    @property
    def key(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def options(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Stored:
    """A canonical value and the typed columns filled from it."""

    value: Any
    text: str | None = None
    number: float | None = None
    day: date | None = None
    moment: datetime | None = None
    key: str | None = None
    sort: str | None = None
    file_id: int | None = None


# --- schemas ---------------------------------------------------------------------------------------------


def value_schema(field: FieldLike) -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) a value of this field must satisfy, with the field's label as title."""
    kind = field.type
    if kind == TEXT:
        schema: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": TEXT_MAX}
    elif kind == NUMBER:
        schema = {"type": "number", "minimum": -NUMBER_LIMIT, "maximum": NUMBER_LIMIT}
    elif kind == DATE:
        schema = {"type": "string", "format": "date"}
    elif kind == DATETIME:
        schema = {"type": "string", "format": "date-time"}
    elif kind == SELECT:
        schema = {"type": "string", "enum": list(field.options)}
    elif kind == MULTI_SELECT:
        schema = {
            "type": "array",
            "items": {"type": "string", "enum": list(field.options)},
            "uniqueItems": True,
            "minItems": 1,
        }
    elif kind == EMAIL:
        schema = {"type": "string", "format": "email", "pattern": EMAIL_PATTERN, "maxLength": EMAIL_MAX}
    elif kind == PHONE:
        schema = {"type": "string", "pattern": PHONE_PATTERN, "maxLength": 24}
    elif kind == URL:
        schema = {"type": "string", "format": "uri", "pattern": URL_PATTERN, "maxLength": URL_MAX}
    elif kind == POSTAL_ADDRESS:
        schema = {
            "type": "object",
            "properties": {
                "postal_code": {"type": "string", "pattern": POSTAL_CODE_PATTERN, "title": "郵便番号 / Postal code"},
                "prefecture": {"type": "string", "enum": list(PREFECTURES), "title": "都道府県 / Prefecture"},
                "city": {"type": "string", "minLength": 1, "maxLength": 50, "title": "市区町村 / City"},
                "line1": {"type": "string", "maxLength": 100, "title": "町名・番地 / Street"},
                "line2": {"type": "string", "maxLength": 100, "title": "建物名・部屋番号 / Building"},
            },
            "required": ["postal_code", "prefecture", "city"],
            "additionalProperties": False,
        }
    elif kind == FILE:
        schema = {
            "type": "object",
            "properties": {
                "file_id": {"type": "integer", "minimum": 1},
                "name": {"type": "string"},
                "content_type": {"type": "string"},
                "size": {"type": "integer"},
            },
            "required": ["file_id"],
            "additionalProperties": False,
        }
    else:
        raise ValueError(f"unknown field type {kind!r}")
    return {"title": field.key, **schema}


# --- turning input into a stored value ---------------------------------------------------------------------


def is_empty(raw: Any) -> bool:
    """Null, blank text, an empty list or object: all mean "no value" (the value is cleared)."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | dict):
        return not raw
    return False


def normalize(field: FieldLike, raw: Any, tz: ZoneInfo, path: str) -> tuple[Stored | None, list[SchemaProblem]]:
    """Check ``raw`` against the field's schema; return the value to store (None = clear) or the problems.

    Paths of problems start at ``path`` (e.g. ``$.values.address.postal_code``).
    """
    if is_empty(raw):
        return None, []
    if _has_nul(raw):
        return None, [SchemaProblem(path, "NUL文字は使えません / NUL characters are not allowed")]
    prepared = _prepare(field.type, raw, tz)
    problems = validate(value_schema(field), prepared, path)
    if problems:
        # One problem per place: ["gold"] for a select is both "not a string" and "not an option".
        return None, list({p.path: p for p in reversed(problems)}.values())[::-1]
    try:
        return _store(field, prepared, tz), []
    except ValueError as exc:  # what a format checker lets through but Python refuses (e.g. a leap second)
        return None, [SchemaProblem(path, str(exc))]


def _has_nul(raw: Any) -> bool:
    if isinstance(raw, str):
        return "\x00" in raw
    if isinstance(raw, list):
        return any(_has_nul(v) for v in raw)
    if isinstance(raw, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in raw.items())
    return False


def _prepare(kind: str, raw: Any, tz: ZoneInfo) -> Any:
    """Forgiving clean-up before the schema check; anything it does not recognise is left for the schema."""
    if isinstance(raw, str):
        raw = raw.strip()
    if kind == NUMBER and isinstance(raw, str):
        return _number_from_text(raw)
    if kind == DATE and isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw)
        slash = _SLASH_DATE.match(text)
        return f"{slash[1]}-{int(slash[2]):02d}-{int(slash[3]):02d}" if slash else text
    if kind == DATETIME and isinstance(raw, str):
        return _with_offset(unicodedata.normalize("NFKC", raw), tz)
    if kind == EMAIL and isinstance(raw, str):
        return unicodedata.normalize("NFKC", raw)
    if kind == PHONE and isinstance(raw, str):
        return _phone(raw)
    if kind == URL and isinstance(raw, str):
        return _ascii_url(raw)
    if kind == MULTI_SELECT and isinstance(raw, list):
        return [v.strip() if isinstance(v, str) else v for v in raw]
    if kind == POSTAL_ADDRESS and isinstance(raw, dict):
        cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in raw.items()}
        if isinstance(cleaned.get("postal_code"), str):
            code = unicodedata.normalize("NFKC", cleaned["postal_code"]).lstrip("〒").strip()
            cleaned["postal_code"] = _DASHES.sub("-", code)
        if cleaned.get("line1") == "":
            del cleaned["line1"]
        if cleaned.get("line2") == "":
            del cleaned["line2"]
        return cleaned
    return raw


def _number_from_text(text: str) -> Any:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "")
    try:
        number = float(cleaned)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return int(number) if number.is_integer() and "." not in cleaned and "e" not in cleaned.lower() else number


def _with_offset(text: str, tz: ZoneInfo) -> str:
    """A date-time without an offset is read in the workspace's time zone."""
    naive = _NAIVE_DATETIME.match(text)
    if not naive:
        return text
    try:
        moment = datetime.fromisoformat(f"{naive[1]}T{naive[2]}").replace(tzinfo=tz)
    except ValueError:
        return text
    return moment.isoformat()


def _phone(text: str) -> str:
    cleaned = unicodedata.normalize("NFKC", text)
    cleaned = re.sub(r"[\s()]", "-", _DASHES.sub("-", cleaned))
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-")
    return cleaned.replace("+-", "+")


def _ascii_url(text: str) -> str:
    """Percent-encode what a browser's address bar shows unencoded (Japanese paths, IDN host names)."""
    if text.isascii():
        return text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
        netloc = parts.netloc.replace(host, ascii_host) if host else parts.netloc
        safe = "/:@!$&'()*+,;=-._~%?#[]"
        return urlunsplit(
            (
                parts.scheme,
                netloc,
                quote(parts.path, safe=safe),
                quote(parts.query, safe=safe),
                quote(parts.fragment, safe=safe),
            )
        )
    except (ValueError, UnicodeError):
        return text


def _store(field: FieldLike, value: Any, tz: ZoneInfo) -> Stored:
    kind = field.type
    if kind in TEXT_LIKE or kind == SELECT:
        return Stored(value, text=value, sort=value[:SORT_MAX])
    if kind == NUMBER:
        number = canonical_number(value)
        return Stored(number, number=float(number), sort=number_sort_key(float(number)))
    if kind == DATE:
        day = date.fromisoformat(value)
        return Stored(day.isoformat(), day=day, sort=day.isoformat())
    if kind == DATETIME:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("日時にはタイムゾーンが必要です / a date-time needs an offset")
        local = moment.astimezone(tz)
        return Stored(iso_moment(local), moment=local, sort=datetime_sort_key(local))
    if kind == MULTI_SELECT:
        chosen = set(value)
        ordered = [o for o in field.options if o in chosen]
        return Stored(ordered, key=choices_key(ordered))
    if kind == POSTAL_ADDRESS:
        address = canonical_address(value)
        flat = flatten_address(address)
        return Stored(address, text=flat, key=json.dumps(address, ensure_ascii=False, sort_keys=True), sort=flat[:100])
    if kind == FILE:
        return Stored(dict(value), file_id=int(value["file_id"]))
    raise ValueError(f"unknown field type {kind!r}")


def canonical_number(value: float) -> int | float:
    """Whole numbers as integers, so 3 and 3.0 are the same value everywhere."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def number_sort_key(number: float) -> str:
    """Fixed-point with 6 decimals, shifted positive and zero-padded: text order is numeric order."""
    return f"{round(number * 1_000_000) + 10**18:019d}"


def datetime_sort_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def iso_moment(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")


def choices_key(options: Sequence[str]) -> str:
    """ "\\n"-framed, JSON-escaped options: membership is a LIKE on "\\n<option>\\n", and the JSON array can be
    rebuilt from it in SQL (see service.rebuild_choices_json)."""
    return "\n" + "".join(escape_choice(o) + "\n" for o in options)


def escape_choice(option: str) -> str:
    return json.dumps(option, ensure_ascii=False)[1:-1]


def canonical_address(value: Mapping[str, Any]) -> dict[str, str]:
    code = value["postal_code"].replace("-", "")
    address = {"postal_code": f"{code[:3]}-{code[3:]}", "prefecture": value["prefecture"], "city": value["city"]}
    for part in ("line1", "line2"):
        if value.get(part):
            address[part] = value[part]
    return address


def flatten_address(address: Mapping[str, str]) -> str:
    """「100-0001 東京都千代田区千代田1-1 皇居ビル」: searchable as written, prefecture at a fixed position."""
    flat = f"{address['postal_code']} {address['prefecture']}{address['city']}{address.get('line1', '')}"
    return f"{flat} {address['line2']}" if address.get("line2") else flat


def prefecture_like(prefecture: str) -> str:
    """The LIKE pattern of a flattened address in ``prefecture`` (prefecture names hold no wildcards)."""
    return f"___-____ {prefecture}%"


def display(value: Any) -> str:
    """A value as message text: lists joined with 「、」, an address written out, a file by its name."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        if "postal_code" in value:
            return "〒" + flatten_address(value)
        return str(value.get("name", ""))
    return str(value)


# --- operators -------------------------------------------------------------------------------------------

EMPTINESS = ("is_empty", "is_not_empty")
TEXT_OPS = ("equals", "not_equals", "contains", "not_contains", "starts_with", "in", "not_in")
ORDER_OPS = ("equals", "not_equals", "gt", "gte", "lt", "lte", "between")
DAY_OPS = (
    "before",
    "after",
    "within_last_days",
    "within_next_days",
    "more_than_days_ago",
    "more_than_days_ahead",
    "days_from_today",
    "in_current_month",
)

OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    TEXT: (*TEXT_OPS, *EMPTINESS),
    EMAIL: (*TEXT_OPS, *EMPTINESS),
    PHONE: (*TEXT_OPS, *EMPTINESS),
    URL: (*TEXT_OPS, *EMPTINESS),
    SELECT: ("equals", "not_equals", "in", "not_in", *EMPTINESS),
    MULTI_SELECT: ("has_any", "has_all", "has_none", *EMPTINESS),
    NUMBER: (*ORDER_OPS, *EMPTINESS),
    DATE: (*ORDER_OPS, *DAY_OPS, "month_is", *EMPTINESS),
    DATETIME: (*ORDER_OPS, *DAY_OPS, *EMPTINESS),
    POSTAL_ADDRESS: ("contains", "not_contains", "starts_with", "in", "not_in", *EMPTINESS),
    FILE: ("contains", "not_contains", *EMPTINESS),
}
ALL_OPERATORS = tuple(dict.fromkeys(op for ops in OPERATORS_BY_TYPE.values() for op in ops))

# What each operator needs in the config besides key and operator.
OPERAND_OF: dict[str, str | None] = {
    **dict.fromkeys(("equals", "not_equals", "contains", "not_contains", "starts_with"), "value"),
    **dict.fromkeys(("gt", "gte", "lt", "lte", "before", "after"), "value"),
    **dict.fromkeys(("in", "not_in", "has_any", "has_all", "has_none"), "values"),
    "between": "range",
    **dict.fromkeys(
        ("within_last_days", "within_next_days", "more_than_days_ago", "more_than_days_ahead", "days_from_today"),
        "days",
    ),
    "month_is": "month",
    **dict.fromkeys(("in_current_month", "is_empty", "is_not_empty"), None),
}
# What people read for each operator (the condition's form and its summary).
OPERATOR_LABELS: dict[str, str] = {
    "equals": "等しい / Equals",
    "not_equals": "等しくない(空欄を含む) / Does not equal (or empty)",
    "contains": "含む / Contains",
    "not_contains": "含まない(空欄を含む) / Does not contain (or empty)",
    "starts_with": "で始まる / Starts with",
    "in": "いずれかに一致 / Is one of",
    "not_in": "どれにも一致しない(空欄を含む) / Is none of (or empty)",
    "has_any": "いずれかを含む / Has any of",
    "has_all": "すべて含む / Has all of",
    "has_none": "どれも含まない(空欄を含む) / Has none of (or empty)",
    "gt": "より大きい / Greater than",
    "gte": "以上 / At least",
    "lt": "より小さい / Less than",
    "lte": "以下 / At most",
    "between": "範囲内 / Between",
    "before": "より前 / Before",
    "after": "より後 / After",
    "within_last_days": "過去N日以内 / Within the last N days",
    "within_next_days": "今後N日以内 / Within the next N days",
    "more_than_days_ago": "N日より前 / More than N days ago",
    "more_than_days_ahead": "N日より先 / More than N days ahead",
    "days_from_today": "今日からN日後(負なら前)の日 / N days from today (negative: ago)",
    "in_current_month": "今月 / This month",
    "month_is": "指定した月 / In the month",
    "is_empty": "空欄 / Is empty",
    "is_not_empty": "空欄でない / Is not empty",
}
# These hold for friends without a value too (「〜ではない」 includes the empty ones).
NEGATIVE = {"not_equals": "equals", "not_contains": "contains", "not_in": "in", "has_none": "has_any"}


# --- days in the workspace's time zone ---------------------------------------------------------------------


def start_of(day: date, tz: ZoneInfo) -> datetime:
    """Midnight of ``day`` in the workspace's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=tz)


def parse_day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def parse_moment(value: Any, tz: ZoneInfo) -> datetime | None:
    """A date-time operand; one without an offset is read in the workspace's time zone."""
    if not isinstance(value, str) or len(value) <= 10:
        return None
    try:
        moment = datetime.fromisoformat(_with_offset(value, tz))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
