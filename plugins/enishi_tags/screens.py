"""What the console draws for tags: the pickers of tags and folders, the lists and forms of both (settings), and
the plugin's console module.

The forms' schemas are the bodies ``POST /tags`` and ``PATCH /tags/{id}`` (and the folders' routes) accept
(enishi_tags.schemas): the console validates with them before the routes do. The module (``ui/src``, built into
``ui/dist/module.js`` by the console's build) contributes the settings page ``tags.tags`` — folders, pinning a tag
as a friend-list column, a warning when running scenarios use a tag — in place of the generic page of the
resource; the folders keep the generic page. Its friend panel shows a friend's tags on the friend's page, to add and
take off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from enishi import Text
from enishi.types import Lookup, Resource, ResourceColumn, UiModule
from enishi_tags.models import DEFAULT_COLOR
from enishi_tags.permissions import MANAGE

TAGS = Lookup(
    name="tags",
    label=Text("タグ", "Tags"),
    path="/tags",
    color_field="color",
    properties={"tag_id": "integer", "tag_ids": "integer"},
)
FOLDERS = Lookup(name="folders", label=Text("タグフォルダ", "Tag folders"), path="/tags/folders")

NAME: dict[str, Any] = {"type": "string", "title": "名前 / Name", "minLength": 1, "maxLength": 100, "pattern": r"\S"}
SORT_ORDER: dict[str, Any] = {
    "type": "integer",
    "title": "並び順 / Order",
    "description": "小さいほど先に並びます / smaller comes first",
    "minimum": -1_000_000,
    "maximum": 1_000_000,
    "default": 0,
}

TAG_RESOURCE = Resource(
    name="tags",
    title=Text("タグ", "Tags"),
    description=Text("友だちを分類するタグです。", "Tags that sort friends into groups."),
    group="data",
    order=10,
    path="/tags",
    item_path="/tags/{id}",
    columns=(
        ResourceColumn(field="name", title=Text("名前", "Name")),
        ResourceColumn(field="color", title=Text("色", "Color"), format="color"),
        ResourceColumn(field="folder_id", title=Text("フォルダ", "Folder"), format="lookup", lookup="tags.folders"),
        ResourceColumn(field="friend_count", title=Text("友だち数", "Friends"), format="number"),
        ResourceColumn(field="pinned", title=Text("一覧に表示", "Shown in the list"), format="boolean"),
    ),
    schema={
        "type": "object",
        "properties": {
            "name": NAME,
            "color": {
                "type": "string",
                "title": "色 / Color",
                "pattern": "^#[0-9A-Fa-f]{6}$",
                "default": DEFAULT_COLOR,
            },
            "folder_id": {
                "type": ["integer", "null"],
                "title": "フォルダ / Folder",
                "description": "空なら未分類 / none: unfiled",
                "minimum": 1,
                "maximum": 2**63 - 1,
                "default": None,
            },
            "description": {"type": "string", "title": "説明 / Description", "maxLength": 1000, "default": ""},
            "sort_order": SORT_ORDER,
            "pinned": {
                "type": "boolean",
                "title": "友だち一覧の列に表示 / Show as a column of the friend list",
                "default": False,
            },
        },
        "required": ["name"],
        "additionalProperties": False,
    },
    ui_schema={
        "ui:order": ["name", "color", "folder_id", "description", "sort_order", "pinned"],
        "color": {"ui:widget": "color"},
        "folder_id": {"ui:options": {"lookup": "tags.folders"}},
        "description": {"ui:widget": "textarea"},
    },
    example={
        "name": "VIP",
        "color": "#ff8800",
        "folder_id": None,
        "description": "よく来てくださるお客さま",
        "sort_order": 1,
        "pinned": True,
    },
    permission=MANAGE,
)

FOLDER_RESOURCE = Resource(
    name="folders",
    title=Text("タグフォルダ", "Tag folders"),
    description=Text("タグをまとめるフォルダです。", "Folders that group tags."),
    group="data",
    order=11,
    path="/tags/folders",
    item_path="/tags/folders/{id}",
    columns=(
        ResourceColumn(field="name", title=Text("名前", "Name")),
        ResourceColumn(field="tag_count", title=Text("タグ数", "Tags"), format="number"),
    ),
    schema={
        "type": "object",
        "properties": {"name": NAME, "sort_order": SORT_ORDER},
        "required": ["name"],
        "additionalProperties": False,
    },
    example={"name": "来店状況", "sort_order": 2},
    permission=MANAGE,
)

# Built by builder_ui/scripts/build-plugin-modules.js (part of the console's build) from ui/src/index.tsx.
UI_MODULE = UiModule(path=Path(__file__).parent / "ui" / "dist" / "module.js")

SCREENS = (TAGS, FOLDERS, TAG_RESOURCE, FOLDER_RESOURCE, UI_MODULE)
