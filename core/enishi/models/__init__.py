"""Core tables. Importing this module registers them all on ``Base.metadata``."""

from enishi.models.audience import SavedSegment
from enishi.models.audience_bulk import BulkOperation, BulkOperationFriend
from enishi.models.audit import AuditEntry
from enishi.models.auth import ApiToken, LoginAttempt, StaffSession, User
from enishi.models.broadcasts import Broadcast, BroadcastCount, BroadcastDraft, BroadcastRecipient, LineQuota
from enishi.models.friends import Friend
from enishi.models.line import LineEvent, LineRequest, Message, ReadMarker
from enishi.models.line_login import LineLoginState
from enishi.models.media import MediaAsset
from enishi.models.plans import Plan
from enishi.models.scenarios import Scenario, ScenarioRun, ScenarioStep, ScenarioTrigger, ScenarioVersion
from enishi.models.tenancy import (
    Agency,
    AgencyMembership,
    RoleGrant,
    Workspace,
    WorkspaceMembership,
    WorkspacePlugin,
)

__all__ = [
    "Agency",
    "AgencyMembership",
    "ApiToken",
    "AuditEntry",
    "Broadcast",
    "BroadcastCount",
    "BroadcastDraft",
    "BroadcastRecipient",
    "BulkOperation",
    "BulkOperationFriend",
    "Friend",
    "LineEvent",
    "LineLoginState",
    "LineQuota",
    "LineRequest",
    "LoginAttempt",
    "MediaAsset",
    "Message",
    "Plan",
    "ReadMarker",
    "RoleGrant",
    "SavedSegment",
    "Scenario",
    "ScenarioRun",
    "ScenarioStep",
    "ScenarioTrigger",
    "ScenarioVersion",
    "StaffSession",
    "User",
    "Workspace",
    "WorkspaceMembership",
    "WorkspacePlugin",
]
