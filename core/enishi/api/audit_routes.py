"""The words for a workspace's audit log, under ``/api/workspaces/{workspace_id}/audit``.

    GET /labels   every action (what routes change, and what the log already holds) with its label, and the
                  people who appear in the log with their names

The entries themselves are ``GET /audit`` (the workspace routes); this says what they mean, so no raw action key
or user id reaches the page.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from sqlalchemy import select

from enishi.api.params import Access, Db
from enishi.api.services import services_of
from enishi.audit_labels import labelled, route_labels
from enishi.models import AuditEntry, User
from enishi.text import Text

AnyRequest = Request[Any, Any, Any]
READ = "core.read_audit"


class ActionLabelOut(msgspec.Struct):
    action: str  # what ``GET /audit?action=`` takes
    label: dict[str, str]


class PersonOut(msgspec.Struct):
    user_id: int  # what ``GET /audit?user_id=`` takes
    display_name: str
    email: str


class AuditLabelsOut(msgspec.Struct):
    actions: list[ActionLabelOut]
    people: list[PersonOut]


def plugin_titles(request: AnyRequest) -> dict[str, Text]:
    host = services_of(request).host
    return {name: info.manifest.title for name, info in host.plugins.items() if info.manifest is not None}


class AuditController(Controller):
    path = "/audit"
    tags = ("workspace",)

    @get("/labels", permission=READ)
    async def audit_labels(self, request: AnyRequest, access: Access, db: Db) -> AuditLabelsOut:
        titles = plugin_titles(request)
        known = route_labels(request.app, titles)
        mine = AuditEntry.workspace_id == access.workspace_id
        logged = set(await db.scalars(select(AuditEntry.action).where(mine).distinct()))
        actions = labelled(sorted(set(known) | logged), known, titles)
        people = await db.execute(
            select(User.id, User.display_name, User.email)
            .where(User.id.in_(select(AuditEntry.user_id).where(mine, AuditEntry.user_id.is_not(None)).distinct()))
            .order_by(User.display_name, User.id)
        )
        return AuditLabelsOut(
            actions=[ActionLabelOut(a.action, a.label.as_dict()) for a in actions],
            people=[PersonOut(p.id, p.display_name, p.email) for p in people.all()],
        )
