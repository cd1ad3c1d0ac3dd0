"""Enishi (縁): a self-hosted CRM and marketing-automation platform for LINE Official Accounts.

Everything a plugin needs is importable from here::

    from enishi import hookimpl, PluginManifest, Text, ActionType
"""

from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.pagination import Page, decode_cursor, encode_cursor
from enishi.api.params import Access, Ctx, Db
from enishi.audience import segments
from enishi.audit import add_details
from enishi.context import ActionContext, JobContext, WorkspaceContext
from enishi.db.base import Base, BigId, JsonDoc, UTCDateTime, WorkspaceOwned, utcnow
from enishi.db.engine import dialect_of, upsert_insert
from enishi.hookspecs import hookimpl
from enishi.jobs.workspace_state import workspace_state
from enishi.line import login as line_login
from enishi.line import variables as message_variables
from enishi.line.message_check import check_messages
from enishi.line.outbox import send_to_friend
from enishi.line.spec import check_message
from enishi.manifest import PluginManifest
from enishi.models.auth import User
from enishi.models.friends import Friend
from enishi.models.line import Message
from enishi.models.tenancy import WorkspaceMembership
from enishi.nodes import InvalidConfig, check_node_config, evaluate_condition, run_action
from enishi.registry import Register
from enishi.scenarios.lifecycle import scenarios_broken_by
from enishi.schema_validation import SchemaProblem, validate
from enishi.text import Text
from enishi.types import (
    IN,
    NEXT,
    NO,
    YES,
    ActionType,
    ApiRoutes,
    ConditionType,
    DomainEvent,
    FriendFieldDescriptor,
    FriendFieldSource,
    JobType,
    MigrationLocation,
    Permission,
    Port,
    ReportColumn,
    ReportResult,
    ReportSeries,
    ReportType,
    Schedule,
    TriggerType,
)
from enishi.version import CORE_API_VERSION

__all__ = [
    "CORE_API_VERSION",
    "IN",
    "NEXT",
    "NO",
    "YES",
    "Access",
    "ActionContext",
    "ActionType",
    "ApiError",
    "ApiRoutes",
    "Base",
    "BigId",
    "ConditionType",
    "Ctx",
    "Db",
    "DomainEvent",
    "Friend",
    "FriendFieldDescriptor",
    "FriendFieldSource",
    "InvalidConfig",
    "JobContext",
    "JobType",
    "JsonDoc",
    "Message",
    "MigrationLocation",
    "Page",
    "Permission",
    "PluginManifest",
    "Port",
    "Register",
    "ReportColumn",
    "ReportResult",
    "ReportSeries",
    "ReportType",
    "Schedule",
    "SchemaProblem",
    "Text",
    "TriggerType",
    "UTCDateTime",
    "User",
    "WorkspaceContext",
    "WorkspaceMembership",
    "WorkspaceOwned",
    "add_details",
    "check_message",
    "check_messages",
    "check_node_config",
    "decode_cursor",
    "dialect_of",
    "encode_cursor",
    "evaluate_condition",
    "hookimpl",
    "invalid",
    "line_login",
    "message_variables",
    "not_found",
    "run_action",
    "scenarios_broken_by",
    "segments",
    "send_to_friend",
    "upsert_insert",
    "utcnow",
    "validate",
    "workspace_state",
]
