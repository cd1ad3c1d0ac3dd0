"""The demo workspace `enishi demo` seeds: an agency, a workspace on the pro plan and an owner login."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.auth.passwords import hash_password
from enishi.crypto import SecretBox
from enishi.db.engine import Database
from enishi.db.scoping import scoped_to
from enishi.models import Agency, AgencyMembership, Plan, User, Workspace
from enishi.plugin_host import PluginHost
from enishi.settings import Settings
from enishi.tenancy.workspaces import ChannelCredentials, add_member, create_workspace, webhook_url

DEMO_AGENCY = "デモ代理店"
DEMO_WORKSPACE = "縁カフェ (デモ)"
DEMO_CHANNEL_ID = "2000000001"
DEMO_LOGIN_CHANNEL_ID = "2000000002"  # LINE Login, linked to the demo channel: inflow routes and member cards use it


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
            await add_member(session, workspace, user, "owner")
            await session.flush()
            await seed_demo_scenario(session, settings, host, workspace, user)
        if settings.emulator and workspace.line_login_channel_id is None:
            # The emulator knows it from the workspace: the demo's route URLs and card page log in end to end.
            workspace.line_login_channel_id = DEMO_LOGIN_CHANNEL_ID
            workspace.line_login_channel_secret = SecretBox(settings.secret_keys).encrypt(secrets.token_hex(16))
        return {
            "workspace_id": workspace.id,
            "workspace_name": workspace.name,
            "channel_id": workspace.line_channel_id,
            "webhook_url": webhook_url(settings, workspace),
        }


DEMO_SCENARIO = "友だち追加ステップ (デモ)"


async def seed_demo_scenario(
    session: AsyncSession, settings: Settings, host: PluginHost, workspace: Workspace, user: User
) -> None:
    """A published step scenario, so the demo's new friends get a welcome at once and a coupon the next day."""
    if host.registry.get("actions", "messages.send_messages") is None:
        return  # the messages plugin is not installed: nothing to send with
    from enishi.context import WorkspaceContext
    from enishi.scenarios import lifecycle
    from enishi.tenancy.plans import enabled_plugins

    plan = await session.get_one(Plan, workspace.plan_id)
    with scoped_to(session, workspace.id):
        ctx = WorkspaceContext(
            workspace_id=workspace.id,
            session=session,
            host=host,
            settings=settings,
            jobs=None,
            enabled_plugins=await enabled_plugins(session, host, workspace.id, plan),
            timezone=workspace.timezone,
            actor_user_id=user.id,
        )
        ids = [str(uuid.uuid4()) for _ in range(8)]
        welcome = "{{friend.display_name}}さん、友だち追加ありがとうございます！縁カフェです☕"
        coupon = "昨日はありがとうございました。ご来店時にこの画面を見せると、ドリンク1杯無料です🎁"
        nodes = [
            {"id": ids[0], "type": "core.friend_followed", "type_version": 1, "config": {"when": "both"}},
            {
                "id": ids[1],
                "type": "messages.send_messages",
                "type_version": 1,
                "config": {"messages": [{"type": "text", "text": welcome}]},
            },
            {
                "id": ids[2],
                "type": "core.wait_until_time",
                "type_version": 1,
                "config": {"days_after": 1, "time": "10:00"},
            },
            {
                "id": ids[3],
                "type": "messages.send_messages",
                "type_version": 1,
                "config": {"messages": [{"type": "text", "text": coupon}]},
            },
        ]
        edges = [
            {"id": ids[4], "source": ids[0], "source_port": "next", "target": ids[1], "target_port": "in"},
            {"id": ids[5], "source": ids[1], "source_port": "next", "target": ids[2], "target_port": "in"},
            {"id": ids[6], "source": ids[2], "source_port": "next", "target": ids[3], "target_port": "in"},
        ]
        layout = {node["id"]: {"x": 0, "y": 140 * i} for i, node in enumerate(nodes)}
        document = {"schema_version": 1, "nodes": nodes, "edges": edges, "layout": layout}
        scenario = await lifecycle.create(ctx, DEMO_SCENARIO, folder="デモ", document=document)
        await lifecycle.publish(ctx, scenario)


DEMO_NAMES = (
    "佐藤 花子",
    "鈴木 一郎",
    "高橋 美咲",
    "田中 健太",
    "伊藤 さくら",
    "渡辺 翔",
    "山本 陽菜",
    "中村 大輝",
    "小林 結衣",
    "加藤 蓮",
    "吉田 葵",
    "山田 悠斗",
    "佐々木 凛",
    "山口 湊",
    "松本 芽依",
    "井上 陸",
    "木村 心春",
    "林 颯太",
    "斎藤 美月",
    "清水 樹",
    "山崎 杏",
    "森 大和",
    "池田 莉子",
    "橋本 悠真",
    "阿部 紬",
    "石川 蒼",
    "山下 彩花",
    "中島 律",
    "石井 結菜",
    "小川 奏太",
)
DEMO_LINES = (
    "こんにちは！友だち追加しました",
    "営業時間を教えてください",
    "予約はできますか？",
    "クーポンはありますか？",
    "駐車場はありますか",
    "テイクアウトできますか",
    "ありがとうございました！",
    "来週行きます",
)


async def seed_demo_friends(emulator: Any, channel_id: str, count: int = 30) -> int:
    """Simulated LINE users add the account and say something, through signed webhooks to our own URL: the demo's
    friends and conversations come in by the same path as real ones. Skipped when the demo already has them."""
    existing = emulator.channel(channel_id).users
    if len(existing) >= count:
        return 0
    made = 0
    for i, name in enumerate(DEMO_NAMES[:count]):
        user = emulator.add_user(channel_id, name)
        await emulator.follow(channel_id, user.user_id)
        await emulator.send_text(channel_id, user.user_id, DEMO_LINES[i % len(DEMO_LINES)])
        made += 1
    return made
