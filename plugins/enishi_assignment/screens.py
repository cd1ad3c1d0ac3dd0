"""What the console draws for assignment: the pickers of staff and pools, the list and form of round-robin
pools (settings), and the plugin's console module (``ui/src``, built into ``ui/dist/module.js`` by the console's
build), whose friend panel shows and changes a friend's assignee on the friend's page.

The form's schema is the body both ``POST /pools`` and ``PATCH /pools/{id}`` accept (enishi_assignment.schemas);
that each member is staff of the workspace and listed once, the routes check.
"""

from __future__ import annotations

from pathlib import Path

from enishi import Text
from enishi.types import Lookup, Resource, ResourceColumn, UiModule
from enishi_assignment.permissions import MANAGE_POOLS
from enishi_assignment.pools import MAX_MEMBERS, MAX_WEIGHT

STAFF = Lookup(
    name="staff",
    label=Text("担当者", "Staff"),
    path="/assignment/staff",
    value_field="user_id",
    label_field="display_name",
    properties={"user_id": "integer", "user_ids": "integer", "to_user_ids": "integer"},
)
POOLS = Lookup(
    name="pools",
    label=Text("担当者の振り分けグループ", "Assignment pools"),
    path="/assignment/pools",
    properties={"pool_id": "integer"},
)

POOL_RESOURCE = Resource(
    name="pools",
    title=Text("振り分けグループ", "Assignment pools"),
    description=Text(
        "友だちを順番(重み付き)に担当者へ振り分けるグループです。",
        "Groups of staff who take new friends in turn (weighted).",
    ),
    group="data",
    order=40,
    path="/assignment/pools",
    item_path="/assignment/pools/{id}",
    columns=(
        ResourceColumn(field="name", title=Text("名前", "Name")),
        ResourceColumn(field="turns", title=Text("振り分けた友だち", "Friends assigned"), format="number"),
        ResourceColumn(field="updated_at", title=Text("更新日時", "Updated"), format="datetime"),
    ),
    schema={
        "type": "object",
        "properties": {
            "name": {"type": "string", "title": "名前 / Name", "minLength": 1, "maxLength": 100, "pattern": r"\S"},
            "members": {
                "type": "array",
                "title": "担当者(振り分ける順) / Members (in rotation order)",
                "minItems": 1,
                "maxItems": MAX_MEMBERS,
                "items": {
                    "type": "object",
                    "properties": {
                        "user_id": {
                            "type": "integer",
                            "title": "担当者 / Staff member",
                            "minimum": 1,
                            "maximum": 2**63 - 1,
                        },
                        "weight": {
                            "type": "integer",
                            "title": "重み / Weight",
                            "description": "大きいほど多く振り分けます / more friends for a larger weight",
                            "minimum": 1,
                            "maximum": MAX_WEIGHT,
                            "default": 1,
                        },
                    },
                    "required": ["user_id"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["name", "members"],
        "additionalProperties": False,
    },
    ui_schema={
        "ui:order": ["name", "members"],
        "members": {"items": {"user_id": {"ui:options": {"lookup": "assignment.staff"}}}},
    },
    # The member is a staff member of the workspace: the tests put one from the assignment.staff lookup there.
    example={"name": "受付チーム", "members": [{"user_id": 1, "weight": 2}]},
    permission=MANAGE_POOLS,
)

# Built from ui/src by the console's build (builder_ui/scripts/build-plugin-modules.js); not committed.
UI_MODULE = UiModule(path=Path(__file__).parent / "ui" / "dist" / "module.js")

SCREENS = (STAFF, POOLS, POOL_RESOURCE, UI_MODULE)
