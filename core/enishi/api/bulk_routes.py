"""Bulk operation routes under ``/api/workspaces/{workspace_id}/bulk-operations``: queue, follow, cancel."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, Parameter
from sqlalchemy import select

from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.node_permissions import broadcast_error, missing_permissions_error
from enishi.api.pagination import Page, keyset_by_id, page_of
from enishi.api.params import Access, AppServices, Ctx, Db
from enishi.api.workspace_schemas import NodeTypeOut, node_type_out
from enishi.audience import bulk
from enishi.audit import add_details
from enishi.context import WorkspaceContext
from enishi.models.audience_bulk import BULK_STATUSES, BulkOperation
from enishi.tenancy.access import WorkspaceAccess
from enishi.tenancy.permissions import BROADCAST, NodeNeed, actions_needs, needs_broadcast

Limit = Annotated[int, Parameter(ge=1, le=200)]
Id = Annotated[int, msgspec.Meta(ge=1)]
IDEMPOTENCY_HEADER = "Idempotency-Key"


class ActionIn(msgspec.Struct, forbid_unknown_fields=True):
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    config: Any = msgspec.field(default_factory=dict)  # checked against the type's schema, with paths
    type_version: Id | None = None  # the newest when left out; the operation pins it


class TargetIn(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of segment, friend_ids (a selection in the friend list) or saved_segment_id (a tab)."""

    segment: Any = None  # checked by the segment checker, with paths
    exclude: Any = None
    friend_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=bulk.MAX_FRIEND_IDS)] | None = None
    saved_segment_id: Id | None = None
    status: Literal["following", "blocked", "all"] | None = None  # which friends a segment covers


class BulkIn(msgspec.Struct, forbid_unknown_fields=True):
    action: ActionIn
    target: TargetIn


class ActionOut(msgspec.Struct):
    type: str
    type_version: int
    config: dict[str, Any]


class TargetOut(msgspec.Struct):
    segment: dict[str, Any] | None
    exclude: dict[str, Any] | None
    status: str | None
    saved_segment_id: int | None
    selected: int | None  # how many friends were picked one by one


class ProgressOut(msgspec.Struct):
    total: int | None  # friends in the operation; null until it has started
    done: int  # friends the action was applied to
    failed: int  # friends in chunks that failed
    remaining: int | None
    changed: int  # what the action changed (a friend who already had the tag is not changed)
    percent: float | None
    chunks_done: int
    chunks_failed: int


class OperationOut(msgspec.Struct):
    id: int
    status: str  # queued / running / done / failed / cancelled
    action: ActionOut
    target: TargetOut
    progress: ProgressOut
    cancel_requested: bool
    error: str | None
    errors: list[dict[str, Any]]  # the failed chunks: friend-id range, size and error
    created_by: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


def operation_out(op: BulkOperation) -> OperationOut:
    target = op.target
    remaining = None if op.total is None else max(op.total - op.done - op.failed, 0)
    if op.status == "cancelled":
        remaining = 0 if op.total is not None else None
    percent = None
    if op.total is not None:
        percent = 100.0 if op.total == 0 else round(100.0 * (op.done + op.failed) / op.total, 1)
    friend_ids = target.get("friend_ids")
    return OperationOut(
        id=op.id,
        status=op.status,
        action=ActionOut(op.action_type, op.action_version, op.config),
        target=TargetOut(
            segment=target.get("segment"),
            exclude=target.get("exclude"),
            status=target.get("status"),
            saved_segment_id=target.get("saved_segment_id"),
            selected=len(friend_ids) if friend_ids is not None else None,
        ),
        progress=ProgressOut(
            total=op.total,
            done=op.done,
            failed=op.failed,
            remaining=remaining,
            changed=op.changed,
            percent=percent,
            chunks_done=op.chunks_done,
            chunks_failed=op.chunks_failed,
        ),
        cancel_requested=op.cancel_requested,
        error=op.error,
        errors=list(op.errors),
        created_by=op.created_by,
        created_at=op.created_at,
        started_at=op.started_at,
        finished_at=op.finished_at,
        updated_at=op.updated_at,
    )


def _idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not 1 <= len(value) <= 200 or not value.isprintable():
        raise ApiError(
            400,
            "bad_idempotency_key",
            "Idempotency-Key は1〜200文字 / Idempotency-Key must be 1 to 200 printable characters",
            [{"path": f"header:{IDEMPOTENCY_HEADER}", "message": "1〜200文字 / 1 to 200 characters"}],
        )
    return value


async def _require_permissions(ctx: WorkspaceContext, access: WorkspaceAccess, data: BulkIn) -> None:
    """403 unless the user holds what applying the action by hand would need: its own permission and, for
    core.start_scenario, that of every node in the scenario it starts (sending to a segment or many friends is
    then a broadcast)."""
    action = {"type": data.action.type, "type_version": data.action.type_version, "config": data.action.config}
    needs = await actions_needs(ctx, [("$.action", action)])
    missing = needs.missing(access.permissions)
    if missing:
        raise missing_permissions_error([replace(n, path=_where(n)) for n in missing])
    friends = None if data.target.friend_ids is None else len(set(data.target.friend_ids))
    if BROADCAST not in access.permissions and needs_broadcast(needs, friends=friends):
        raise broadcast_error("$.target")


def _where(need: NodeNeed) -> str:
    """The action's type for its own permission; the scenario it starts for that scenario's nodes; the field of
    its config for an action it carries."""
    if need.through_scenario is not None:
        return "$.action.config.scenario_id"
    return "$.action.type" if need.path == "$.action" else need.path


class BulkController(Controller):
    path = "/bulk-operations"
    tags = ("bulk operations",)

    @get("/")
    async def list_operations(
        self, db: Db, status: FromQuery[str | None] = None, after: FromQuery[str | None] = None, limit: Limit = 50
    ) -> Page[OperationOut]:
        """Newest first."""
        query = select(BulkOperation)
        if status is not None:
            if status not in BULK_STATUSES:
                raise ApiError(
                    400,
                    "bad_status",
                    "status must be one of " + ", ".join(BULK_STATUSES),
                    [{"path": "query:status", "message": " / ".join(BULK_STATUSES)}],
                )
            query = query.where(BulkOperation.status == status)
        rows, cursor = page_of(
            list((await db.scalars(keyset_by_id(query, BulkOperation.id, after, limit, descending=True))).all()),
            limit,
            lambda op: op.id,
        )
        return Page([operation_out(op) for op in rows], cursor)

    @get("/actions")
    async def list_actions(self, access: Access, services: AppServices) -> list[NodeTypeOut]:
        """The action types this workspace can apply in bulk and the user may use, with their config schemas (the
        form to fill in)."""
        return [
            node_type_out("actions", e)
            for e in bulk.bulk_actions(services.host.registry, access.enabled_plugins)
            if e.item.permission is None or e.item.permission in access.permissions
        ]

    @post("/", status_code=202, audit="core.create_bulk_operation")
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        access: Access,
        data: JSONBody[BulkIn],
        idempotency_key: Annotated[str | None, HeaderParameter(name=IDEMPOTENCY_HEADER)] = None,
    ) -> Response[OperationOut]:
        """Queue an action for a set of friends; the answer comes at once and the work runs in the background.

        With an ``Idempotency-Key`` header, sending the same request again answers the operation it made
        (``Idempotent-Replayed: true``) instead of making another one.
        """
        key = _idempotency_key(idempotency_key)
        await _require_permissions(ctx, access, data)
        bulk_request = bulk.BulkRequest(
            action_type=data.action.type,
            action_version=data.action.type_version,
            config=data.action.config,
            segment=data.target.segment,
            exclude=data.target.exclude,
            friend_ids=data.target.friend_ids,
            saved_segment_id=data.target.saved_segment_id,
            status=data.target.status,
        )
        try:
            operation, new = await bulk.create_operation(ctx, bulk_request, idempotency_key=key)
        except bulk.InvalidBulkRequest as exc:
            raise invalid(exc.problems) from None
        except bulk.IdempotencyKeyReused:
            raise ApiError(
                409,
                "idempotency_key_reused",
                "この Idempotency-Key は別の内容で使われています / this Idempotency-Key was used for another request",
                [{"path": f"header:{IDEMPOTENCY_HEADER}", "message": "別の内容で使用済み / used for another request"}],
            ) from None
        add_details(
            request,
            operation_id=operation.id,
            action=operation.action_type,
            action_version=operation.action_version,
            config=operation.config,
            target={k: v for k, v in operation.target.items() if k != "friend_ids"}
            | ({"selected": len(operation.target["friend_ids"])} if "friend_ids" in operation.target else {}),
            replayed=not new,
        )
        headers = {} if new else {"Idempotent-Replayed": "true"}
        return Response(operation_out(operation), status_code=202, headers=headers)

    @get("/{operation_id:int}")
    async def show(self, db: Db, operation_id: FromPath[int]) -> OperationOut:
        """The operation with its progress and its result report (counts and the chunks that failed)."""
        operation = await db.get(BulkOperation, operation_id)
        if operation is None:
            raise not_found("bulk operation")
        return operation_out(operation)

    @post("/{operation_id:int}/cancel", status_code=200, audit="core.cancel_bulk_operation")
    async def cancel(self, request: Request[Any, Any, Any], ctx: Ctx, operation_id: FromPath[int]) -> OperationOut:
        """A queued operation stops at once, a running one after the chunk it is doing; what was done stays."""
        try:
            operation = await bulk.request_cancel(ctx, operation_id)
        except bulk.NotCancellable as exc:
            raise ApiError(
                409, "finished", f"この操作はすでに終わっています / the operation is already {exc}"
            ) from None
        if operation is None:
            raise not_found("bulk operation")
        add_details(request, operation_id=operation.id, status=operation.status)
        return operation_out(operation)
