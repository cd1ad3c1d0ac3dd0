"""What Enishi checks when it loads the plugin, and the plugin's pure logic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import enishi_birthday
import pytest
from enishi_birthday import nodes, screens, store
from enishi_birthday.routes import BirthdayController, NewBirthday

from enishi import DomainEvent, Register, validate
from enishi.plugin_host import ENTRY_POINT_GROUP, discover
from enishi.registry import KINDS
from enishi.settings import load_settings

EXPECTED = {
    "triggers": ["birthday.birthday_today"],
    "events": ["birthday.birthday_today"],
    "actions": ["birthday.set_birthday"],
    "conditions": ["birthday.birthday_in_month"],
    "friend_fields": ["birthday.birthday"],
    "reports": ["birthday.birthdays_by_month"],
    "routes": ["birthday.routes"],
    "jobs": [],
    "permissions": ["birthday.manage"],
    "migrations": ["birthday.migrations"],
    "screens": ["birthday.friends", "birthday.birthdays", "birthday.ui"],
}


def collect(kind: str) -> list[Any]:
    reg: Register[Any] = Register(kind, "birthday", "0.1.0")
    hook = getattr(enishi_birthday, f"enishi_register_{kind}", None)
    if hook is not None:
        hook(reg)
    return reg.collected


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_registers_namespaced_keys(kind: str) -> None:
    # Register runs the same checks as start-up: types, names, Draft 2020-12 schemas, migration folder.
    assert [e.key for e in collect(kind)] == EXPECTED[kind]


def test_manifest_is_accepted() -> None:
    enishi_birthday.manifest.check("birthday")
    settings_schema = dict(enishi_birthday.manifest.settings_schema)
    assert validate(settings_schema, {"greeting_hour": 9}) == []
    assert validate(settings_schema, {"greeting_hour": 24})
    assert validate(settings_schema, {"greting_hour": 9})


def test_discovered_through_its_entry_point(tmp_path: Path) -> None:
    settings = load_settings({"ENISHI_DATA_DIR": str(tmp_path)})
    ep = EntryPoint(name="birthday", value="enishi_birthday", group=ENTRY_POINT_GROUP)
    host = discover(settings, extra=[ep])
    info = host.plugins["birthday"]
    assert info.status == "loaded", info.error
    assert host.registry.get("actions", "birthday.set_birthday") is not None
    assert "birthday.manage" in {e.key for e in host.registry.all("permissions")}


def test_permission_is_granted_to_operators() -> None:
    [entry] = collect("permissions")
    assert entry.item.roles == frozenset({"owner", "admin", "operator"})


def test_set_birthday_config_needs_a_real_date() -> None:
    schema = dict(nodes.SET_BIRTHDAY_CONFIG)
    assert validate(schema, {"date": "1990-04-01"}) == []
    assert validate(schema, {"date": "1990-02-30"})  # format "date" is checked
    assert validate(schema, {"date": "April 1st"})
    assert validate(schema, {})


def test_month_configs() -> None:
    assert validate(dict(nodes.IN_MONTH_CONFIG), {"month": 12}) == []
    assert validate(dict(nodes.IN_MONTH_CONFIG), {"month": 13})
    assert validate(dict(nodes.TRIGGER_CONFIG), {"months": [1, 2]}) == []
    assert validate(dict(nodes.TRIGGER_CONFIG), {"months": [1, 1]})


def _event(month: int) -> DomainEvent:
    return DomainEvent(
        name=nodes.BIRTHDAY_TODAY,
        workspace_id=1,
        friend_id=1,
        occurred_at=datetime(2024, month, 1, tzinfo=UTC),
        data={"birthday": f"1990-{month:02d}-01", "month": month, "day": 1},
    )


def test_trigger_matches_every_birthday_or_the_chosen_months() -> None:
    assert nodes.birthday_today.listens_to == (nodes.BIRTHDAY_TODAY,)
    assert nodes.birthday_matches({}, _event(5))
    assert nodes.birthday_matches({"months": []}, _event(5))
    assert nodes.birthday_matches({"months": [4, 5]}, _event(5))
    assert not nodes.birthday_matches({"months": [4]}, _event(5))


def test_parse_birthday() -> None:
    today = date(2024, 6, 15)
    assert store.parse_birthday("2000-02-29", today) == date(2000, 2, 29)
    assert store.parse_birthday(today, today) == today
    for bad in ("2024-06-16", "2001-02-29", "15/06/2000", ""):
        with pytest.raises(store.InvalidBirthday):
            store.parse_birthday(bad, today)


def test_routes_declare_the_permission_for_writes() -> None:
    [entry] = collect("routes")
    assert entry.item.handlers == [BirthdayController]
    assert not entry.item.public
    opts = {h.http_methods.copy().pop(): h.opt for h in _handlers(BirthdayController)}
    assert opts["PUT"]["permission"] == opts["POST"]["permission"] == opts["DELETE"]["permission"] == "birthday.manage"
    assert "permission" not in opts["GET"]


def test_the_settings_page_sends_what_the_route_accepts() -> None:
    """The Resource's schema is the body of POST /birthdays: the same fields, all required, nothing else."""
    resource = screens.BIRTHDAYS
    assert set(resource.schema["properties"]) == set(NewBirthday.__struct_fields__) == set(resource.schema["required"])
    assert resource.schema["additionalProperties"] is False
    assert validate(dict(resource.schema), {"friend_id": 1, "birthday": "1990-02-30"})
    assert resource.permission == "birthday.manage"
    assert screens.UI_MODULE.parent.parent.parent == Path(enishi_birthday.__file__).parent


def _handlers(controller: type) -> list[Any]:
    from litestar.handlers import HTTPRouteHandler

    return [v for v in vars(controller).values() if isinstance(v, HTTPRouteHandler)]
