"""Birthday (誕生日): a small but complete Enishi plugin, meant to be copied.

Enishi loads this package through the ``enishi.plugins`` entry point ``birthday`` and then:

* reads ``manifest`` (title, tier, supported core API, settings schema);
* calls each ``@hookimpl`` registration hook below once at start-up. Everything registered is namespaced with
  the plugin name, so ``set_birthday`` becomes ``birthday.set_birthday``.

The hooks only wire things up; the logic lives in the sibling modules.
"""

from __future__ import annotations

from pathlib import Path

from enishi import (
    ActionType,
    ApiRoutes,
    ConditionType,
    EventType,
    FriendFieldSource,
    Lookup,
    MigrationLocation,
    Permission,
    PluginManifest,
    Register,
    ReportType,
    Resource,
    Text,
    TriggerType,
    UiModule,
    hookimpl,
)

from .fields import birthday_field
from .nodes import birthday_in_month, birthday_today, birthday_today_event, set_birthday
from .reports import birthdays_by_month
from .routes import BirthdayController
from .screens import SCREENS

manifest = PluginManifest(
    title=Text(ja="誕生日", en="Birthday"),
    description=Text(
        ja="友だちの誕生日を登録し、誕生日シナリオ・誕生月セグメント・誕生月レポートに使えるようにします。",
        en="Records friends' birthdays for birthday scenarios, birth-month segments and a birth-month report.",
    ),
    tier="standard",
    core_api=">=1,<2",
    # Per-workspace settings, edited on the plugin's settings page; read them with ctx.settings_of("birthday").
    settings_schema={
        "type": "object",
        "properties": {
            "greeting_hour": {
                "type": "integer",
                "minimum": 0,
                "maximum": 23,
                "default": 10,
                "title": "Hour (workspace time) at which birthday_today fires",
            }
        },
        "additionalProperties": False,
    },
)


@hookimpl
def enishi_register_triggers(register: Register[TriggerType]) -> None:
    register(birthday_today)


@hookimpl
def enishi_register_events(register: Register[EventType]) -> None:
    register(birthday_today_event)


@hookimpl
def enishi_register_actions(register: Register[ActionType]) -> None:
    register(set_birthday)


@hookimpl
def enishi_register_conditions(register: Register[ConditionType]) -> None:
    register(birthday_in_month)


@hookimpl
def enishi_register_friend_fields(register: Register[FriendFieldSource]) -> None:
    register(birthday_field)


@hookimpl
def enishi_register_reports(register: Register[ReportType]) -> None:
    register(birthdays_by_month)


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    register(
        Permission(
            name="manage",
            label=Text("誕生日の登録・変更", "Record and change birthdays"),
            roles=frozenset({"owner", "admin", "operator"}),
        )
    )


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[BirthdayController]))


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    # The friend picker, the settings page of birthdays and the friend page's panel (ui/, built to ui/dist).
    for screen in SCREENS:
        register(screen)


@hookimpl
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    # The folder holds this plugin's own Alembic branch, labelled "birthday"; `enishi db upgrade` applies it.
    register(MigrationLocation(path=Path(__file__).parent / "migrations"))
