"""What plugins register through the registration hooks.

Each item has a short ``name``; the registry namespaces it as ``<plugin>.<name>`` and records which plugin and
version supplied it. Node types (triggers, actions, conditions) also carry an integer ``version``: a saved
scenario pins it, and a plugin keeps old versions registered for as long as saved scenarios may use them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from enishi.text import Text

if TYPE_CHECKING:
    from sqlalchemy.sql import ColumnElement, Select

    from enishi.context import ActionContext, BulkActionContext, JobContext, WorkspaceContext
    from enishi.schema_validation import SchemaProblem

# What an action's set-based form answers: how many friends it changed, or each friend's result by friend id.
BulkResult = int | Mapping[int, Mapping[str, Any]]
Resumes = Mapping[int, datetime | None]  # friend id → when a wait ends for that friend (None: it does not wait)

Role = Literal["owner", "admin", "operator", "viewer"]
ROLES: tuple[Role, ...] = ("owner", "admin", "operator", "viewer")
EMPTY_OBJECT_SCHEMA: Mapping[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}


def _empty_object_schema() -> dict[str, Any]:
    return dict(EMPTY_OBJECT_SCHEMA)


@dataclass(frozen=True, slots=True)
class Port:
    """A named connection point on a node, e.g. ``next``, ``yes`` / ``no`` or ``timeout``."""

    name: str
    label: Text


NEXT = Port("next", Text("次へ", "Next"))
YES = Port("yes", Text("はい", "Yes"))
NO = Port("no", Text("いいえ", "No"))
IN = Port("in", Text("入力", "In"))


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened to a friend (followed, tag added, postback, …); triggers listen for these."""

    name: str  # namespaced, e.g. "core.friend_followed" or "tags.tag_added"
    workspace_id: int
    friend_id: int | None
    occurred_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class NodeType:
    name: str
    label: Text
    config_schema: Mapping[str, Any] = field(default_factory=_empty_object_schema)
    version: int = 1
    description: Text | None = None
    ui_schema: Mapping[str, Any] = field(default_factory=dict)  # RJSF hints, kept apart from the schema
    inputs: tuple[Port, ...] = (IN,)
    outputs: tuple[Port, ...] = (NEXT,)
    # Node keys (``<plugin>.<name>``) this node may connect to; None allows any node that has an input.
    allowed_targets: tuple[str, ...] | None = None
    deprecated: bool = False
    # The permission (``<plugin>.<name>``) a user needs to put this node in a scenario (saving, publishing,
    # starting it) or to apply it in a bulk operation, as when doing the same by hand; None when changing
    # scenarios (core.write) is enough. Without it a revoked permission could be used through a scenario.
    permission: str | None = None
    # Checks the schema cannot make, against the workspace's data: tags, fields or marks the config names that do
    # not exist (any more). Problems carry paths relative to the config, e.g. ``$.tag_ids[1]``.
    check_config: Callable[[WorkspaceContext, Mapping[str, Any]], Awaitable[Sequence[SchemaProblem]]] | None = None


@dataclass(frozen=True, kw_only=True)
class TriggerType(NodeType):
    """Starts or resumes a scenario when a domain event it listens to matches its config."""

    listens_to: tuple[str, ...]
    matches: Callable[[Mapping[str, Any], DomainEvent], bool]
    inputs: tuple[Port, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ActionType(NodeType):
    """Does something for one friend (a scenario step) and, optionally, for a set of friends in SQL (bulk)."""

    run: Callable[[ActionContext, int, Mapping[str, Any]], Awaitable[Mapping[str, Any] | None]]
    # The set-based form, used by scenario steps (a batch of runs at this node) and bulk operations: applies the
    # action to every friend id the select yields, in set-based SQL, in the caller's transaction. It answers how
    # many friends it changed, or each friend's result (recorded on that friend's scenario step).
    # ``ctx.idempotency_keys`` gives a key per friend when each friend's effect must happen once (a step's sends).
    # Without it the engine runs ``run`` once per friend, which is correct but slow.
    run_bulk: Callable[[BulkActionContext, Select[Any], Mapping[str, Any]], Awaitable[BulkResult]] | None = None
    sends_messages: bool = False
    # The actions a config carries that run later on their own, e.g. those behind a message's buttons, run when a
    # friend taps: ``(path relative to the config, {"type", "type_version", "config"})`` each, those of anything
    # the config refers to (a saved template) included. Whoever puts this action to work (a scenario, a bulk
    # operation) needs their permissions too, as when configuring them anywhere else.
    actions_inside: (
        Callable[[WorkspaceContext, Mapping[str, Any]], Awaitable[Sequence[tuple[str, Mapping[str, Any]]]]] | None
    ) = None


@dataclass(frozen=True, kw_only=True)
class ConditionType(NodeType):
    """A predicate over friends, compiled to one SQL expression correlated with ``friends.id``.

    The same expression serves a scenario branch (one friend) and a segment (all friends), so both agree.
    """

    compile: Callable[[WorkspaceContext, Mapping[str, Any]], ColumnElement[bool]]
    outputs: tuple[Port, ...] = (YES, NO)
    usable_in_segments: bool = True


@dataclass(frozen=True, kw_only=True)
class WaitType(NodeType):
    """Pauses a scenario run until a time (``resume_at``) and/or a domain event (``event_of``).

    ``resume_at(ctx, friend_id, config, since)`` gives when the run goes on through the first output port;
    ``event_of(config)`` names a trigger (key, version, config) whose event resumes the run early through the
    ``event`` port. Waits are the core's: the engine keeps them as rows with a resume time.
    """

    resume_at: Callable[[WorkspaceContext, int, Mapping[str, Any], datetime], Awaitable[datetime | None]]
    # The set-based form for a batch of runs reaching the wait together: each friend's resume time (or None).
    resume_at_many: (
        Callable[
            [WorkspaceContext, Sequence[int], Mapping[str, Any], datetime], Awaitable[Mapping[int, datetime | None]]
        ]
        | None
    ) = None
    event_of: Callable[[Mapping[str, Any]], tuple[str, int | None, Mapping[str, Any]] | None] | None = None


@dataclass(frozen=True, slots=True)
class FriendFieldDescriptor:
    key: str  # unique within its source, e.g. "birthday" or "points"
    label: Text
    value_schema: Mapping[str, Any]
    sortable: bool = False
    # A column the friend list shows unless the staff member picked columns (e.g. pinned tags).
    shown_by_default: bool = False


@dataclass(frozen=True, kw_only=True)
class FriendFieldSource:
    """Typed data about friends: shown on the profile, usable in conditions, message variables and columns."""

    name: str
    label: Text
    describe: Callable[[WorkspaceContext], Awaitable[Sequence[FriendFieldDescriptor]]]
    load: Callable[[WorkspaceContext, Sequence[int], Sequence[str]], Awaitable[Mapping[int, Mapping[str, Any]]]]
    # A scalar SQL expression per friend row (correlated with friends.id), for sorting and list columns.
    column: Callable[[WorkspaceContext, str], ColumnElement[Any]] | None = None


@dataclass(frozen=True, slots=True)
class ReportColumn:
    key: str
    label: Text
    type: Literal["string", "integer", "number", "percent", "date", "datetime"] = "string"


@dataclass(frozen=True, slots=True)
class ReportSeries:
    key: str
    label: Text
    points: Sequence[tuple[str, float]]


@dataclass(frozen=True, slots=True)
class ReportResult:
    columns: Sequence[ReportColumn]
    rows: Sequence[Mapping[str, Any]]
    series: Sequence[ReportSeries] = ()
    chart: Literal["table", "line", "bar", "funnel", "heatmap"] = "table"


@dataclass(frozen=True, kw_only=True)
class ReportType:
    name: str
    label: Text
    run: Callable[[WorkspaceContext, Mapping[str, Any]], Awaitable[ReportResult]]
    params_schema: Mapping[str, Any] = field(default_factory=_empty_object_schema)
    ui_schema: Mapping[str, Any] = field(default_factory=dict)
    description: Text | None = None
    version: int = 1


@dataclass(frozen=True, kw_only=True)
class ApiRoutes:
    """Litestar route handlers, controllers or routers a plugin serves.

    Workspace routes are mounted under ``/api/workspaces/{workspace_id}/<plugin>``, need a signed-in staff
    member of that workspace and answer 404 where the plugin is disabled. Public routes are mounted under
    ``/p/<plugin>`` without staff auth (route links, card pages); they must check enablement themselves.
    """

    handlers: Sequence[Any]
    public: bool = False
    name: str = "routes"


@dataclass(frozen=True, kw_only=True)
class JobType:
    """A background job: ``fn(ctx, **kwargs)``. It may run twice, so it must be idempotent."""

    name: str
    fn: Callable[..., Awaitable[Any]]
    timeout: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """A job run periodically by whichever worker is running, e.g. a sweeper."""

    name: str
    fn: Callable[[JobContext], Awaitable[Any]]
    every: timedelta


@dataclass(frozen=True, kw_only=True)
class Permission:
    """A permission a plugin declares; the listed roles grant it unless a workspace changes that."""

    name: str
    label: Text
    roles: frozenset[Role] = frozenset({"owner", "admin"})


@dataclass(frozen=True, kw_only=True)
class MigrationLocation:
    """A folder of Alembic revisions forming the plugin's own branch (branch label = plugin name)."""

    path: Path
    name: str = "migrations"


# -- what the console draws (enishi_register_screens) -------------------------------------------------------------

LookupType = Literal["integer", "string"]
ColumnFormat = Literal["text", "color", "number", "datetime", "boolean", "lookup"]


@dataclass(frozen=True, kw_only=True)
class Lookup:
    """A named list of the workspace's data that forms pick from: a tag, a mark, a staff member, a template.

    ``path`` is below ``/api/workspaces/{id}`` and answers a list of rows (a page ``{items: [...]}`` if ``paged``);
    each row's ``value_field`` is what a config stores, ``label_field`` what a person sees. A schema property named
    in ``properties`` (with that JSON type, or an array of it) gets this picker wherever it appears; a uiSchema names
    it explicitly with ``{"ui:options": {"lookup": "<plugin>.<name>"}}`` or through one of its ``widgets``.

    With ``send_path``, a row can also be sent to one friend from the 1:1 reply box: the console POSTs
    ``{"friend_id": …, <send_field>: <the row's value>, "idempotency_key": …}`` there (a saved message template).
    With ``messages_field``, each row carries LINE messages in that field: message composers that take messages
    as written (the broadcast composer) offer the rows to insert, and what is inserted is checked like any message.
    """

    name: str
    label: Text
    path: str
    paged: bool = False
    value_field: str = "id"
    label_field: str = "name"
    hint_field: str | None = None
    color_field: str | None = None
    properties: Mapping[str, LookupType] = field(default_factory=dict)
    widgets: tuple[str, ...] = ()
    send_path: str | None = None
    send_field: str | None = None
    messages_field: str | None = None


@dataclass(frozen=True, kw_only=True)
class ResourceColumn:
    """A column of a resource's list: a field of each row, shown as ``format`` (``lookup``: that lookup's label)."""

    field: str
    title: Text
    format: ColumnFormat = "text"
    lookup: str | None = None


@dataclass(frozen=True, kw_only=True)
class Resource:
    """A list and an edit form the console draws over a plugin's plain REST routes, with no UI code.

    ``path`` (below ``/api/workspaces/{id}``) lists with GET and creates with POST; ``item_path`` (with ``{id}``)
    changes with ``update`` (PATCH or PUT) and removes with DELETE. ``schema`` is the body those write routes accept,
    exactly; ``example`` is one such body, which the tests create, find in the list, update and delete.
    """

    name: str
    title: Text
    path: str
    item_path: str
    schema: Mapping[str, Any]
    example: Mapping[str, Any]
    description: Text | None = None
    group: Literal["data", "workspace"] = "data"
    order: int = 100
    paged: bool = False
    id_field: str = "id"
    label_field: str = "name"
    columns: Sequence[ResourceColumn] = ()
    ui_schema: Mapping[str, Any] = field(default_factory=dict)
    create: bool = True
    update: Literal["patch", "put"] | None = "patch"
    delete: bool = True
    # The permission (``<plugin>.<name>``) the write routes require; the list shows to everyone who may use the plugin.
    permission: str | None = None


@dataclass(frozen=True, kw_only=True)
class UiModule:
    """A prebuilt ES module inside the plugin's package, served from the app's origin under a content hash.

    Its default export receives the console's slot API and fills settings pages, panels, columns and widgets.
    A module whose file is missing (its UI was not built) is left out of the catalog, with one warning.
    """

    path: Path
    name: str = "ui"
