"""What the console draws for friend fields: the field picker (by key), the list and form of the fields'
definitions (settings), and the plugin's console module (ui/src), whose settings page stands in for that
resource's generic page under its key: fields grouped by folder, and deleting a field or choices friends hold
only after asking again; its friend panel edits a friend's values as one form on the friend's page.

The form's schema is the body both ``POST /fields`` and ``PATCH /fields/{id}`` accept (enishi_friend_fields.schemas),
with the rules the routes check beyond types: choices only (and at least one) for choice types, accepted file types
only for files. The key cannot change once made; renaming choices inside friends' values is the edit route's own
(``rename_options``), which this form leaves out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from enishi import Text
from enishi.types import Lookup, Resource, ResourceColumn, UiModule
from enishi_friend_fields import kinds
from enishi_friend_fields.permissions import MANAGE

FIELDS = Lookup(
    name="fields",
    label=Text("友だち情報欄", "Friend fields"),
    path="/friend_fields/fields",
    value_field="key",
    label_field="label",
    hint_field="key",
    properties={"key": "string", "keys": "string"},
)

NO_CONTROL = r"^(?=.*\S)[^\x00-\x1f\x7f]*$"  # some visible character, no control characters
CHOICE_TYPES = sorted(kinds.CHOICE_TYPES)

FIELD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "key": {
            "type": "string",
            "title": "キー / Key",
            "description": "英小文字・数字・_(英字で始める)。作成後は変更できません / a-z, 0-9, _; cannot change later",
            "pattern": kinds.KEY_PATTERN,
        },
        "label": {
            "type": "string",
            "title": "名前 / Name",
            "minLength": 1,
            "maxLength": 100,
            "pattern": r"^(?=[\s\S]*\S)[^\x00]*$",
        },
        "label_en": {
            "type": "string",
            "title": "英語名 / English name",
            "maxLength": 100,
            "pattern": r"^[^\x00]*$",
            "default": "",
        },
        "type": {
            "type": "string",
            "title": "種類 / Type",
            "oneOf": [{"const": t, "title": f"{ja} / {en}"} for t, (ja, en) in kinds.TYPE_LABELS.items()],
        },
        "options": {
            "type": "array",
            "title": "選択肢 / Choices",
            "items": {"type": "string", "minLength": 1, "maxLength": kinds.OPTION_MAX, "pattern": NO_CONTROL},
            "maxItems": kinds.OPTIONS_MAX,
            "default": [],
        },
        "accept": {
            "type": "array",
            "title": "受け付けるファイルの種類 / Accepted file types",
            "description": "例 / e.g. image/*, application/pdf",
            "items": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9.+-]*/(\*|[a-z0-9][a-z0-9.+-]*)$"},
            "maxItems": 20,
            "default": [],
        },
        "required": {"type": "boolean", "title": "必須 / Required", "default": False},
        "sort_order": {
            "type": "integer",
            "title": "並び順 / Order",
            "minimum": -1_000_000,
            "maximum": 1_000_000,
            "default": 0,
        },
        "group": {
            "type": ["string", "null"],
            "title": "グループ / Group",
            "minLength": 1,
            "maxLength": 50,
            "pattern": NO_CONTROL,
            "default": None,
        },
        "description": {
            "type": "string",
            "title": "説明 / Description",
            "maxLength": 500,
            "pattern": r"^[^\x00]*$",
            "default": "",
        },
    },
    "required": ["key", "label", "type"],
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"type": {"enum": CHOICE_TYPES}}, "required": ["type"]},
            "then": {"properties": {"options": {"minItems": 1}}, "required": ["options"]},
            "else": {"properties": {"options": {"maxItems": 0}}},
        },
        {
            "if": {"properties": {"type": {"not": {"const": kinds.FILE}}}, "required": ["type"]},
            "then": {"properties": {"accept": {"maxItems": 0}}},
        },
    ],
}

FIELD_RESOURCE = Resource(
    name="fields",
    title=Text("友だち情報欄", "Friend fields"),
    description=Text(
        "友だちごとに記録する項目(誕生日、会員番号など)です。",
        "What you record about each friend (birthday, member number …).",
    ),
    group="data",
    order=30,
    path="/friend_fields/fields",
    item_path="/friend_fields/fields/{id}",
    label_field="label",
    columns=(
        ResourceColumn(field="label", title=Text("名前", "Name")),
        ResourceColumn(field="key", title=Text("キー", "Key")),
        ResourceColumn(field="group", title=Text("グループ", "Group")),
        ResourceColumn(field="required", title=Text("必須", "Required"), format="boolean"),
        ResourceColumn(field="value_count", title=Text("入力済みの友だち", "Friends with a value"), format="number"),
    ),
    schema=FIELD_SCHEMA,
    ui_schema={
        "ui:order": ["label", "label_en", "key", "type", "options", "accept", "required", "group", "sort_order", "*"],
        # A new key is typed: without this, the console would offer the existing fields' keys (the lookup claims
        # the property name "key" for node forms).
        "key": {"ui:widget": "text"},
        "description": {"ui:widget": "textarea"},
    },
    example={
        "key": "favorite_menu",
        "label": "好きなメニュー",
        "label_en": "Favorite menu",
        "type": "file",
        "options": [],
        "accept": ["image/*"],
        "required": False,
        "sort_order": 3,
        "group": "来店情報",
        "description": "写真で記録します",
    },
    permission=MANAGE,
)

# Built from ui/src by the console's build (builder_ui/scripts/build-plugin-modules.js); not committed.
UI_MODULE = UiModule(path=Path(__file__).parent / "ui" / "dist" / "module.js")

SCREENS = (FIELDS, FIELD_RESOURCE, UI_MODULE)
