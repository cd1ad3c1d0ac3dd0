"""What an audit log action means, in words: "タグ: 作成" for ``tags.create_tag``.

An action is named after the route that made the change (``<plugin>.<handler>``, or the route's own
``opt["audit"]``). Its label says where (the plugin's title, or the core's area from the route's path) and what
(the handler's verb, else the HTTP method's). A route may say it better itself with ``opt["audit_label"]`` (a
``Text``). Actions the log holds but no route makes any more (a plugin removed) still get words: the area and
"操作".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from enishi.audit import UNSAFE_METHODS, action_name_of
from enishi.text import Text

VERBS: Mapping[str, Text] = {
    "create": Text("作成", "create"),
    "add": Text("追加", "add"),
    "new": Text("作成", "create"),
    "update": Text("変更", "change"),
    "edit": Text("変更", "change"),
    "patch": Text("変更", "change"),
    "change": Text("変更", "change"),
    "save": Text("保存", "save"),
    "set": Text("設定", "set"),
    "put": Text("設定", "set"),
    "rename": Text("名前の変更", "rename"),
    "delete": Text("削除", "delete"),
    "remove": Text("削除", "remove"),
    "clear": Text("解除", "clear"),
    "publish": Text("公開", "publish"),
    "unpublish": Text("公開停止", "unpublish"),
    "send": Text("送信", "send"),
    "reply": Text("返信", "reply"),
    "test": Text("テスト送信", "test send"),
    "schedule": Text("予約", "schedule"),
    "cancel": Text("取り消し", "cancel"),
    "pause": Text("一時停止", "pause"),
    "resume": Text("再開", "resume"),
    "stop": Text("停止", "stop"),
    "start": Text("開始", "start"),
    "restart": Text("やり直し", "restart"),
    "run": Text("実行", "run"),
    "apply": Text("実行", "apply"),
    "preview": Text("プレビュー", "preview"),
    "dry": Text("テスト実行", "dry run"),
    "copy": Text("コピー", "copy"),
    "duplicate": Text("コピー", "copy"),
    "move": Text("移動", "move"),
    "reorder": Text("並べ替え", "reorder"),
    "order": Text("並べ替え", "reorder"),
    "restore": Text("復元", "restore"),
    "import": Text("取り込み", "import"),
    "export": Text("書き出し", "export"),
    "upload": Text("アップロード", "upload"),
    "invite": Text("招待", "invite"),
    "revoke": Text("取り消し", "revoke"),
    "accept": Text("承諾", "accept"),
    "login": Text("ログイン", "sign in"),
    "logout": Text("ログアウト", "sign out"),
    "reset": Text("リセット", "reset"),
    "release": Text("解除", "release"),
    "refresh": Text("更新", "refresh"),
    "assign": Text("割り当て", "assign"),
    "unassign": Text("割り当て解除", "unassign"),
    "mark": Text("設定", "mark"),
    "read": Text("既読", "mark read"),
    "issue": Text("発行", "issue"),
    "grant": Text("付与", "grant"),
    "toggle": Text("切り替え", "toggle"),
    "connect": Text("連携", "connect"),
    "disconnect": Text("連携解除", "disconnect"),
    "verify": Text("確認", "verify"),
    "enable": Text("有効化", "enable"),
    "disable": Text("無効化", "disable"),
}
VERBS = {
    **VERBS,
    "estimate": Text("人数の見積もり", "estimate"),
    "validate": Text("検査", "check"),
    "bulk": Text("一括操作", "bulk action"),
    "accepted": Text("承諾", "accept"),
    "declined": Text("辞退", "decline"),
    "changed": Text("変更", "change"),
    "enabled": Text("有効化", "enable"),
    "disabled": Text("無効化", "disable"),
    "started": Text("開始", "start"),
    "activated": Text("有効化", "activate"),
    "deactivated": Text("無効化", "deactivate"),
}
# What a handler's name says it acts on ("create_tab" → タブ), said before the verb: "タブの作成".
NOUNS: Mapping[str, Text] = {
    "tab": Text("タブ", "tab"),
    "tabs": Text("タブ", "tabs"),
    "folder": Text("フォルダ", "folder"),
    "tag": Text("タグ", "tag"),
    "friend": Text("友だち", "friend"),
    "template": Text("定型文", "template"),
    "pool": Text("担当グループ", "pool"),
    "mark": Text("マーク", "mark"),
    "marks": Text("マーク", "marks"),
    "note": Text("メモ", "note"),
    "route": Text("流入経路", "route"),
    "field": Text("項目", "field"),
    "fields": Text("項目", "fields"),
    "values": Text("値", "values"),
    "value": Text("値", "value"),
    "card": Text("会員証", "card"),
    "points": Text("ポイント", "points"),
    "design": Text("デザイン", "design"),
    "staff": Text("スタッフ", "staff"),
    "invitation": Text("招待", "invitation"),
    "token": Text("APIトークン", "API token"),
    "workspace": Text("ワークスペース", "workspace"),
    "broadcast": Text("配信", "broadcast"),
    "draft": Text("下書き", "draft"),
    "media": Text("メディア", "media"),
    "subscribers": Text("登録者", "subscribers"),
    "scenario": Text("シナリオ", "scenario"),
    "role": Text("役割", "role"),
    "grant": Text("権限", "permission"),
    "quota": Text("配信上限", "quota"),
    "hold": Text("送信停止", "hold"),
    "plugin": Text("機能", "plugin"),
    "rule": Text("ルール", "rule"),
    "message": Text("メッセージ", "message"),
    "funnel": Text("ファネル", "funnel"),
    "file": Text("ファイル", "file"),
    "operation": Text("一括操作", "bulk operation"),
    "factor": Text("二段階認証", "two-factor sign-in"),
    "password": Text("パスワード", "password"),
}
# Two words that mean one thing.
PHRASES: Mapping[str, Text] = {
    "mark_read": Text("既読にする", "mark read"),
    "dry_run": Text("テスト実行", "dry run"),
    "bulk_set": Text("一括設定", "set in bulk"),
}
# Nouns a change is made to, not of: "友だちへの追加" (a tag added to a friend), "友だちからの削除".
RECIPIENTS = frozenset({"friend", "message"})
TOWARDS = frozenset({"add", "set", "assign", "mark"})
AWAY = frozenset({"remove", "clear", "delete", "unassign"})
METHOD_VERBS: Mapping[str, Text] = {
    "POST": Text("操作", "action"),
    "PUT": Text("変更", "change"),
    "PATCH": Text("変更", "change"),
    "DELETE": Text("削除", "delete"),
}
ANY_VERB = Text("操作", "action")

# The core's areas, by the first part of the path below the workspace (or below /api for the rest).
CORE_AREAS: Mapping[str, Text] = {
    "": Text("ワークスペース設定", "Workspace settings"),
    "line": Text("LINE連携", "LINE connection"),
    "staff": Text("スタッフ", "Staff"),
    "plugins": Text("機能", "Plugins"),
    "permissions": Text("役割と権限", "Roles"),
    "friends": Text("友だち", "Friends"),
    "inbox": Text("チャット", "Chat"),
    "scenarios": Text("シナリオ", "Scenarios"),
    "broadcasts": Text("一斉配信", "Broadcasts"),
    "bulk-operations": Text("一括操作", "Bulk operations"),
    "reports": Text("レポート", "Reports"),
    "media": Text("メディア", "Media"),
    "audit": Text("操作履歴", "Audit log"),
    "auth": Text("ログイン", "Sign-in"),
    "account": Text("アカウント", "Account"),
    "platform": Text("プラットフォーム管理", "Platform"),
    "plan": Text("プラン", "Plan"),
    "agency": Text("代理店", "Agency"),
}
OTHER_AREA = Text("その他", "Other")

_WORKSPACE_PATH = re.compile(r"^/api/workspaces/\{[^}]+\}/?")


@dataclass(frozen=True, slots=True)
class ActionLabel:
    action: str
    label: Text


def area_of(path: str, plugin: str | None, plugin_titles: Mapping[str, Text]) -> Text:
    if plugin:
        return plugin_titles.get(plugin) or OTHER_AREA
    below = _WORKSPACE_PATH.sub("", path) if _WORKSPACE_PATH.match(path) else path.removeprefix("/api/")
    first = below.strip("/").split("/")[0] if below.strip("/") else ""
    return CORE_AREAS.get(first, OTHER_AREA)


def _verb_word(words: list[str]) -> str | None:
    return next((w for w in words if w in VERBS), None)


def verb_of(handler_name: str, method: str) -> Text:
    """What was done: a phrase of the handler's name ("mark_read"), else its first verb ("create_tag" → 作成),
    else the method's."""
    name = handler_name.lower()
    for phrase, text in PHRASES.items():
        if phrase in name:
            return text
    word = _verb_word(name.split("_"))
    return VERBS[word] if word else METHOD_VERBS.get(method, ANY_VERB)


def noun_of(handler_name: str, area: Text) -> Text | None:
    """What it was done to ("タブの", "友だちへの"), when the name says and the area does not say it already."""
    name = handler_name.lower()
    if any(phrase in name for phrase in PHRASES):
        return None
    words = name.split("_")
    verb = _verb_word(words)
    for word in words:
        noun = NOUNS.get(word)
        if noun is None or noun.ja in area.ja:
            continue
        if word in RECIPIENTS and verb in TOWARDS:
            return Text(f"{noun.ja}への", f"to the {noun.en}")
        if word in RECIPIENTS and verb in AWAY:
            return Text(f"{noun.ja}からの", f"from the {noun.en}")
        return Text(f"{noun.ja}の", f"the {noun.en}")
    return None


def joined(area: Text, verb: Text, noun: Text | None = None) -> Text:
    if noun is None:
        return Text(f"{area.ja}: {verb.ja}", f"{area.en}: {verb.en}")
    return Text(f"{area.ja}: {noun.ja}{verb.ja}", f"{area.en}: {verb.en} {noun.en}")


def route_labels(app: Any, plugin_titles: Mapping[str, Text]) -> dict[str, Text]:
    """Every audited action the app's routes make, with its words."""
    out: dict[str, Text] = {}
    for route in app.routes:
        if not _WORKSPACE_PATH.match(route.path):
            continue  # sign-in and platform routes: not in a workspace's log
        for handler in getattr(route, "route_handlers", ()):
            methods = set(getattr(handler, "http_methods", ()) or ()) & UNSAFE_METHODS
            opt = getattr(handler, "opt", {}) or {}
            if not methods or opt.get("audit") is False:
                continue
            action = action_name_of(handler)
            if action in out:
                continue
            explicit = opt.get("audit_label")
            if isinstance(explicit, Text):
                out[action] = explicit
                continue
            name = getattr(getattr(handler, "fn", None), "__name__", "") or ""
            area = area_of(route.path, opt.get("plugin"), plugin_titles)
            out[action] = joined(area, verb_of(name, sorted(methods)[0]), noun_of(name, area))
    return out


def labelled(actions: Iterable[str], known: Mapping[str, Text], plugin_titles: Mapping[str, Text]) -> list[ActionLabel]:
    """``actions`` with their words, in the order of the words; one no route makes any more gets its area's."""
    out = []
    for action in actions:
        label = known.get(action)
        if label is None:
            prefix, _, name = action.partition(".")
            area = plugin_titles.get(prefix) or (CORE_AREAS[""] if prefix == "core" else OTHER_AREA)
            label = joined(area, verb_of(name, ""), noun_of(name, area))
        out.append(ActionLabel(action, label))
    return sorted(out, key=lambda a: (a.label.ja, a.action))
