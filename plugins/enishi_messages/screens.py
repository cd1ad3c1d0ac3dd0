"""What the console draws for messages: the template picker (also the ``messageTemplate`` widget of node
forms), and the list and form of message templates (定型文, settings).

The form's schema is the body both ``POST /templates`` and ``PATCH /templates/{id}`` accept
(enishi_messages.schemas); the messages themselves the routes check by LINE's rules, as everywhere they are sent.
"""

from __future__ import annotations

from enishi import Text
from enishi.types import Lookup, Resource, ResourceColumn
from enishi_messages import validation
from enishi_messages.nodes import MESSAGE_SCHEMA
from enishi_messages.permissions import MANAGE_TEMPLATES

TEMPLATES = Lookup(
    name="templates",
    label=Text("定型文", "Message templates"),
    path="/messages/templates?limit=200",
    paged=True,
    properties={"template_id": "integer"},
    widgets=("messageTemplate",),
    # The reply box sends a template to the friend it is open on.
    send_path="/messages/send",
    send_field="template_id",
    messages_field="messages",  # the broadcast composer inserts a template's messages
)

# The variables a message can hold, for the message editor's "insert variable" menu (messageVariable): each row's
# placeholder ("{{friend.display_name}}") is what is inserted, its label what the menu says.
VARIABLES = Lookup(
    name="variables",
    label=Text("変数", "Variables"),
    path="/messages/variables",
    value_field="placeholder",
    label_field="label",
    widgets=("messageVariable",),
)

TEMPLATE_RESOURCE = Resource(
    name="templates",
    title=Text("定型文", "Message templates"),
    description=Text(
        "シナリオや個別の送信で使い回すメッセージです。", "Messages saved for scenarios and replies to reuse."
    ),
    group="data",
    order=60,
    path="/messages/templates",
    item_path="/messages/templates/{id}",
    paged=True,
    columns=(
        ResourceColumn(field="name", title=Text("名前", "Name")),
        ResourceColumn(field="description", title=Text("説明", "Description")),
        ResourceColumn(field="updated_at", title=Text("更新日時", "Updated"), format="datetime"),
    ),
    schema={
        "type": "object",
        "properties": {
            "name": {"type": "string", "title": "名前 / Name", "minLength": 1, "maxLength": 100, "pattern": r"\S"},
            "messages": {
                "type": "array",
                "title": "メッセージ / Messages",
                "description": "1〜5件。{{friend.display_name}} などの変数が使えます / 1 to 5; variables allowed",
                "items": MESSAGE_SCHEMA,
                "minItems": 1,
                "maxItems": validation.MAX_MESSAGES,
            },
            "description": {"type": "string", "title": "説明 / Description", "maxLength": 1000, "default": ""},
        },
        "required": ["name", "messages"],
        "additionalProperties": False,
    },
    ui_schema={
        "ui:order": ["name", "messages", "description"],
        # The console's message editor with a LINE-like preview, and the route that shows them as a friend would.
        "messages": {"ui:field": "lineMessages", "ui:options": {"preview": "/messages/preview"}},
        "description": {"ui:widget": "textarea"},
    },
    example={
        "name": "来店のお礼",
        "messages": [{"type": "text", "text": "{{friend.display_name}}さん、ご来店ありがとうございました!"}],
        "description": "来店の翌日に送ります",
    },
    permission=MANAGE_TEMPLATES,
)

SCREENS = (TEMPLATES, VARIABLES, TEMPLATE_RESOURCE)
