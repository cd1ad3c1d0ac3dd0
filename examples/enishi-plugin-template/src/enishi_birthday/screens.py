"""What the console draws for the plugin: a settings page listing birthdays (declarative, no UI code), the
friend picker its form uses, and the coded module (``ui/``) whose panel shows a friend's birthday on their page.

The form's schema is exactly the body ``POST /birthday/birthdays`` accepts (``routes.NewBirthday``): the console
validates with it before the route does. Adding a friend's birthday again overwrites it, so the list has no edit.
"""

from __future__ import annotations

from pathlib import Path

from enishi import Lookup, Resource, ResourceColumn, Text, UiModule

# Built by `npm run build` in the template's ui/ folder; the wheel carries it (pyproject.toml: artifacts).
UI_MODULE = Path(__file__).parent / "ui" / "dist" / "module.js"

# Named by the form's uiSchema only (no `properties`), so it does not claim `friend_id` in other plugins' forms.
# The core's friend list gives at most 200 per page and a picker reads one page: fine for a template, not for a
# workspace of thousands (there, type the id, or pick from the friend page's panel instead).
FRIENDS = Lookup(
    name="friends",
    label=Text("友だち", "Friends"),
    path="/friends?status=following&limit=200",
    paged=True,
    label_field="display_name",
)

BIRTHDAYS = Resource(
    name="birthdays",
    title=Text("誕生日", "Birthdays"),
    description=Text(
        "誕生日が登録されている友だちです。同じ友だちを追加し直すと誕生日が上書きされます。",
        "Friends with a recorded birthday. Adding a friend again overwrites their birthday.",
    ),
    group="data",
    order=100,
    path="/birthday/birthdays",
    item_path="/birthday/birthdays/{id}",
    paged=True,
    id_field="friend_id",
    label_field="display_name",
    columns=(
        ResourceColumn(field="display_name", title=Text("友だち", "Friend")),
        ResourceColumn(field="birthday", title=Text("誕生日", "Birthday")),
    ),
    schema={
        "type": "object",
        "properties": {
            "friend_id": {"type": "integer", "title": "友だち / Friend", "minimum": 1},
            "birthday": {"type": "string", "format": "date", "title": "誕生日 / Birthday"},
        },
        "required": ["friend_id", "birthday"],
        "additionalProperties": False,
    },
    ui_schema={
        "ui:order": ["friend_id", "birthday"],
        "friend_id": {"ui:options": {"lookup": "birthday.friends"}},
        "birthday": {"ui:widget": "date"},
    },
    example={"friend_id": 1, "birthday": "1990-04-01"},
    update=None,
    permission="birthday.manage",
)

SCREENS = (FRIENDS, BIRTHDAYS, UiModule(path=UI_MODULE))
