"""Enishi (縁): a self-hosted CRM and marketing-automation platform for LINE Official Accounts.

Everything a plugin needs is importable from here::

    from enishi import hookimpl, PluginManifest, Text, ActionType
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from enishi.deferred_imports import defer_iri_syntax

defer_iri_syntax()  # before anything imports jsonschema

if TYPE_CHECKING:
    from enishi import events, media
    from enishi.api.errors import ApiError, invalid, not_found
    from enishi.api.helpers import already_taken, flush_or_conflict, get_or_404, missing_ids, unknown_ids
    from enishi.api.node_permissions import require_action_permissions
    from enishi.api.pagination import Page, bad_cursor, decode_cursor, encode_cursor, read_cursor
    from enishi.api.params import Access, Ctx, Db
    from enishi.audience import segments
    from enishi.audit import add_details
    from enishi.context import ActionContext, BulkActionContext, JobContext, WorkspaceContext
    from enishi.db.base import Base, BigId, JsonDoc, UTCDateTime, WorkspaceOwned, utcnow
    from enishi.db.engine import dialect_of, upsert_insert
    from enishi.events import EventType
    from enishi.hookspecs import hookimpl
    from enishi.jobs.workspace_state import (
        WorkspaceUnavailable,
        open_workspace,
        plugin_enabled,
        workspace_context,
        workspace_state,
    )
    from enishi.labelled_choices import choice_values, choices
    from enishi.line import login as line_login
    from enishi.line import variables as message_variables
    from enishi.line.message_check import check_messages
    from enishi.line.outbox import FriendSend, send_to_friend, send_to_friends
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
        BulkResult,
        ConditionType,
        DomainEvent,
        FriendFieldDescriptor,
        FriendFieldSource,
        JobType,
        Lookup,
        MigrationLocation,
        Permission,
        Port,
        ReportColumn,
        ReportResult,
        ReportSeries,
        ReportType,
        Resource,
        ResourceColumn,
        Schedule,
        TriggerType,
        UiModule,
    )
    from enishi.version import CORE_API_VERSION

# Imported on first use rather than here: `enishi --help` or a worker must not pay for the web framework, the LINE
# SDK and the JSON Schema format checkers just because every module of the package starts with `import enishi`.
_LAZY: dict[str, tuple[str, str | None]] = {
    "Access": ("enishi.api.params", "Access"),
    "ActionContext": ("enishi.context", "ActionContext"),
    "BulkActionContext": ("enishi.context", "BulkActionContext"),
    "FriendSend": ("enishi.line.outbox", "FriendSend"),
    "send_to_friends": ("enishi.line.outbox", "send_to_friends"),
    "BulkResult": ("enishi.types", "BulkResult"),
    "ActionType": ("enishi.types", "ActionType"),
    "ApiError": ("enishi.api.errors", "ApiError"),
    "ApiRoutes": ("enishi.types", "ApiRoutes"),
    "Base": ("enishi.db.base", "Base"),
    "BigId": ("enishi.db.base", "BigId"),
    "CORE_API_VERSION": ("enishi.version", "CORE_API_VERSION"),
    "ConditionType": ("enishi.types", "ConditionType"),
    "Ctx": ("enishi.api.params", "Ctx"),
    "Db": ("enishi.api.params", "Db"),
    "DomainEvent": ("enishi.types", "DomainEvent"),
    "EventType": ("enishi.events", "EventType"),
    "Friend": ("enishi.models.friends", "Friend"),
    "FriendFieldDescriptor": ("enishi.types", "FriendFieldDescriptor"),
    "FriendFieldSource": ("enishi.types", "FriendFieldSource"),
    "IN": ("enishi.types", "IN"),
    "InvalidConfig": ("enishi.nodes", "InvalidConfig"),
    "JobContext": ("enishi.context", "JobContext"),
    "JobType": ("enishi.types", "JobType"),
    "JsonDoc": ("enishi.db.base", "JsonDoc"),
    "Lookup": ("enishi.types", "Lookup"),
    "Message": ("enishi.models.line", "Message"),
    "MigrationLocation": ("enishi.types", "MigrationLocation"),
    "NEXT": ("enishi.types", "NEXT"),
    "NO": ("enishi.types", "NO"),
    "Page": ("enishi.api.pagination", "Page"),
    "Permission": ("enishi.types", "Permission"),
    "PluginManifest": ("enishi.manifest", "PluginManifest"),
    "Port": ("enishi.types", "Port"),
    "Register": ("enishi.registry", "Register"),
    "ReportColumn": ("enishi.types", "ReportColumn"),
    "ReportResult": ("enishi.types", "ReportResult"),
    "ReportSeries": ("enishi.types", "ReportSeries"),
    "ReportType": ("enishi.types", "ReportType"),
    "Resource": ("enishi.types", "Resource"),
    "ResourceColumn": ("enishi.types", "ResourceColumn"),
    "Schedule": ("enishi.types", "Schedule"),
    "SchemaProblem": ("enishi.schema_validation", "SchemaProblem"),
    "Text": ("enishi.text", "Text"),
    "TriggerType": ("enishi.types", "TriggerType"),
    "UiModule": ("enishi.types", "UiModule"),
    "UTCDateTime": ("enishi.db.base", "UTCDateTime"),
    "User": ("enishi.models.auth", "User"),
    "WorkspaceContext": ("enishi.context", "WorkspaceContext"),
    "WorkspaceMembership": ("enishi.models.tenancy", "WorkspaceMembership"),
    "WorkspaceOwned": ("enishi.db.base", "WorkspaceOwned"),
    "WorkspaceUnavailable": ("enishi.jobs.workspace_state", "WorkspaceUnavailable"),
    "YES": ("enishi.types", "YES"),
    "add_details": ("enishi.audit", "add_details"),
    "already_taken": ("enishi.api.helpers", "already_taken"),
    "bad_cursor": ("enishi.api.pagination", "bad_cursor"),
    "check_message": ("enishi.line.spec", "check_message"),
    "check_messages": ("enishi.line.message_check", "check_messages"),
    "check_node_config": ("enishi.nodes", "check_node_config"),
    "choice_values": ("enishi.labelled_choices", "choice_values"),
    "choices": ("enishi.labelled_choices", "choices"),
    "decode_cursor": ("enishi.api.pagination", "decode_cursor"),
    "dialect_of": ("enishi.db.engine", "dialect_of"),
    "encode_cursor": ("enishi.api.pagination", "encode_cursor"),
    "evaluate_condition": ("enishi.nodes", "evaluate_condition"),
    "events": ("enishi.events", None),
    "flush_or_conflict": ("enishi.api.helpers", "flush_or_conflict"),
    "get_or_404": ("enishi.api.helpers", "get_or_404"),
    "hookimpl": ("enishi.hookspecs", "hookimpl"),
    "invalid": ("enishi.api.errors", "invalid"),
    "line_login": ("enishi.line.login", None),
    "media": ("enishi.media", None),
    "message_variables": ("enishi.line.variables", None),
    "missing_ids": ("enishi.api.helpers", "missing_ids"),
    "not_found": ("enishi.api.errors", "not_found"),
    "open_workspace": ("enishi.jobs.workspace_state", "open_workspace"),
    "plugin_enabled": ("enishi.jobs.workspace_state", "plugin_enabled"),
    "read_cursor": ("enishi.api.pagination", "read_cursor"),
    "require_action_permissions": ("enishi.api.node_permissions", "require_action_permissions"),
    "run_action": ("enishi.nodes", "run_action"),
    "scenarios_broken_by": ("enishi.scenarios.lifecycle", "scenarios_broken_by"),
    "segments": ("enishi.audience.segments", None),
    "send_to_friend": ("enishi.line.outbox", "send_to_friend"),
    "unknown_ids": ("enishi.api.helpers", "unknown_ids"),
    "upsert_insert": ("enishi.db.engine", "upsert_insert"),
    "utcnow": ("enishi.db.base", "utcnow"),
    "validate": ("enishi.schema_validation", "validate"),
    "workspace_context": ("enishi.jobs.workspace_state", "workspace_context"),
    "workspace_state": ("enishi.jobs.workspace_state", "workspace_state"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'enishi' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value  # once: later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
    "BulkActionContext",
    "BulkResult",
    "ConditionType",
    "Ctx",
    "Db",
    "DomainEvent",
    "EventType",
    "Friend",
    "FriendFieldDescriptor",
    "FriendFieldSource",
    "FriendSend",
    "InvalidConfig",
    "JobContext",
    "JobType",
    "JsonDoc",
    "Lookup",
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
    "Resource",
    "ResourceColumn",
    "Schedule",
    "SchemaProblem",
    "Text",
    "TriggerType",
    "UTCDateTime",
    "UiModule",
    "User",
    "WorkspaceContext",
    "WorkspaceMembership",
    "WorkspaceOwned",
    "WorkspaceUnavailable",
    "add_details",
    "already_taken",
    "bad_cursor",
    "check_message",
    "check_messages",
    "check_node_config",
    "choice_values",
    "choices",
    "decode_cursor",
    "dialect_of",
    "encode_cursor",
    "evaluate_condition",
    "events",
    "flush_or_conflict",
    "get_or_404",
    "hookimpl",
    "invalid",
    "line_login",
    "media",
    "message_variables",
    "missing_ids",
    "not_found",
    "open_workspace",
    "plugin_enabled",
    "read_cursor",
    "require_action_permissions",
    "run_action",
    "scenarios_broken_by",
    "segments",
    "send_to_friend",
    "send_to_friends",
    "unknown_ids",
    "upsert_insert",
    "utcnow",
    "validate",
    "workspace_context",
    "workspace_state",
]
