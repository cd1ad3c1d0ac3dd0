"""Saved funnels under ``/api/workspaces/{workspace_id}/funnels``; running one is the core's report API
(``POST /api/workspaces/{id}/reports/funnels.funnel/run`` with ``{"params": {"funnel_id": …}}``).

    GET    /               saved funnels, by name
    POST   /               {name, stages, segment?}  (stages and segment checked: 422 with paths)
    GET    /{funnel_id}    PATCH {name?, stages?, segment?}   DELETE
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from enishi import ApiError, Ctx, SchemaProblem, WorkspaceContext, add_details, invalid, not_found, segments
from enishi_funnels.models import NAME_MAX, Funnel
from enishi_funnels.permissions import MANAGE
from enishi_funnels.report import MAX_STAGES, stage_problems
from enishi_funnels.report import STAGES_SCHEMA as STAGES_SCHEMA

AnyRequest = Request[Any, Any, Any]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX, pattern=r"\S")]


class Stage(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    config: dict[str, Any]
    type_version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    label: Annotated[str, msgspec.Meta(max_length=100)] | None = None


Stages = Annotated[list[Stage], msgspec.Meta(min_length=1, max_length=MAX_STAGES)]


class FunnelIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    stages: Stages
    segment: dict[str, Any] | None = None


class FunnelPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    stages: Stages | msgspec.UnsetType = msgspec.UNSET
    segment: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET


class FunnelOut(msgspec.Struct):
    id: int
    name: str
    stages: list[dict[str, Any]]
    segment: dict[str, Any] | None


def funnel_out(funnel: Funnel) -> FunnelOut:
    return FunnelOut(id=funnel.id, name=funnel.name, stages=list(funnel.stages), segment=funnel.segment)


def stages_doc(stages: list[Stage]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(s) for s in stages]


async def check(ctx: WorkspaceContext, stages: list[dict[str, Any]], segment: dict[str, Any] | None) -> None:
    problems: list[SchemaProblem] = await stage_problems(ctx, stages, "$.stages")
    if segment is not None:
        problems += await segments.check_segment(ctx, segment, "$.segment")
    if problems:
        raise invalid(problems)


async def name_free(ctx: WorkspaceContext, name: str, but: int | None) -> None:
    found = await ctx.session.scalar(select(Funnel.id).where(Funnel.name == name))
    if found is not None and found != but:
        raise ApiError(
            409,
            "conflict",
            "同じ名前のファネルがあります / a funnel with this name exists",
            [{"path": "$.name", "message": "使われています / taken"}],
        )


async def require(ctx: WorkspaceContext, funnel_id: int) -> Funnel:
    funnel = await ctx.session.get(Funnel, funnel_id)
    if funnel is None:
        raise not_found("funnel")
    return funnel


class FunnelController(Controller):
    path = "/"

    @get("/")
    async def list_funnels(self, ctx: Ctx) -> list[FunnelOut]:
        rows = await ctx.session.scalars(select(Funnel).order_by(Funnel.name, Funnel.id))
        return [funnel_out(f) for f in rows]

    @post("/", permission=MANAGE, status_code=201)
    async def create_funnel(self, request: AnyRequest, ctx: Ctx, data: JSONBody[FunnelIn]) -> FunnelOut:
        name = data.name.strip()
        stages = stages_doc(data.stages)
        await check(ctx, stages, data.segment)
        await name_free(ctx, name, None)
        funnel = Funnel(name=name, stages=stages, segment=data.segment, created_at=ctx.now, updated_at=ctx.now)
        ctx.session.add(funnel)
        await ctx.session.flush()
        add_details(request, funnel=name)
        return funnel_out(funnel)

    @get("/{funnel_id:int}")
    async def show_funnel(self, ctx: Ctx, funnel_id: FromPath[int]) -> FunnelOut:
        return funnel_out(await require(ctx, funnel_id))

    @patch("/{funnel_id:int}", permission=MANAGE)
    async def update_funnel(
        self, request: AnyRequest, ctx: Ctx, funnel_id: FromPath[int], data: JSONBody[FunnelPatch]
    ) -> FunnelOut:
        funnel = await require(ctx, funnel_id)
        stages = funnel.stages if isinstance(data.stages, msgspec.UnsetType) else stages_doc(data.stages)
        segment = funnel.segment if isinstance(data.segment, msgspec.UnsetType) else data.segment
        if not isinstance(data.stages, msgspec.UnsetType) or not isinstance(data.segment, msgspec.UnsetType):
            await check(ctx, stages, segment)
        if not isinstance(data.name, msgspec.UnsetType):
            await name_free(ctx, data.name.strip(), funnel.id)
            funnel.name = data.name.strip()
        funnel.stages, funnel.segment, funnel.updated_at = stages, segment, ctx.now
        await ctx.session.flush()
        add_details(request, funnel=funnel.name)
        return funnel_out(funnel)

    @delete("/{funnel_id:int}", permission=MANAGE, status_code=204)
    async def delete_funnel(self, request: AnyRequest, ctx: Ctx, funnel_id: FromPath[int]) -> None:
        funnel = await require(ctx, funnel_id)
        await ctx.session.delete(funnel)
        add_details(request, funnel=funnel.name)
