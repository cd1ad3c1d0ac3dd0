"""The emulator inside the app (``ENISHI_EMULATOR=1``): it learns every workspace's channel and sends webhooks to
it, and only to it. Its control API and simulator page are for signed-in staff, each on their workspaces' channels
(a platform admin on all); the Messaging API and LINE Login answer as LINE's do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Router
from litestar.middleware import DefineMiddleware
from sqlalchemy import select

from enishi.api.middleware import StaffAuthMiddleware
from enishi.api.services import Services, services_of
from enishi.auth.service import Authenticated
from enishi.models import Friend, Workspace
from enishi.tenancy.access import visible_workspaces_query
from enishi.tenancy.workspaces import webhook_url

# The emulator itself (its state, API and pages) loads when the app mounts it: the API modules import this one for
# emulator_of and register_workspace, and without ENISHI_EMULATOR there is no emulator to look for.
if TYPE_CHECKING:
    from enishi_line_emulator import Emulator
    from enishi_line_emulator.control import AnyConnection, ControlScope

STATE_KEY = "enishi_emulator"
SIGN_IN_PAGE = "/login"


def new_emulator() -> Emulator:
    """The app's emulator: a channel's webhooks go only to the app's own URL for that channel."""
    from enishi_line_emulator import Emulator

    return Emulator(pin_webhooks=True)


def emulator_router(emulator: Emulator) -> Router:
    """``/emulator``, its control API and simulator page behind the app's staff sign-in."""
    from enishi_line_emulator import create_emulator_router

    return create_emulator_router(
        emulator,
        scope_of=staff_scope,
        control_middleware=[DefineMiddleware(StaffAuthMiddleware)],
        sign_in_url=SIGN_IN_PAGE,
        notes_of=held_notes,
    )


async def held_notes(connection: AnyConnection, channel_id: str, user_id: str) -> list[dict[str, str]]:
    """Beside a simulated user's talk: each scenario message held back for them by quiet hours, and until when."""
    from enishi.scenarios.held import held_for_line_user

    return await held_for_line_user(services_of(connection), channel_id, user_id)


async def staff_scope(connection: AnyConnection) -> ControlScope:
    """The channels of the workspaces the signed-in staff member may see; a platform admin may do everything."""
    from enishi_line_emulator.control import ControlScope

    auth: Authenticated = connection.auth
    if auth.user.is_platform_admin:
        return ControlScope(channels=None, admin=True, csrf_token=auth.csrf_token)
    query = visible_workspaces_query(auth.user).with_only_columns(Workspace.line_channel_id)
    async with services_of(connection).db.session() as session:
        channels = frozenset(str(c) for c in await session.scalars(query))
    return ControlScope(channels=channels, admin=False, csrf_token=auth.csrf_token)


async def register_channels(services: Services, emulator: Emulator, workspace_ids: list[int] | None = None) -> int:
    """Tell the emulator the channel of each workspace (all, or the given ones), so the SDK's calls and its
    webhooks work for them; a changed secret, token or webhook URL replaces the old one."""
    query = select(Workspace)
    if workspace_ids is not None:
        query = query.where(Workspace.id.in_(workspace_ids))
    async with services.db.session() as session:
        workspaces = list(await session.scalars(query))
    for workspace in workspaces:
        register_workspace(services, emulator, workspace)
        await _mirror_friends(services, emulator, workspace)
    return len(workspaces)


async def _mirror_friends(services: Services, emulator: Emulator, workspace: Workspace) -> None:
    """The emulator forgets its users when the process ends; the friends in the database bring them back, so the
    simulator page can go on acting as them after a restart."""
    async with services.db.session(workspace.id) as session:
        rows = (await session.execute(select(Friend.line_user_id, Friend.display_name, Friend.status))).all()
    for line_user_id, display_name, status in rows:
        emulator.add_user(
            workspace.line_channel_id,
            display_name or None,
            user_id=line_user_id,
            following=status == "following",
        )


def register_workspace(
    services: Services, emulator: Emulator, workspace: Workspace, old_channel_id: str | None = None
) -> None:
    """(Re)register one workspace's channel, e.g. right after it was created or its credentials changed."""
    for channel_id in {old_channel_id, workspace.line_channel_id} - {None}:
        if _known(emulator, str(channel_id)):
            emulator.remove_channel(str(channel_id))
    url = webhook_url(services.settings, workspace)
    emulator.pin_webhook(workspace.line_channel_id, url)
    emulator.add_channel(
        workspace.line_channel_id,
        services.secrets.decrypt(workspace.line_channel_secret),
        services.secrets.decrypt(workspace.line_access_token),
        url,
        display_name=workspace.name,
    )
    register_login_channel(services, emulator, workspace)


def register_login_channel(services: Services, emulator: Emulator, workspace: Workspace) -> None:
    """The workspace's LINE Login channel, linked to its Messaging API channel (its users log in), or none."""
    for old in [
        c.channel_id for c in emulator.login.channels.values() if c.messaging_channel_id == workspace.line_channel_id
    ]:
        emulator.login.remove_channel(old)
    if workspace.line_login_channel_id and workspace.line_login_channel_secret is not None:
        emulator.login.add_channel(
            workspace.line_login_channel_id,
            services.secrets.decrypt(workspace.line_login_channel_secret),
            workspace.line_channel_id,
        )


def _known(emulator: Emulator, channel_id: str) -> bool:
    try:
        emulator.channel(channel_id)
    except Exception:
        return False
    return True


def emulator_of(app_state: Any) -> Emulator | None:
    """The app's emulator in embedded mode, None when talking to the real LINE."""
    emulator: Emulator | None = app_state.get(STATE_KEY)
    return emulator
