"""Screens plugins register for the console (enishi_register_screens): lookups, resources and UI modules.

The catalog lists those of the plugins enabled in a workspace; UI modules are served by content hash; a resource
that could not work is refused at load. The meta-tests hold every built-in resource to its word: its example is
created, listed, updated and deleted through the routes it names, with the permission it names; and every lookup
answers rows with the fields it names.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
from collections.abc import Mapping
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import enishi_bad_screens
import enishi_probe
import httpx
import pytest
from litestar import Litestar

from enishi.api.workspace_schemas import ui_module_out
from enishi.app import ui_module_handlers
from enishi.manifest import InvalidManifest, PluginManifest
from enishi.plugin_host import discover
from enishi.registry import Register, Registered, RegistrationError, ui_module_digest
from enishi.security_headers import CONSOLE_CSP
from enishi.testing import settings_for
from enishi.text import Text
from enishi.types import Lookup, Resource, UiModule
from tests.conftest import PROBE, Env
from tests.security.api_matrix import declared_permissions

WORKSPACE = "/api/workspaces/{workspace_id}"
# The lookups the console hard-coded before plugins registered them (builder_ui/src/forms/pickers.tsx: LOOKUPS,
# BY_PROPERTY, LOOKUP_WIDGETS): the same data, now from the plugins.
HARD_CODED: dict[str, dict[str, Any]] = {
    "tags.tags": {"path": "/tags", "color_field": "color", "properties": {"tag_id", "tag_ids"}},
    "response_marks.marks": {
        "path": "/response_marks/marks",
        "label_field": "label",
        "color_field": "color",
        "properties": {"mark_id", "mark_ids", "to_mark_ids", "from_mark_ids"},
    },
    "friend_fields.fields": {
        "path": "/friend_fields/fields",
        "value_field": "key",
        "label_field": "label",
        "hint_field": "key",
        "properties": {"key", "keys"},
    },
    "assignment.staff": {
        "path": "/assignment/staff",
        "value_field": "user_id",
        "label_field": "display_name",
        "properties": {"user_id", "user_ids", "to_user_ids"},
    },
    "assignment.pools": {"path": "/assignment/pools", "properties": {"pool_id"}},
    "messages.templates": {
        "path": "/messages/templates?limit=200",
        "paged": True,
        "properties": {"template_id"},
        "widgets": ["messageTemplate"],
    },
    "inflow.routes": {"path": "/inflow/routes", "hint_field": "folder", "properties": {"route_id", "route_ids"}},
    "funnels.funnels": {"path": "/funnels", "properties": {"funnel_id"}},
    "core.scenarios": {"path": "/scenarios?limit=200", "paged": True, "properties": {"scenario_id"}},
}


async def owner_of_new_workspace(env: Env) -> tuple[httpx.AsyncClient, str]:
    """A pro workspace (every loaded plugin on, the probe too) and its owner's client."""
    workspace = await env.workspace(await env.agency(), plan="pro")
    return await env.staff(workspace, "owner"), f"/api/workspaces/{workspace.id}"


async def catalog(client: httpx.AsyncClient, base: str) -> dict[str, Any]:
    response = await client.get(f"{base}/catalog")
    assert response.status_code == 200, response.text
    return dict(response.json())


# -- the catalog --------------------------------------------------------------------------------------------------


async def test_the_catalog_lists_a_plugins_screens_only_while_it_is_enabled(env: Env) -> None:
    client, base = await owner_of_new_workspace(env)
    on = await catalog(client, base)
    [lookup] = [lk for lk in on["lookups"] if lk["name"] == "probe.greetings"]
    assert lookup == {
        "name": "probe.greetings",
        "plugin": "probe",
        "path": "/probe/greetings",
        "paged": False,
        "value_field": "id",
        "label_field": "name",
        "hint_field": None,
        "color_field": None,
        "properties": {"greeting_id": "integer"},
        "widgets": ["probeGreeting"],
        # the probe's rows are neither sent to a friend nor carry LINE messages
        "send_path": None,
        "send_field": None,
        "messages_field": None,
    }
    [resource] = [r for r in on["resources"] if r["plugin"] == "probe"]
    assert set(resource) == {
        *("name", "plugin", "title", "description", "group", "order", "path", "item_path", "paged", "id_field"),
        *("label_field", "columns", "schema", "ui_schema", "create", "update", "delete", "permission"),
    }
    assert resource["name"] == "probe.greetings" and resource["title"] == {"ja": "挨拶", "en": "Greetings"}
    assert (resource["create"], resource["update"], resource["delete"]) == (False, None, False)
    assert resource["columns"] == [
        {"field": "name", "title": {"ja": "挨拶", "en": "Greeting"}, "format": "text", "lookup": None}
    ]
    assert [m["plugin"] for m in on["ui_modules"]].count("probe") == 1

    assert (await client.put(f"{base}/plugins/probe", json={"enabled": False})).status_code == 200
    off = await catalog(client, base)
    assert all(x["plugin"] != "probe" for kind in ("lookups", "resources", "ui_modules") for x in off[kind])
    # The core's lookup is there whatever is off; other plugins' screens stay.
    assert {"core.scenarios", "tags.tags"} <= {lk["name"] for lk in off["lookups"]}
    assert "tags.tags" in {r["name"] for r in off["resources"]}

    assert (await client.put(f"{base}/plugins/tags", json={"enabled": False})).status_code == 200
    tags_off = await catalog(client, base)
    assert "tags.tags" not in {lk["name"] for lk in tags_off["lookups"]}
    assert not {"tags.tags", "tags.folders"} & {r["name"] for r in tags_off["resources"]}


async def test_the_catalog_gives_the_line_login_callback_urls_of_the_enabled_plugins_that_sign_people_in(
    env: Env,
) -> None:
    client, base = await owner_of_new_workspace(env)
    public = env.settings.public_url.rstrip("/")
    on = await catalog(client, base)
    assert on["line_login_callbacks"] == [
        {"plugin": "inflow", "title": {"ja": "流入経路分析", "en": "Inflow routes"}, "url": f"{public}/p/inflow/login"},
        {
            "plugin": "member_cards",
            "title": {"ja": "会員証", "en": "Member cards"},
            "url": f"{public}/p/member_cards/login",
        },
    ]
    # The URL is one the plugin answers (LINE Login's callback), not a guess.
    assert (await client.get(f"{public}/p/inflow/login")).status_code != 404
    assert (await client.put(f"{base}/plugins/inflow", json={"enabled": False})).status_code == 200
    assert [c["plugin"] for c in (await catalog(client, base))["line_login_callbacks"]] == ["member_cards"]


def test_a_manifests_line_login_callback_must_be_a_path() -> None:
    good = PluginManifest(title=Text(ja="例", en="Example"), description=Text(ja="例", en="Example"))
    for path in ("/login", "/auth/callback"):
        dataclasses.replace(good, line_login_callback=path).check("example")
    for path in ("login", "/", "/a b", "https://evil.example/login", "/login?x=1"):
        with pytest.raises(InvalidManifest, match="line_login_callback must be a path"):
            dataclasses.replace(good, line_login_callback=path).check("example")


async def test_the_built_in_plugins_register_the_lookups_the_console_hard_coded(env: Env) -> None:
    client, base = await owner_of_new_workspace(env)
    lookups = {lk["name"]: lk for lk in (await catalog(client, base))["lookups"]}
    for name, expected in HARD_CODED.items():
        found = lookups[name]
        assert found["plugin"] == name.split(".")[0]
        defaults = {"paged": False, "value_field": "id", "label_field": "name", "hint_field": None}
        for field, value in {**defaults, "color_field": None, "widgets": [], **expected}.items():
            actual = set(found[field]) if field == "properties" else found[field]
            assert actual == value, (name, field)
        assert set(found["properties"].values()) == {"string" if name == "friend_fields.fields" else "integer"}


# -- UI modules ---------------------------------------------------------------------------------------------------


async def test_a_plugins_ui_module_is_served_by_its_content_hash(env: Env) -> None:
    client, base = await owner_of_new_workspace(env)
    [module] = [m for m in (await catalog(client, base))["ui_modules"] if m["plugin"] == "probe"]
    body = enishi_probe.UI_MODULE.read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:16]
    title = {"ja": "テスト用プラグイン", "en": "Probe"}
    assert module == {"plugin": "probe", "url": f"/ui/plugins/probe/{digest}.js", "title": title}
    anyone = env.new_client()  # a module is no secret: the page loads it before anything else
    response = await anyone.get(module["url"])
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    for wrong in (
        f"/ui/plugins/probe/{'0' * 16}.js",  # a wrong digest (an older build)
        f"/ui/plugins/probe/{digest}.mjs",
        f"/ui/plugins/probe/{digest}",
        f"/ui/plugins/nobody/{digest}.js",  # an unknown plugin
        f"/ui/plugins/tags/{digest}.js",  # a plugin without a module
        "/ui/plugins/probe",
        "/ui/elsewhere.js",
    ):
        assert (await anyone.get(wrong)).status_code == 404, wrong
    # Same origin: the console's policy lets module scripts of this origin run.
    assert "script-src 'self'" in CONSOLE_CSP


async def test_the_consoles_shared_runtime_is_served_uncached_from_its_build(tmp_path: Path) -> None:
    host = discover(settings_for(tmp_path), extra=[PROBE])
    app = Litestar(route_handlers=ui_module_handlers(host, tmp_path / "dist"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ui.test") as http:
        assert (await http.get("/ui/shared/react.js")).status_code == 404  # no build: no shared directory
        shared = tmp_path / "dist" / "shared"
        shared.mkdir(parents=True)
        (shared / "react.js").write_text("export default window.__enishi.react;", encoding="utf-8")
        (tmp_path / "dist" / "secret.js").write_text("top secret", encoding="utf-8")
        response = await http.get("/ui/shared/react.js")
        assert response.status_code == 200 and response.text == "export default window.__enishi.react;"
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        for path in ("/ui/shared/missing.js", "/ui/shared/react.css", "/ui/shared/..%2Fsecret.js"):
            response = await http.get(path)
            assert response.status_code == 404 and "top secret" not in response.text, path


def test_a_missing_ui_module_is_registered_with_one_warning_and_left_out_of_the_catalog(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="enishi.plugins")
    register: Register[Any] = Register("screens", "shop", "1.0")
    register(UiModule(path=tmp_path / "dist" / "shop.js"))
    [entry] = register.collected
    assert [r.getMessage() for r in caplog.records] == [
        f"shop.ui: no UI module at {tmp_path / 'dist' / 'shop.js'} (is its UI built?); the console will not load it"
    ]
    assert ui_module_out(entry, {"ja": "ショップ"}) is None
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "shop.js").write_text("export default () => {};", encoding="utf-8")
    built = ui_module_out(entry, {"ja": "ショップ"})
    assert built is not None and built.url.startswith("/ui/plugins/shop/") and built.title == {"ja": "ショップ"}
    assert len(caplog.records) == 1


def test_the_digest_is_kept_until_the_file_changes(tmp_path: Path) -> None:
    module = tmp_path / "ui.js"
    module.write_text("export default 1;", encoding="utf-8")
    first = ui_module_digest(module)
    assert first == hashlib.sha256(b"export default 1;").hexdigest()[:16]
    assert ui_module_digest(module) == first
    module.write_text("export default 22;", encoding="utf-8")
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a new build, whatever the clock
    assert ui_module_digest(module) == hashlib.sha256(b"export default 22;").hexdigest()[:16]
    module.unlink()
    assert ui_module_digest(module) is None


# -- checks at registration ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("invalid_schema", "bad_screens.things: schema: invalid JSON Schema at $.properties.name.type"),
        ("item_path_without_id", "bad_screens.things: item_path '/bad_screens/things/{thing_id}' must contain '{id}'"),
        ("example_the_schema_refuses", "bad_screens.things: example does not match the schema: $.name"),
        (
            "permission_of_another_plugin",
            "bad_screens.things: permission 'tags.manage' is neither the core's nor the plugin's own",
        ),
    ],
)
def test_a_plugin_registering_a_resource_that_cannot_work_is_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, broken: str, message: str
) -> None:
    monkeypatch.setattr(enishi_bad_screens, "CHOSEN", broken)
    caplog.set_level(logging.ERROR, logger="enishi.plugins")
    bad = EntryPoint(name="bad_screens", value="enishi_bad_screens", group="enishi.plugins")
    host = discover(settings_for(tmp_path), extra=[PROBE, bad])
    info = host.plugins["bad_screens"]
    assert info.status == "refused" and message in (info.error or ""), info.error
    assert [r.getMessage() for r in caplog.records] == [f"plugin bad_screens refused: {info.error}"]
    assert host.plugins["probe"].status == "loaded"
    assert all(e.plugin != "bad_screens" for e in host.registry.all("resources"))


def test_lookups_are_checked_at_registration() -> None:
    def refused(**fields: Any) -> str:
        register: Register[Any] = Register("screens", "shop", "1.0")
        with pytest.raises(RegistrationError) as raised:
            register(Lookup(**{"name": "things", "label": Text("もの", "Things"), "path": "/shop/things", **fields}))
        return str(raised.value)

    assert "property 'thing_id' must be of type 'integer' or 'string', not number" in refused(
        properties={"thing_id": "number"}
    )
    assert "path 'shop/things' must start with '/'" in refused(path="shop/things")
    assert "label_field '' must name a field" in refused(label_field="")
    assert "widget name 'a b' is not a plain name" in refused(widgets=("a b",))
    assert "send_path and send_field go together" in refused(send_path="/shop/send")
    assert "send_path 'shop/send' must start with '/'" in refused(send_path="shop/send", send_field="thing_id")
    assert "messages_field 'the messages' is not a plain name" in refused(messages_field="the messages")


def test_a_lookup_and_a_resource_may_share_a_name_but_not_two_lookups() -> None:
    register: Register[Any] = Register("screens", "shop", "1.0")
    register(Lookup(name="things", label=Text("もの", "Things"), path="/shop/things"))
    resource = Resource(
        name="things",
        title=Text("もの", "Things"),
        path="/shop/things",
        item_path="/shop/things/{id}",
        schema={"type": "object", "properties": {"name": {"type": "string"}}},
        example={"name": "ひとつ"},
    )
    register(resource)
    with pytest.raises(RegistrationError, match=r"shop\.things v1 is registered twice"):
        register(Lookup(name="things", label=Text("もの", "Things"), path="/shop/other"))


# -- every built-in resource and lookup keeps its word ------------------------------------------------------------


def _route_permission(permissions: Mapping[tuple[str, str], str | None], method: str, path: str) -> tuple[bool, Any]:
    """The permission the route answering ``method`` on ``path`` (below the workspace) declares, if there is one."""
    for (m, documented), permission in permissions.items():
        pattern = re.sub(r"\\{\w+\\}", r"[^/]+", re.escape(documented))
        if m == method and re.fullmatch(pattern, f"{WORKSPACE}{path}".replace("{id}", "1")):
            return True, permission
    return False, None


def _lookup_for(name: str, prop: Mapping[str, Any], ui: Mapping[str, Any], lookups: Mapping[str, Any]) -> str | None:
    """The lookup a form would draw for a property: its uiSchema's, else the one that claims its name (the console's
    rule, see builder_ui/src/forms/schema.ts), none where the uiSchema picks a widget."""
    if ui.get("ui:widget") or ui.get("ui:field"):
        return None
    named = (ui.get("ui:options") or {}).get("lookup")
    if named:
        return str(named)
    item = prop.get("items", {}) if prop.get("type") == "array" else prop
    types = item.get("type") if isinstance(item.get("type"), list) else [item.get("type")]
    for key, lookup in lookups.items():
        if name in lookup["properties"] and lookup["properties"][name] in types:
            return str(key)
    return None


async def _real_ids(
    client: httpx.AsyncClient, base: str, value: Any, schema: Mapping[str, Any], ui: Mapping[str, Any], lookups: Any
) -> Any:
    """The example with the ids it names (staff members, folders …) replaced by real ones of the workspace, from the
    lookup a form would pick them with."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            prop = schema.get("properties", {}).get(key, {})
            own = ui.get(key, {})
            picked = _lookup_for(key, prop, own, lookups)
            if picked is not None and item is not None:
                rows = await _rows(client, base, lookups[picked])
                assert rows, f"{picked} has nothing to pick for {key}"
                real = rows[0][lookups[picked]["value_field"]]
                out[key] = [real for _ in item] if isinstance(item, list) else real
            else:
                out[key] = await _real_ids(client, base, item, prop, own, lookups)
        return out
    if isinstance(value, list):
        items_schema, items_ui = schema.get("items", {}), ui.get("items", {})
        return [await _real_ids(client, base, v, items_schema, items_ui, lookups) for v in value]
    return value


async def _rows(client: httpx.AsyncClient, base: str, listed: Mapping[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(base + listed["path"])
    assert response.status_code == 200, f"GET {listed['path']}: {response.status_code} {response.text[:300]}"
    data = response.json()
    rows = data["items"] if listed["paged"] else data
    assert isinstance(rows, list), f"GET {listed['path']} answers no list"
    return rows


async def test_every_built_in_resource_creates_lists_updates_and_deletes_its_example(env: Env) -> None:
    client, base = await owner_of_new_workspace(env)
    shown = await catalog(client, base)
    lookups = {lk["name"]: lk for lk in shown["lookups"]}
    built_in = {name for name, info in env.host.plugins.items() if info.source == "built-in"}
    resources = {e.key: e.item for e in env.host.registry.all("resources") if e.plugin in built_in}
    assert {r["name"] for r in shown["resources"] if r["plugin"] in built_in} == set(resources)
    permissions = declared_permissions(env.app)
    problems: list[str] = []
    for resource in (r for r in shown["resources"] if r["name"] in resources):
        name, example = resource["name"], resources[resource["name"]].example
        props = resource["schema"]["properties"]
        assert resource["schema"].get("additionalProperties") is False, f"{name}: the schema must list every field"
        assert set(example) == set(props), f"{name}: the example must give every field the schema has"
        for column in resource["columns"]:
            assert column["lookup"] is None or column["lookup"] in lookups, f"{name}: no lookup {column['lookup']}"
        body = await _real_ids(client, base, dict(example), resource["schema"], resource["ui_schema"], lookups)
        # The routes exist and ask for the permission the resource names.
        for method, path, wanted in (
            ("GET", resource["path"], True),
            ("POST", resource["path"], resource["create"]),
            (str(resource["update"]).upper(), resource["item_path"], resource["update"] is not None),
            ("DELETE", resource["item_path"], resource["delete"]),
        ):
            if not wanted:
                continue
            exists, permission = _route_permission(permissions, method, path.split("?")[0])
            if not exists:
                problems.append(f"{name}: no route {method} {path}")
            elif method != "GET" and permission != resource["permission"]:
                problems.append(
                    f"{name}: {method} {path} needs {permission!r}, the resource says {resource['permission']!r}"
                )

        created = await client.post(base + resource["path"], json=body)
        if not created.is_success:
            problems.append(f"{name}: POST {resource['path']}: {created.status_code} {created.text[:300]}")
            continue
        row_id = created.json()[resource["id_field"]]
        label = created.json()[resource["label_field"]]
        listed = await _rows(client, base, resource)
        if not any(r.get(resource["id_field"]) == row_id and r.get(resource["label_field"]) == label for r in listed):
            problems.append(f"{name}: GET {resource['path']} does not list the new {label!r}")
        for column in resource["columns"]:
            if any(column["field"] not in r for r in listed):
                problems.append(f"{name}: the list has no field {column['field']!r} for its column")
        item = base + resource["item_path"].replace("{id}", str(row_id))
        updated = await client.request(str(resource["update"]).upper(), item, json=body)
        if not updated.is_success:
            problems.append(f"{name}: {resource['update']} {item}: {updated.status_code} {updated.text[:300]}")
        deleted = await client.delete(item)
        if not deleted.is_success:
            problems.append(f"{name}: DELETE {item}: {deleted.status_code} {deleted.text[:300]}")
        elif any(r.get(resource["id_field"]) == row_id for r in await _rows(client, base, resource)):
            problems.append(f"{name}: still listed after DELETE")
    assert not problems, "\n".join(problems)


async def test_every_lookup_answers_rows_with_its_value_and_label(env: Env) -> None:
    client, base = await owner_of_new_workspace(env)
    shown = await catalog(client, base)
    lookups = {lk["name"]: lk for lk in shown["lookups"]}
    # One row in each list first, made through the resources (the staff list has the owner already).
    for resource in shown["resources"]:
        if resource["create"] and resource["plugin"] != "probe":
            example = env.host.registry.get("resources", resource["name"]).item.example
            body = await _real_ids(client, base, dict(example), resource["schema"], resource["ui_schema"], lookups)
            response = await client.post(base + resource["path"], json=body)
            assert response.is_success, (resource["name"], response.text)
    assert (await client.post(f"{base}/scenarios", json={"name": "シナリオ"})).is_success
    tag_id = (await _rows(client, base, lookups["tags.tags"]))[0]["id"]
    funnel = {"name": "ファネル", "stages": [{"type": "tags.has_tags", "config": {"tag_ids": [tag_id]}}]}
    assert (await client.post(f"{base}/funnels", json=funnel)).is_success
    for name, lookup in lookups.items():
        rows = await _rows(client, base, lookup)
        assert rows, f"{name}: GET {lookup['path']} lists nothing"
        for field in ("value_field", "label_field", "hint_field", "color_field"):
            if lookup[field] is not None:
                assert all(lookup[field] in row for row in rows), f"{name}: a row without {lookup[field]!r}"


def test_every_resource_schema_labels_its_choices_in_japanese_and_english(tmp_path: Path) -> None:
    """No raw enum value reaches a person: choices are ``oneOf`` of ``const`` with a ``"日本語 / English"`` title,
    the convention of node config schemas."""
    host = discover(settings_for(tmp_path))

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            assert "enum" not in node, f"{where}: an enum without labels"
            for choice in node.get("oneOf", []):
                if "const" in choice:
                    title = choice.get("title", "")
                    assert re.fullmatch(r"[^/]+ / [^/]+", title), f"{where}: {choice['const']!r} needs 'ja / en'"
            for key, value in node.items():
                if key != "if":  # a condition over values (``{"enum": [...]}``) shows nothing to anyone
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                walk(value, f"{where}[{n}]")

    entries: list[Registered[Resource]] = host.registry.all("resources")
    assert entries
    for entry in entries:
        walk(dict(entry.item.schema), entry.key)
        for prop, schema in entry.item.schema["properties"].items():
            assert " / " in schema.get("title", ""), f"{entry.key}.{prop}: a title in Japanese / English"
