"""Shared by the generated security matrices: the operations of the app's own OpenAPI document, a seeded workspace
with one record of each kind the routes name, and a dump of every row of the database.

Everything is derived from the document, so a new route is covered without anyone listing it here; only the
routes anyone may call are listed (PUBLIC), and how to create one record of each kind (SEEDS).
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import inspect, text

from enishi.api.deps import platform_admin_guard
from enishi.models import Friend, Message
from tests.conftest import Env

METHODS = ("get", "post", "put", "patch", "delete")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
PARAM = re.compile(r"{(\w+)}")

# Routes anyone may call, with or without a session: each answers its own way (a signature, a token in the path,
# a password), never with the staff session's 401.
PUBLIC = (
    re.compile(r"^/api/health$"),
    re.compile(r"^/api/auth/login$"),
    re.compile(r"^/p/"),  # plugins' public pages (LINE Login, inflow links, member cards)
    re.compile(r"^/webhook/"),  # LINE's webhook, signed
)

# Tables whose rows change on every authenticated request by design, whoever calls: not state an attacker sets.
VOLATILE_TABLES = frozenset({"sessions"})
PLATFORM_ADMIN = "(platform admin)"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    permission: str | None  # as the route declares it (opt "permission"); None: the default of its method
    params: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_public(self) -> bool:
        return any(p.search(self.path) for p in PUBLIC)


def declared_permissions(app: Any) -> dict[tuple[str, str], str | None]:
    """(METHOD, path as in the document) → the permission the route handler declares."""
    out: dict[tuple[str, str], str | None] = {}
    for route in app.routes:
        path = re.sub(r"{(\w+):[^}]+}", r"{\1}", route.path)
        for handler in getattr(route, "route_handlers", []):
            for method in getattr(handler, "http_methods", ()):
                permission = handler.opt.get("permission")
                if platform_admin_guard in handler.resolve_guards():
                    permission = PLATFORM_ADMIN  # a role no workspace member has, whatever the workspace grants
                out[(method, path)] = permission
    return out


def operations(app: Any) -> list[Operation]:
    doc = app.openapi_schema.to_schema()
    permissions = declared_permissions(app)
    ops = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                upper = method.upper()
                ops.append(Operation(upper, path, permissions.get((upper, path)), tuple(PARAM.findall(path))))
    return ops


@dataclass
class Seeded:
    """One workspace's records, by the path parameter names that address them."""

    workspace_id: int
    owner: httpx.AsyncClient
    ids: dict[str, Any] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # what could not be created, and why

    def value(self, op: Operation, name: str) -> Any:
        if name == "key" and "/reports/" in op.path:
            return self.ids.get("report_key", "unknown")
        if name == "number":
            return 1
        return self.ids.get(name, 999_999_999)

    def url(self, op: Operation) -> str:
        return PARAM.sub(lambda m: str(self.value(op, m.group(1))), op.path)


def _text(message: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": message}]


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


async def seed(env: Env, owner: httpx.AsyncClient, workspace_id: int, tag: str) -> Seeded:
    """One record of every kind the routes name, created through the API where it can be (so a record is what the
    app itself makes), the friend and its message in the database (they come from LINE)."""
    s = Seeded(workspace_id, owner, {"workspace_id": workspace_id})
    b = f"/api/workspaces/{workspace_id}"
    async with env.db.transaction(workspace_id) as session:
        friend = Friend(line_user_id="U" + uuid.uuid4().hex, display_name=f"友だち{tag}")
        session.add(friend)
        await session.flush()
        message = Message(friend_id=friend.id, direction="in", kind="text", body={"type": "text", "text": "hi"})
        message.text = "hi"
        session.add(message)
        await session.flush()
        s.ids["friend_id"], s.ids["message_id"] = friend.id, message.id

    async def create(name: str, path: str, body: Any, pick: str = "id") -> None:
        response = await owner.post(b + path, json=body)
        if response.status_code >= 300:
            s.missing[name] = f"POST {path}: {response.status_code} {response.text[:200]}"
            return
        data = response.json()
        # The id, or that of the one record the answer wraps ({"broadcast": {...}, "estimate": ...}).
        nested = [v[pick] for v in data.values() if isinstance(v, dict) and pick in v]
        s.ids[name] = data[pick] if pick in data else nested[0] if nested else None
        if s.ids[name] is None:
            s.missing[name] = f"POST {path}: no {pick} in {response.text[:200]}"

    await create("tab_id", "/friends/tabs", {"name": f"tab{tag}"})
    await create("folder_id", "/tags/folders", {"name": f"folder{tag}"})
    await create("tag_id", "/tags", {"name": f"tag{tag}"})
    await create("scenario_id", "/scenarios", {"name": f"scenario{tag}"})
    await create(
        "broadcast_id",
        "/broadcasts",
        {
            "name": f"b{tag}",
            "messages": _text("hi"),
            "scheduled_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        },
    )
    await create("draft_id", "/broadcasts/drafts", {"name": f"d{tag}", "messages": _text("hi")})
    me = (await owner.get("/api/auth/me")).json()
    user_id = me["user"]["id"] if "user" in me else me["id"]
    await create("pool_id", "/assignment/pools", {"name": f"pool{tag}", "members": [{"user_id": user_id}]})
    await create("field_id", "/friend_fields/fields", {"key": f"k{tag}", "label": "L", "type": "text"})
    s.ids["key"] = f"k{tag}"
    await create(
        "funnel_id",
        "/funnels",
        {"name": f"funnel{tag}", "stages": [{"type": "tags.has_tags", "config": {"tag_ids": [s.ids.get("tag_id")]}}]},
    )
    await create("route_id", "/inflow/routes", {"name": f"route{tag}"})
    await create("template_id", "/messages/templates", {"name": f"t{tag}", "messages": _text("hi")})
    await create("note_id", f"/notes/friends/{s.ids['friend_id']}", {"body": "note"})
    await create("mark_id", "/response_marks/marks", {"label": f"mark{tag}"})
    uploaded = await owner.post(b + "/media", files={"file": ("seed.png", _png(), "image/png")})
    if uploaded.status_code < 300:
        s.ids["media_id"] = uploaded.json()["id"]
    else:
        s.missing["media_id"] = f"POST /media: {uploaded.status_code} {uploaded.text[:200]}"
    await create(
        "operation_id",
        "/bulk-operations",
        {
            "action": {"type": "tags.add_tag", "config": {"tag_ids": [s.ids.get("tag_id")]}},
            "target": {"segment": {"all": []}},
        },
    )
    invited = await owner.post(b + "/staff", json={"email": f"invitee{tag}@x.example", "role": "viewer"})
    if invited.status_code < 300:
        invitations = (await owner.get(b + "/staff/invitations")).json()
        items = invitations["items"] if isinstance(invitations, dict) else invitations
        if items:
            s.ids["invitation_id"] = items[0]["id"]
    if "invitation_id" not in s.ids:
        s.missing["invitation_id"] = f"POST /staff: {invited.status_code} {invited.text[:200]}"
    staff = (await owner.get(b + "/staff")).json()
    s.ids["membership_id"] = staff[0]["id"]
    reports = (await owner.get(b + "/reports")).json()
    items = reports["items"] if isinstance(reports, dict) else reports
    if items:
        s.ids["report_key"] = items[0]["key"]
    s.ids["name"] = "probe"
    token = await owner.post("/api/auth/tokens", json={"name": f"token{tag}"})
    if token.status_code < 300:
        s.ids["token_id"] = token.json()["info"]["id"]
    if s.ids.get("scenario_id"):
        runs = await owner.get(f"{b}/scenarios/{s.ids['scenario_id']}/runs")
        if runs.status_code == 200 and runs.json().get("items"):
            s.ids["run_id"] = runs.json()["items"][0]["id"]
    return s


async def dump(env: Env) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but VOLATILE_TABLES), as sorted tuples of text."""

    def tables(connection: Any) -> list[str]:
        return sorted(inspect(connection).get_table_names())

    out: dict[str, list[tuple[Any, ...]]] = {}
    async with env.db.engine.connect() as connection:
        for table in await connection.run_sync(tables):
            if table in VOLATILE_TABLES or table == "alembic_version":
                continue
            # The table names are the database's own, not input.
            rows = (await connection.execute(text(f'SELECT * FROM "{table}"'))).all()  # noqa: S608
            out[table] = sorted(tuple(repr(v) for v in row) for row in rows)
    return out


def changes(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> Iterator[str]:
    for table in sorted(set(before) | set(after)):
        old, new = set(before.get(table, [])), set(after.get(table, []))
        if old != new:
            yield f"{table}: -{len(old - new)} +{len(new - old)} {sorted(new - old)[:2]} {sorted(old - new)[:2]}"


def body_for(op: Operation) -> dict[str, Any] | None:
    """A body for a write; an empty JSON object is what a route must refuse on access before it looks at it."""
    return {} if op.method in UNSAFE else None
