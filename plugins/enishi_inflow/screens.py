"""What the console draws for inflow routes: the route picker, the list and form of routes (settings), and the
plugin's console module (ui/src), whose settings page stands in for that resource's generic page under its key:
each route's URL to copy and QR codes to download, and actions on entry configured by their node forms.

The form's schema is the body both ``POST /routes`` and ``PATCH /routes/{id}`` accept (enishi_inflow.routes):
the actions run whenever someone comes in through the route, each an action node's type and config, which the
routes check against the action's own schema and the saver's permissions.
"""

from __future__ import annotations

from pathlib import Path

from enishi import Text
from enishi.types import Lookup, Resource, ResourceColumn, UiModule
from enishi_inflow.models import FOLDER_MAX, NAME_MAX
from enishi_inflow.routes import MANAGE
from enishi_inflow.service import MAX_ACTIONS

ROUTES = Lookup(
    name="routes",
    label=Text("流入経路", "Inflow routes"),
    path="/inflow/routes",
    hint_field="folder",
    properties={"route_id": "integer", "route_ids": "integer"},
)

ROUTE_RESOURCE = Resource(
    name="routes",
    title=Text("流入経路", "Inflow routes"),
    description=Text(
        "友だちがどこから来たかを記録するURLとQRコードです。",
        "Links and QR codes that record where friends come from.",
    ),
    group="data",
    order=50,
    path="/inflow/routes",
    item_path="/inflow/routes/{id}",
    columns=(
        ResourceColumn(field="name", title=Text("名前", "Name")),
        ResourceColumn(field="folder", title=Text("フォルダ", "Folder")),
        ResourceColumn(field="url", title=Text("URL", "URL")),
        ResourceColumn(field="visits", title=Text("訪問数", "Visits"), format="number"),
        ResourceColumn(field="new_friends", title=Text("友だち追加", "New friends"), format="number"),
        ResourceColumn(field="enabled", title=Text("有効", "On"), format="boolean"),
    ),
    schema={
        "type": "object",
        "properties": {
            "name": {"type": "string", "title": "名前 / Name", "minLength": 1, "maxLength": NAME_MAX, "pattern": r"\S"},
            "folder": {"type": "string", "title": "フォルダ / Folder", "maxLength": FOLDER_MAX, "default": ""},
            "mode": {
                "type": "string",
                "title": "アクションを実行するとき / When the actions run",
                "oneOf": [
                    {"const": "every", "title": "訪問のたびに / On every visit"},
                    {"const": "first_time", "title": "初回の訪問だけ / On the first visit only"},
                ],
                "default": "every",
            },
            "actions": {
                "type": "array",
                "title": "アクション / Actions",
                "maxItems": MAX_ACTIONS,
                "items": {
                    "type": "object",
                    "title": "アクション / Action",
                    "properties": {
                        "type": {"type": "string", "title": "種類 / Type", "minLength": 1, "maxLength": 100},
                        "config": {"type": "object", "title": "設定 / Settings", "default": {}},
                        "type_version": {"type": ["integer", "null"], "title": "版 / Version", "minimum": 1},
                    },
                    "required": ["type"],
                    "additionalProperties": False,
                },
                "default": [],
            },
            "enabled": {"type": "boolean", "title": "有効 / On", "default": True},
        },
        "required": ["name"],
        "additionalProperties": False,
    },
    ui_schema={"ui:order": ["name", "folder", "enabled", "mode", "actions"], "mode": {"ui:widget": "radio"}},
    example={"name": "店頭ポスター", "folder": "店舗", "mode": "first_time", "actions": [], "enabled": True},
    permission=MANAGE,
)

# Built from ui/src by the console's build (builder_ui/scripts/build-plugin-modules.js); not committed.
UI_MODULE = UiModule(path=Path(__file__).parent / "ui" / "dist" / "module.js")

SCREENS = (ROUTES, ROUTE_RESOURCE, UI_MODULE)
