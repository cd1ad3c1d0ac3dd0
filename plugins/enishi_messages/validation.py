"""Checking messages as written: LINE's rules, variables, and the actions behind buttons.

Messages are checked with their variables in place (a placeholder is plain text, so a text that is too long
before expansion is refused too), by ``enishi.check_messages``: LINE's published spec plus its limits and
nested types as the Messaging API applies them (label lengths, button counts, action and flex component types,
HTTPS URLs …). Paths name the field, e.g.
``$.messages[0].template.actions[1].label``.

A postback action may carry, besides LINE's own fields:

- ``enishi_actions``: up to 5 actions of any enabled plugin (``{"type": "tags.add_tag", "type_version": 1,
  "config": {…}}``), run when the friend taps the button;
- ``reply``: 1 to 5 messages sent back on the tap (checked the same way, buttons in them included);
- ``enishi_once``: run the actions and the reply on the friend's first tap only.

Enishi sets the ``data`` of such a button itself (``enishi:pb:<token>``); ``displayText`` is kept.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

from enishi import SchemaProblem, WorkspaceContext, check_messages, check_node_config, validate
from enishi_messages import variables

MAX_MESSAGES = 5
MAX_ACTIONS = 5
MAX_REPLY_DEPTH = 3  # a reply may hold buttons with replies, this many levels down
MAX_NESTING = 48  # levels of objects and lists; LINE's deepest flex messages stay well below
POSTBACK_PREFIX = "enishi:pb:"
SAMPLE_DATA = POSTBACK_PREFIX + "x" * 22  # as long as a real token, for checking what LINE will get
ENISHI_KEYS = ("enishi_actions", "reply", "enishi_once")
ACTION_KEYS = ("action", "defaultAction")

# A button may do nothing more than be tapped (its tap shows in the talk): no actions is as valid as five.
ENISHI_ACTION_SCHEMA: Mapping[str, Any] = {
    "type": "array",
    "minItems": 0,
    "maxItems": MAX_ACTIONS,
    "items": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "minLength": 3, "maxLength": 130},
            "type_version": {"type": "integer", "minimum": 1},
            "config": {"type": "object"},
        },
        "required": ["type", "type_version", "config"],
        "additionalProperties": False,
    },
}
REPLY_SCHEMA: Mapping[str, Any] = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_MESSAGES,
    "items": {"type": "object"},
}


def nesting(node: Any) -> int:
    """How deep objects and lists nest, without recursion (input is untrusted)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_NESTING:
                stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


def action_nodes(node: Any, path: str, in_action: bool = False) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(path, object, whether it sits where LINE expects an action) for every object, in a stable order.

    Keys are visited sorted, so the order does not depend on how a database returned the JSON; ``reply`` and
    ``enishi_actions`` are not entered (they are handled on their own).
    """
    if isinstance(node, list):
        for i, value in enumerate(node):
            yield from action_nodes(value, f"{path}[{i}]", in_action)
    elif isinstance(node, dict):
        yield path, node, in_action
        for key in sorted(node):
            if key in ENISHI_KEYS:
                continue
            yield from action_nodes(node[key], f"{path}.{key}", key in ACTION_KEYS or key == "actions")


def has_enishi_part(action: Mapping[str, Any]) -> bool:
    return "enishi_actions" in action or "reply" in action


def buttons(messages: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    """The postback actions that run actions or reply on a tap, in a stable order (their position in the send)."""
    return [
        (p, node)
        for p, node, in_action in action_nodes(messages, path)
        if in_action and node.get("type") == "postback" and has_enishi_part(node)
    ]


def tap_actions(messages: Any, path: str = "$.messages") -> list[tuple[str, dict[str, Any]]]:
    """Every action behind a button (``enishi_actions``), those of the buttons in tap replies included, each with
    its path: what these messages put to work when friends tap, so whoever configures them needs its permission.
    Messages nested too deeply to be valid have none (they are refused before anything is stored or sent)."""
    if nesting(messages) > MAX_NESTING:
        return []
    found: list[tuple[str, dict[str, Any]]] = []
    pending = [(messages, path)]
    while pending:
        current, at = pending.pop(0)
        for button_path, button in buttons(current, at):
            actions = button.get("enishi_actions")
            if isinstance(actions, list):
                found += [
                    (f"{button_path}.enishi_actions[{i}]", action)
                    for i, action in enumerate(actions)
                    if isinstance(action, dict)
                ]
            if "reply" in button:
                pending.append((button["reply"], f"{button_path}.reply"))
    return found


def as_line_sees_it(messages: Any) -> Any:
    """A copy to check against LINE's rules: buttons as they will be sent and URLs with sample values."""
    copied = copy.deepcopy(messages)
    for _, node, in_action in action_nodes(copied, "$"):
        if in_action and node.get("type") == "postback" and has_enishi_part(node):
            node.setdefault("data", SAMPLE_DATA)
        for key in ENISHI_KEYS if in_action else ("enishi_actions", "enishi_once"):  # refused on their own
            node.pop(key, None)
        for key, value in list(node.items()):
            if isinstance(value, str) and variables.is_url_key(key) and "{{" in value:
                node[key] = variables.sample_url(value)
    return copied


_LENGTH = re.compile(r"^Length must be between (\d+) and (\d+)$")
_SIZE = re.compile(r"^Size must be between (\d+) and (\d+)$")
_SAID: Mapping[str, str] = {
    "must be specified": "入力してください / This is required",
    "must be a valid uri": "「https://」で始まるURLを入力してください / Enter a URL starting with https://",
}


def _plainly(problem: SchemaProblem) -> SchemaProblem:
    """LINE's wording of a problem ("Length must be between 1 and 5000") as the forms say it."""
    if problem.message in _SAID:
        return SchemaProblem(problem.path, _SAID[problem.message])
    if m := _LENGTH.match(problem.message):
        low, high = m.groups()
        if low == "1":
            return SchemaProblem(problem.path, f"1〜{high}文字で入力してください / Enter 1 to {high} characters")
        return SchemaProblem(problem.path, f"{low}〜{high}文字にしてください / Use {low} to {high} characters")
    if m := _SIZE.match(problem.message):
        low, high = m.groups()
        return SchemaProblem(problem.path, f"{low}〜{high}件にしてください / Use {low} to {high} items")
    return problem


NO_LABEL = "ボタンの文字を入力してください / Enter the button's text"


def _button_labels(messages: Any, prefix: str) -> list[SchemaProblem]:
    """A template message's button needs its text (LINE requires a label there; a tap action it does not)."""
    found: list[SchemaProblem] = []
    for i, message in enumerate(messages if isinstance(messages, list) else []):
        template = message.get("template") if isinstance(message, dict) else None
        if not isinstance(template, dict):
            continue
        at = f"{prefix}[{i}].template"
        groups = [(f"{at}.actions", template.get("actions"))]
        columns = template.get("columns")
        for c, column in enumerate(columns if isinstance(columns, list) else []):
            if isinstance(column, dict):
                groups.append((f"{at}.columns[{c}].actions", column.get("actions")))
        for path, actions in groups:
            for n, action in enumerate(actions if isinstance(actions, list) else []):
                label = action.get("label") if isinstance(action, dict) else None
                if isinstance(action, dict) and not (isinstance(label, str) and label.strip()):
                    found.append(
                        SchemaProblem(f"{path}[{n}].label", "ボタンの文字を入力してください / Enter the button's text")
                    )
    return found


def line_problems(messages: Any, prefix: str) -> list[SchemaProblem]:
    """LINE's verdict on a list of messages (as they would be sent), with paths under ``prefix``, in plain words;
    a button without its text first (LINE names that only when sending)."""
    return _button_labels(messages, prefix) + [_plainly(p) for p in check_messages(messages, prefix)]


def _natural(path: str) -> list[tuple[int, Any]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", path)]


async def message_problems(
    ctx: WorkspaceContext,
    messages: Any,
    prefix: str = "$.messages",
    *,
    depth: int = 0,
    catalog: variables.Catalog | None = None,
) -> list[SchemaProblem]:
    """Everything wrong with messages as written, each with the path of its field; [] when they can be sent."""
    if not isinstance(messages, list):
        return [SchemaProblem(prefix, "メッセージの配列が必要です / must be an array of messages")]
    if not 1 <= len(messages) <= MAX_MESSAGES:
        return [
            SchemaProblem(
                prefix, f"メッセージは1〜{MAX_MESSAGES}件です / 1 to {MAX_MESSAGES} messages ({len(messages)} given)"
            )
        ]
    if nesting(messages) > MAX_NESTING:
        return [SchemaProblem(prefix, "入れ子が深すぎます / nested too deeply")]
    catalog = catalog or variables.Catalog(ctx)
    problems = line_problems(as_line_sees_it(messages), prefix)
    problems += await variables.problems(ctx, messages, prefix, catalog)
    for path, node, in_action in action_nodes(messages, prefix):
        problems += await _enishi_part_problems(ctx, path, node, in_action, depth, catalog)
    return sorted(_first_per_path(problems), key=lambda p: _natural(p.path))


async def _enishi_part_problems(
    ctx: WorkspaceContext,
    path: str,
    node: dict[str, Any],
    in_action: bool,
    depth: int,
    catalog: variables.Catalog,
) -> list[SchemaProblem]:
    present = [key for key in ENISHI_KEYS if key in node]
    if not present:
        if in_action and node.get("type") == "postback" and str(node.get("data", "")).startswith(POSTBACK_PREFIX):
            return [SchemaProblem(f"{path}.data", f"「{POSTBACK_PREFIX}」で始まるデータは使えません / reserved prefix")]
        return []
    if not (in_action and node.get("type") == "postback"):
        return [
            SchemaProblem(
                f"{path}.{key}",
                "タップ時のアクションと返信はポストバックアクションにだけ付けられます / "
                "only a postback action can run actions or reply when tapped",
            )
            for key in present
            if key != "reply" or in_action
        ]
    problems: list[SchemaProblem] = []
    if not has_enishi_part(node):
        problems.append(
            SchemaProblem(f"{path}.enishi_once", "アクションか返信と一緒に使います / needs enishi_actions or reply")
        )
    if "data" in node:
        problems.append(
            SchemaProblem(
                f"{path}.data",
                "アクションや返信のあるボタンのデータはEnishiが設定します / "
                "Enishi sets the data of a button that runs actions or replies: leave it out",
            )
        )
    if "enishi_once" in node and not isinstance(node["enishi_once"], bool):
        problems.append(SchemaProblem(f"{path}.enishi_once", "true か false / must be a boolean"))
    if "enishi_actions" in node:
        problems += await action_problems(ctx, node["enishi_actions"], f"{path}.enishi_actions")
    if "reply" in node:
        at = f"{path}.reply"
        reply_problems = validate(dict(REPLY_SCHEMA), node["reply"], at)
        if not reply_problems and depth >= MAX_REPLY_DEPTH:
            reply_problems = [
                SchemaProblem(at, f"返信の入れ子は{MAX_REPLY_DEPTH}段までです / replies nest {MAX_REPLY_DEPTH} deep")
            ]
        if not reply_problems:
            reply_problems = await message_problems(ctx, node["reply"], at, depth=depth + 1, catalog=catalog)
        problems += reply_problems
    return problems


async def action_problems(ctx: WorkspaceContext, actions: Any, path: str) -> list[SchemaProblem]:
    """Each action must exist, belong to a plugin enabled here and have a valid config."""
    problems = validate(dict(ENISHI_ACTION_SCHEMA), actions, path)
    if problems:
        return problems
    for i, action in enumerate(actions):
        at = f"{path}[{i}]"
        key, version = action["type"], action["type_version"]
        try:
            ctx.host.registry.usable("actions", key, version, ctx.enabled_plugins)
        except LookupError as exc:  # unknown type or version, or its plugin is off in this workspace
            field = "type_version" if "version" in str(exc) else "type"
            problems.append(SchemaProblem(f"{at}.{field}", f"このアクションは使えません / {exc}"))
            continue
        problems += await check_node_config(ctx, "actions", key, version, action["config"], f"{at}.config")
    return problems


def _first_per_path(problems: list[SchemaProblem]) -> list[SchemaProblem]:
    seen: dict[tuple[str, str], SchemaProblem] = {}
    for problem in problems:
        seen.setdefault((problem.path, problem.message), problem)
    return list(seen.values())
