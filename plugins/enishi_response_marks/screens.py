"""What the console draws for response marks: the mark picker, the list and form of marks (settings), and the
plugin's console module.

The form's schema is the body both ``POST /marks`` and ``PATCH /marks/{id}`` accept (enishi_response_marks.schemas):
an order is a number (the create route would also take null, "after the last", which the form leaves out). The
module (``ui/src``, built into ``ui/dist/module.js`` by the console's build) contributes the settings page
``response_marks.marks`` — the order by ↑/↓, and moving friends and messages off a mark before deleting it — in
place of the generic page of the resource, and a friend panel that changes a friend's mark on the friend's page.
"""

from __future__ import annotations

from pathlib import Path

from enishi import Text
from enishi.types import Lookup, Resource, ResourceColumn, UiModule
from enishi_response_marks.models import LABEL_MAX
from enishi_response_marks.permissions import MANAGE
from enishi_response_marks.schemas import DEFAULT_COLOR

MARKS = Lookup(
    name="marks",
    label=Text("対応マーク", "Response marks"),
    path="/response_marks/marks",
    label_field="label",
    color_field="color",
    properties={"mark_id": "integer", "mark_ids": "integer", "to_mark_ids": "integer", "from_mark_ids": "integer"},
)

MARK_RESOURCE = Resource(
    name="marks",
    title=Text("対応マーク", "Response marks"),
    description=Text(
        "友だちやメッセージに付ける対応状況のマークです(未対応、対応中など)。",
        "Marks of how a friend or a message is being handled (to do, in progress …).",
    ),
    group="data",
    order=20,
    path="/response_marks/marks",
    item_path="/response_marks/marks/{id}",
    label_field="label",
    columns=(
        ResourceColumn(field="label", title=Text("名前", "Name")),
        ResourceColumn(field="color", title=Text("色", "Color"), format="color"),
        ResourceColumn(field="friend_count", title=Text("友だち数", "Friends"), format="number"),
        ResourceColumn(field="message_count", title=Text("メッセージ数", "Messages"), format="number"),
    ),
    schema={
        "type": "object",
        "properties": {
            "label": {
                "type": "string",
                "title": "名前 / Name",
                "minLength": 1,
                "maxLength": LABEL_MAX,
                "pattern": r"\S",
            },
            "color": {
                "type": "string",
                "title": "色 / Color",
                "pattern": "^#[0-9A-Fa-f]{6}$",
                "default": DEFAULT_COLOR,
            },
            "sort_order": {
                "type": "integer",
                "title": "並び順 / Order",
                "description": "空なら最後に並びます / none: after the last mark",
                "minimum": -1_000_000,
                "maximum": 1_000_000,
            },
        },
        "required": ["label"],
        "additionalProperties": False,
    },
    ui_schema={"ui:order": ["label", "color", "sort_order"], "color": {"ui:widget": "color"}},
    example={"label": "要フォロー", "color": "#e53935", "sort_order": 5},
    permission=MANAGE,
)

# Built by builder_ui/scripts/build-plugin-modules.js (part of the console's build) from ui/src/index.tsx.
UI_MODULE = UiModule(path=Path(__file__).parent / "ui" / "dist" / "module.js")

SCREENS = (MARKS, MARK_RESOURCE, UI_MODULE)
