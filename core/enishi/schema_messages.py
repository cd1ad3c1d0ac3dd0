"""A JSON Schema problem said the way a person reads it, "日本語 / English", per keyword.

jsonschema's own messages are English with Python reprs (``{'days': 0} is not valid under any of the given
schemas``). These name the field by its schema title, list choices by their titles and, for an ``anyOf`` /
``oneOf`` of required fields, say which fields to fill. The console's forms say the very same texts
(``builder_ui/src/forms/messages.ts``), so a problem the server finds reads like the one the form shows.
A schema may give its own text per keyword: ``"x-messages": {"pattern": "半角数字で / Digits only"}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

Schema = Mapping[str, Any]
Texts = tuple[str, str]  # (日本語, English)

_FORMATS: dict[str, Texts] = {
    "time": ("「09:30」の形で入力してください", "enter a time like 09:30"),
    "date": ("「2026-04-01」の形で入力してください", "enter a date like 2026-04-01"),
    "date-time": ("日時の形で入力してください", "enter a date and time"),
    "email": ("メールアドレスの形で入力してください", "enter an email address"),
    "uri": ("「https://」で始まるURLを入力してください", "enter a URL starting with https://"),
    "iri": ("「https://」で始まるURLを入力してください", "enter a URL starting with https://"),
    "uri-reference": ("URLを入力してください", "enter a URL"),
    "iri-reference": ("URLを入力してください", "enter a URL"),
    "regex": ("正しい正規表現を入力してください", "enter a valid regular expression"),
    "uuid": ("UUIDの形で入力してください", "enter a UUID"),
    "hostname": ("ホスト名を入力してください", "enter a host name"),
    "ipv4": ("IPアドレスを入力してください", "enter an IP address"),
    "ipv6": ("IPアドレスを入力してください", "enter an IP address"),
}
_TYPES: dict[str, Texts] = {
    "integer": ("整数で入力してください", "enter a whole number"),
    "number": ("数値で入力してください", "enter a number"),
    "string": ("文字で入力してください", "enter text"),
}


def split_text(value: Any) -> Texts:
    """A schema title ("日本語 / English" or {"ja": …, "en": …}) as (日本語, English)."""
    if isinstance(value, Mapping):
        ja, en = str(value.get("ja") or value.get("en") or ""), str(value.get("en") or value.get("ja") or "")
        return ja, en
    if not isinstance(value, str):
        return "", ""
    parts = value.split(" / ")
    return (parts[0], parts[1]) if len(parts) == 2 else (value, value)


def _both(ja: str, en: str) -> str:
    return f"{ja} / {en}"


def _about(title: Texts, ja: str, en: str) -> str:
    """ "{title}は…" / "{title}: …", or the bare sentence when the field has no title."""
    t_ja, t_en = title
    return _both(f"{t_ja}は{ja}" if t_ja else ja, f"{t_en}: {en}" if t_en else en[:1].upper() + en[1:])


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "オン" if value else "オフ"
    return str(value)


def _choices(schema: Schema) -> list[Texts] | None:
    """The options of a choice: ``oneOf``/``anyOf`` of ``{const, title}`` or an ``enum``; None if it is none."""
    if isinstance(schema.get("enum"), list):
        return [(_value_text(v), _value_text(v)) for v in schema["enum"]]
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches and all(isinstance(b, Mapping) and "const" in b for b in branches):
            return [split_text(b["title"]) if "title" in b else (_value_text(b["const"]),) * 2 for b in branches]
    return None


def _required_sets(branches: Sequence[Any]) -> list[list[str]] | None:
    """The branches' required fields when every branch only says which fields are needed (and maybe how)."""
    if not branches or not all(isinstance(b, Mapping) and b.get("required") and "type" not in b for b in branches):
        return None
    return [list(b["required"]) for b in branches]


def _resolve(root: Schema, path: Iterable[Any]) -> list[Schema]:
    """The schemas along an absolute schema path, the root first (a path into a list ends where it ends)."""
    chain: list[Schema] = [root]
    node: Any = root
    for part in path:
        in_map = isinstance(node, Mapping) and part in node
        if in_map or (isinstance(node, list) and isinstance(part, int) and part < len(node)):
            node = node[part]
        else:
            break
        if isinstance(node, Mapping):
            chain.append(node)
    return chain


def _property_title(chain: Sequence[Schema], name: str) -> Texts:
    """The title of property ``name`` of the innermost object schema along ``chain`` that declares it."""
    for schema in reversed(chain):
        props = schema.get("properties")
        if isinstance(props, Mapping) and isinstance(props.get(name), Mapping) and "title" in props[name]:
            return split_text(props[name]["title"])
    return "", ""


def _own(schema: Schema, keyword: str) -> str | None:
    custom = schema.get("x-messages")
    if isinstance(custom, Mapping) and isinstance(custom.get(keyword), str | Mapping):
        ja, en = split_text(custom[keyword])
        return _both(ja, en)
    return None


def _fill_one(names: list[Texts], only: bool = False) -> str:
    ja = "・".join(n[0] for n in names)
    en = ", ".join(n[1] for n in names)
    if only:
        return _both(f"{ja}のどれか一つだけにしてください", f"Only one of: {en}")
    return _both(f"{ja}のどれかを入力してください", f"Fill in one of: {en}")


def _union(chain: Sequence[Schema], sets: list[list[str]]) -> list[Texts]:
    seen: list[str] = []
    for names in sets:
        seen.extend(n for n in names if n not in seen)
    titles = [_property_title(chain, n) for n in seen]
    return [t if t[0] else (n, n) for t, n in zip(titles, seen, strict=True)]


def describe(error: ValidationError, root: Schema) -> tuple[list[Any], str]:
    """Where (the instance path) and what, in plain words, for one of jsonschema's errors."""
    keyword = str(error.validator)
    value: Any = error.validator_value
    chain = _resolve(root, list(error.absolute_schema_path)[:-1])
    schema: Schema = error.schema if isinstance(error.schema, Mapping) else {}
    path = list(error.absolute_path)
    title = split_text(schema.get("title"))
    own = _own(schema, keyword)
    if keyword in ("required", "dependentRequired"):
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        wanted = value if keyword == "required" else [n for names in value.values() for n in names]
        missing = next((n for n in wanted if n not in instance and repr(n) in error.message), None)
        if missing is None:
            return path, own or _both("入力してください", "This is required")
        path.append(missing)
        name = _property_title(chain, missing)
        properties = schema.get("properties")
        prop = properties.get(missing) if isinstance(properties, Mapping) else None
        own = _own(prop, "required") if isinstance(prop, Mapping) else None
        return path, own or (
            _both(f"{name[0]}を入力してください", f"Enter {name[1]}")
            if name[0]
            else _both("入力してください", "This is required")
        )
    if own:
        return path, own
    if keyword == "not":
        return _refused(error, [*chain, schema])
    if keyword in ("oneOf", "anyOf"):
        return _combinator(error, root, chain, schema, keyword, title)
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, Mapping):
        declared = schema.get("properties")
        known: Mapping[str, Any] = declared if isinstance(declared, Mapping) else {}
        extra = next((k for k in error.instance if k not in known and repr(k) in error.message), None)
        if extra is not None:
            return [*path, extra], _both("この項目は使えません", "This field is not allowed")
    if keyword == "enum":
        options = _choices(schema) or []
        return path, _about(
            title,
            "次から選んでください: " + "、".join(o[0] for o in options),
            "choose one of " + ", ".join(o[1] for o in options),
        )
    return path, _simple(keyword, value, title)


def _combinator(
    error: ValidationError, root: Schema, chain: Sequence[Schema], schema: Schema, keyword: str, title: Texts
) -> tuple[list[Any], str]:
    path = list(error.absolute_path)
    branches = schema.get(keyword) or []
    options = _choices(schema)
    if options is not None:
        return path, _about(
            title,
            "次から選んでください: " + "、".join(o[0] for o in options),
            "choose one of " + ", ".join(o[1] for o in options),
        )
    sets = _required_sets(branches)
    here = [*chain, schema]
    if sets is not None:
        if not error.context:  # oneOf: more than one way given
            instance = error.instance if isinstance(error.instance, Mapping) else {}
            given = [names for names in sets if all(n in instance for n in names)]
            return path, _fill_one(_union(here, given), only=True)
        # A way given in full but refused by a `not` (unassigning while keeping the assignee) says that.
        refused = [e for e in error.context if e.validator == "not"]
        if refused:
            return _refused(refused[0], here)
        return path, _fill_one(_union(here, sets))
    if not error.context:
        return path, _about(title, "どれか一つだけにしてください", "must match only one choice")
    best = best_match([error])  # descends into the branch closest to the value (its type first)
    return describe(best, root) if best is not error else (path, _simple(keyword, None, title))


def _refused(error: ValidationError, chain: Sequence[Schema]) -> tuple[list[Any], str]:
    """A ``not`` of required fields: those fields cannot be used together with the rest."""
    path = list(error.absolute_path)
    names = error.validator_value.get("required") if isinstance(error.validator_value, Mapping) else None
    if not names:
        return path, _simple("not", None, ("", ""))
    titles = _union(chain, [list(names)])
    if len(names) == 1:
        path.append(names[0])
    ja, en = "・".join(f"「{t[0]}」" for t in titles), ", ".join(t[1] for t in titles)
    return path, _both(f"{ja}はこの組み合わせでは使えません", f"{en} cannot be used with this choice")


def _simple(keyword: str, value: Any, title: Texts) -> str:
    if keyword == "minLength" and value == 1:
        return (
            _both(f"{title[0]}を入力してください", f"Enter {title[1]}")
            if title[0]
            else _both("入力してください", "This is required")
        )
    if keyword == "minProperties":
        return (
            _both(f"{title[0]}を入力してください", f"Enter {title[1]}")
            if title[0]
            else _both("入力してください", "This is required")
        )
    n = value
    texts: dict[str, Texts] = {
        "minLength": (f"{n}文字以上にしてください", f"at least {n} characters"),
        "maxLength": (f"{n}文字以内にしてください", f"at most {n} characters"),
        "minimum": (f"{n}以上にしてください", f"must be {n} or more"),
        "maximum": (f"{n}以下にしてください", f"must be {n} or less"),
        "exclusiveMinimum": (f"{n}より大きくしてください", f"must be more than {n}"),
        "exclusiveMaximum": (f"{n}より小さくしてください", f"must be less than {n}"),
        "multipleOf": (f"{n}の倍数にしてください", f"must be a multiple of {n}"),
        "minItems": (f"{n}件以上にしてください", f"add at least {n}"),
        "maxItems": (f"{n}件までにしてください", f"at most {n}"),
        "uniqueItems": ("同じものが重複しています", "has the same value twice"),
        "pattern": ("書き方が正しくありません", "is not in the expected form"),
        "additionalProperties": ("使えない項目があります", "has a field that is not allowed"),
        "not": ("この組み合わせは使えません", "this combination is not allowed"),
    }
    if keyword == "format":
        return _about(title, *_FORMATS.get(str(value), ("正しい形で入力してください", "enter a valid value")))
    if keyword == "type":
        kind = next((t for t in ([value] if isinstance(value, str) else value or []) if t != "null"), "")
        ja, en = _TYPES.get(kind, ("値が正しくありません", "has a value that is not allowed"))
        return _about(title, ja, en)
    ja, en = texts.get(keyword, ("値が正しくありません", "has a value that is not allowed"))
    return _about(title, ja, en)
