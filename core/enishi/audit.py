"""The audit log: every state-changing API call is recorded with who, what, which workspace and when.

Recording happens in one place for all handlers, core and plugin alike: the request's database session writes the
entry in the same transaction as the change (see ``api.deps.provide_db``); a change made without that session is
recorded after the response by ``AuditFallbackMiddleware``.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy import Select, select

from enishi.models import AuditEntry

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDITED_FLAG = "enishi_audited"


def action_name(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return action_name_of(connection.scope.get("route_handler"))


def action_name_of(handler: Any) -> str:
    """The action a route's changes are recorded as: its ``opt["audit"]``, else ``<plugin>.<handler name>``."""
    opt = getattr(handler, "opt", {}) or {}
    if opt.get("audit"):
        return str(opt["audit"])
    fn = getattr(handler, "fn", None)
    name = getattr(fn, "__name__", None) or getattr(handler, "name", None) or "call"
    return f"{opt.get('plugin', 'core')}.{name}"


def entry_for(connection: ASGIConnection[Any, Any, Any, Any], status_code: int) -> AuditEntry:
    auth = connection.scope.get("auth")
    state = connection.state
    user_id = getattr(getattr(auth, "user", None), "id", None) or state.get("audit_user_id")
    access = state.get("access")
    workspace_id = access.workspace_id if access is not None else state.get("audit_workspace_id")
    client = connection.client
    return AuditEntry(
        user_id=user_id,
        api_token_id=getattr(auth, "api_token_id", None),
        workspace_id=workspace_id,
        action=action_name(connection),
        method=connection.scope.get("method", "?"),
        path=connection.url.path[:500],
        status_code=status_code,
        ip=client.host if client else None,
        target={k: v for k, v in connection.path_params.items()},
        details=dict(state.get("audit_details", {})),
    )


def add_details(connection: ASGIConnection[Any, Any, Any, Any], **details: Any) -> None:
    """Let a handler say what it changed, e.g. ``add_details(request, tag="VIP")``."""
    connection.state.setdefault("audit_details", {}).update(details)


def filtered(
    workspace_id: int | None,
    action: str | None,
    user_id: int | None,
    since: Any,
    until: Any,
) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if workspace_id is not None:
        query = query.where(AuditEntry.workspace_id == workspace_id)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query
