"""Dependencies and guards shared by core and plugin routes."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.api.errors import ApiError
from enishi.api.services import Services, services_of
from enishi.audit import AUDITED_FLAG, UNSAFE_METHODS, entry_for
from enishi.auth.service import Authenticated
from enishi.context import WorkspaceContext
from enishi.models import User
from enishi.tenancy.access import WorkspaceAccess, resolve_access

AnyConnection = ASGIConnection[Any, Any, Any, Any]


async def provide_db(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """The request's session: workspace-scoped on workspace routes; commits with the audit entry on success."""
    access: WorkspaceAccess | None = request.state.get("access")
    session = services_of(request).db.session(
        access.workspace_id if access else None, write=request.method in UNSAFE_METHODS
    )
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    else:
        if request.method in UNSAFE_METHODS:
            status = getattr(request.scope.get("route_handler"), "status_code", None) or 200
            session.add(entry_for(request, status))
            request.state[AUDITED_FLAG] = True
        await session.commit()
    finally:
        await session.close()


def provide_services(request: Request[Any, Any, Any]) -> Services:
    return services_of(request)


def provide_auth(request: Request[Any, Any, Any]) -> Authenticated:
    return request.auth


def provide_user(request: Request[Any, Any, Any]) -> User:
    return request.auth.user


def provide_access(request: Request[Any, Any, Any]) -> WorkspaceAccess:
    access: WorkspaceAccess | None = request.state.get("access")
    if access is None:  # only reachable if a route forgot the workspace guard
        raise ApiError(500, "internal", "workspace guard missing")
    return access


async def provide_ctx(
    request: Request[Any, Any, Any],
    db: NamedDependency[SkipValidation[AsyncSession]],
    access: NamedDependency[SkipValidation[WorkspaceAccess]],
) -> WorkspaceContext:
    services = services_of(request)
    return WorkspaceContext(
        workspace_id=access.workspace_id,
        session=db,
        host=services.host,
        settings=services.settings,
        jobs=services.jobs,
        enabled_plugins=access.enabled_plugins,
        timezone=access.workspace.timezone,
        actor_user_id=request.auth.user.id,
        plugin_settings=access.plugin_settings,
    )


def _is_options(connection: AnyConnection) -> bool:
    """Litestar answers OPTIONS itself (204 and the route's Allow header, the same for every workspace) and, like
    browsers' preflights, without authentication; the guards have no caller to check then."""
    return connection.scope.get("method") == "OPTIONS"


async def workspace_guard(connection: AnyConnection, handler: BaseRouteHandler) -> None:
    """Resolves the caller's access to ``{workspace_id}`` once, for every workspace route, core or plugin.

    A workspace the caller may not see, or a plugin route of a plugin not enabled there, answers 404 (so nothing
    reveals that it exists); a missing permission answers 403. Changes need ``core.write`` unless the route
    names a narrower permission in ``opt={"permission": ...}``.
    """
    if _is_options(connection):
        return
    services = services_of(connection)
    workspace_id = connection.path_params.get("workspace_id")
    user: User = connection.auth.user
    async with services.db.session() as session:
        access = await resolve_access(session, services.host, user, int(workspace_id)) if workspace_id else None
    if access is None:
        raise ApiError(404, "not_found", "workspace not found")
    plugin = handler.opt.get("plugin")
    if plugin and plugin not in access.enabled_plugins:
        raise ApiError(404, "not_found", "not found")
    permission = handler.opt.get("permission")
    if permission is None and connection.scope.get("method") in UNSAFE_METHODS:
        permission = "core.write"
    if permission and permission not in access.permissions:
        raise ApiError(403, "forbidden", f"この操作の権限がありません / you lack the permission {permission}")
    connection.state["access"] = access


async def platform_admin_guard(connection: AnyConnection, _: BaseRouteHandler) -> None:
    if _is_options(connection):
        return
    if not connection.auth.user.is_platform_admin:
        raise ApiError(403, "forbidden", "プラットフォーム管理者のみ / platform admins only")


DEPENDENCIES = {
    "db": Provide(provide_db),
    "services": Provide(provide_services, sync_to_thread=False),
    "auth": Provide(provide_auth, sync_to_thread=False),
    "user": Provide(provide_user, sync_to_thread=False),
}
WORKSPACE_DEPENDENCIES = {"access": Provide(provide_access, sync_to_thread=False), "ctx": Provide(provide_ctx)}
