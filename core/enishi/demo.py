"""The demo workspace `enishi demo` seeds: an agency, a workspace on the pro plan and an owner login."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from enishi.auth.passwords import hash_password
from enishi.crypto import SecretBox
from enishi.db.engine import Database
from enishi.models import Agency, AgencyMembership, Plan, User, Workspace
from enishi.plugin_host import PluginHost
from enishi.settings import Settings
from enishi.tenancy.workspaces import ChannelCredentials, create_workspace, webhook_url

DEMO_AGENCY = "デモ代理店"
DEMO_WORKSPACE = "縁カフェ (デモ)"
DEMO_CHANNEL_ID = "2000000001"


async def seed_demo(db: Database, settings: Settings, host: PluginHost, email: str, password: str) -> dict[str, Any]:
    """Idempotent: a second run finds what the first made and resets the demo password."""
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, display_name="デモ オーナー", password_hash=hash_password(password))
            session.add(user)
        else:
            user.password_hash, user.is_active = hash_password(password), True
        agency = await session.scalar(select(Agency).where(Agency.name == DEMO_AGENCY))
        if agency is None:
            agency = Agency(name=DEMO_AGENCY)
            session.add(agency)
        await session.flush()
        if not await session.scalar(
            select(AgencyMembership.id).where(
                AgencyMembership.agency_id == agency.id, AgencyMembership.user_id == user.id
            )
        ):
            session.add(AgencyMembership(agency_id=agency.id, user_id=user.id, role="owner"))
        workspace = await session.scalar(select(Workspace).where(Workspace.line_channel_id == DEMO_CHANNEL_ID))
        if workspace is None:
            pro = await session.scalar(select(Plan).where(Plan.key == "pro"))
            workspace = await create_workspace(
                session,
                host=host,
                settings=settings,
                secrets_box=SecretBox(settings.secret_keys),
                agency=agency,
                name=DEMO_WORKSPACE,
                credentials=ChannelCredentials(
                    DEMO_CHANNEL_ID, secrets.token_hex(16), "demo-" + secrets.token_urlsafe(40)
                ),
                plan=pro,
            )
        return {
            "workspace_id": workspace.id,
            "workspace_name": workspace.name,
            "webhook_url": webhook_url(settings, workspace),
        }
