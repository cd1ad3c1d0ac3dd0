"""Staff invitations: a workspace offers a role to an email; whoever signs in with it accepts or declines.

Nobody becomes staff of a workspace without saying yes, and the inviter is told the same whether or not an
account exists for the email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.db.base import utcnow
from enishi.models import User, Workspace, WorkspaceMembership
from enishi.models.auth import StaffInvitation
from enishi.tenancy.workspaces import add_member

VALID_DAYS = 14


class InvitationGone(Exception):
    """No pending invitation with this id for this person (never was, answered, revoked or expired)."""


@dataclass(frozen=True)
class OpenInvitation:
    invitation: StaffInvitation
    workspace_name: str
    invited_by_name: str | None


def new_invitation(workspace_id: int, email: str, role: str, invited_by: int | None) -> StaffInvitation:
    now = utcnow()
    return StaffInvitation(
        workspace_id=workspace_id,
        email=email,
        role=role,
        status="pending",
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=VALID_DAYS),
    )


def is_open(invitation: StaffInvitation) -> bool:
    return invitation.status == "pending" and invitation.expires_at > utcnow()


async def open_for(session: AsyncSession, email: str) -> list[OpenInvitation]:
    """The pending, unexpired invitations addressed to this email, oldest first."""
    rows = await session.execute(
        select(StaffInvitation, Workspace.name, User.display_name)
        .join(Workspace, Workspace.id == StaffInvitation.workspace_id)
        .outerjoin(User, User.id == StaffInvitation.invited_by)
        .where(
            StaffInvitation.email == email,
            StaffInvitation.status == "pending",
            StaffInvitation.expires_at > utcnow(),
        )
        .order_by(StaffInvitation.id)
    )
    return [OpenInvitation(i, name, inviter) for i, name, inviter in rows]


async def respond(session: AsyncSession, user: User, invitation_id: int, *, accept: bool) -> StaffInvitation:
    """Accept (the user becomes staff with the offered role; SeatLimitReached if the plan is full) or decline."""
    invitation = await session.scalar(
        select(StaffInvitation).where(StaffInvitation.id == invitation_id, StaffInvitation.email == user.email)
    )
    if invitation is None or not is_open(invitation):
        raise InvitationGone
    if accept:
        member = await session.scalar(
            select(WorkspaceMembership.id).where(
                WorkspaceMembership.workspace_id == invitation.workspace_id, WorkspaceMembership.user_id == user.id
            )
        )
        if member is None:  # already staff (added another way): accepting changes nothing
            workspace = await session.get_one(Workspace, invitation.workspace_id)
            await add_member(session, workspace, user, invitation.role)
    invitation.status = "accepted" if accept else "declined"
    invitation.responded_at = utcnow()
    await session.flush()
    return invitation
