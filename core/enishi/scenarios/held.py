"""Scenario messages held back by quiet hours, for one LINE user: what the simulator shows beside their talk, so
someone trying a scenario at night sees why the greeting has not come ("08:00 に送信予定: 配信しない時間帯")."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select

from enishi.models import Friend, Workspace
from enishi.models.scenarios import Scenario, ScenarioRun

if TYPE_CHECKING:
    from enishi.api.services import Services


async def held_for_line_user(services: Services, channel_id: str, line_user_id: str) -> list[dict[str, str]]:
    async with services.db.session() as session:
        workspace = await session.scalar(select(Workspace).where(Workspace.line_channel_id == channel_id))
    if workspace is None:
        return []
    tz = ZoneInfo(workspace.timezone)
    async with services.db.session(workspace.id) as session:
        rows = (
            await session.execute(
                select(Scenario.name, ScenarioRun.resume_at)
                .join(Scenario, Scenario.id == ScenarioRun.scenario_id)
                .join(Friend, Friend.id == ScenarioRun.friend_id)
                .where(
                    Friend.line_user_id == line_user_id,
                    ScenarioRun.status == "waiting",
                    ScenarioRun.wait_reason == "quiet_hours",
                )
                .order_by(ScenarioRun.resume_at)
            )
        ).all()
    notes = []
    for name, at in rows:
        if at is None:
            continue
        local = at.astimezone(tz)
        when = f"{local.month}/{local.day} {local:%H:%M}"
        notes.append(
            {
                "ja": f"「{name}」のメッセージ: {when} に送信予定: 配信しない時間帯",
                "en": f"“{name}”: to be sent at {when}: quiet hours",
            }
        )
    return notes
