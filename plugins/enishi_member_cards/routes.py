"""Workspace API under ``/api/workspaces/{workspace_id}/member_cards``.

GET  /design                     the card design;  PUT (member_cards.manage) replaces it
POST /cards {friend_id}          issue the friend's card (idempotent: an existing card is returned)
GET  /cards/{friend_id}          the friend's card;  GET /cards?member_number= looks one up by number
GET  /cards/{friend_id}/history  point and stamp changes, newest first
GET  /cards/{friend_id}/link     a signed, expiring link to the card page for the friend
POST /points                     add or subtract points and stamps, by member number or friend id
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from sqlalchemy import select

from enishi import Ctx, WorkspaceContext, add_details, invalid, not_found
from enishi_member_cards import links, service
from enishi_member_cards.models import NAME_MAX, NUMBER_MAX, RANK_MAX, REASON_MAX, URL_MAX, Card, CardChange, Design
from enishi_member_cards.permissions import MANAGE, POINTS

AnyRequest = Request[Any, Any, Any]
Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9A-Fa-f]{6}$")]
MAX_DELTA = 1_000_000_000
DEFAULT_LINK_MINUTES = 24 * 60


class RankIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=RANK_MAX, pattern=r"\S")]
    threshold: Annotated[int, msgspec.Meta(ge=-MAX_DELTA, le=MAX_DELTA)]


class DesignIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX, pattern=r"\S")]
    background_color: Color = "#1f3a5f"
    text_color: Color = "#ffffff"
    logo_url: Annotated[str, msgspec.Meta(max_length=URL_MAX, pattern=r"^https?://\S+$")] | None = None
    # Code128 carries any ASCII, but a prefix staff can type and read aloud is letters, digits and "-".
    number_prefix: Annotated[str, msgspec.Meta(max_length=10, pattern=r"^[A-Z0-9-]*$")] = ""
    number_digits: Annotated[int, msgspec.Meta(ge=4, le=16)] = 8
    issue_on_follow: bool = True
    allow_negative: bool = False
    stamp_goal: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    ranks: Annotated[list[RankIn], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=list)


class DesignOut(msgspec.Struct):
    name: str
    background_color: str
    text_color: str
    logo_url: str | None
    number_prefix: str
    number_digits: int
    next_number: int
    issue_on_follow: bool
    allow_negative: bool
    stamp_goal: int
    ranks: list[dict[str, Any]]
    updated_at: datetime


class IssueIn(msgspec.Struct, forbid_unknown_fields=True):
    friend_id: Id


class CardOut(msgspec.Struct):
    friend_id: int
    member_number: str
    points: int
    stamps: int
    rank: str | None
    issued_at: datetime
    updated_at: datetime


class IssueOut(msgspec.Struct):
    card: CardOut
    issued: bool  # false: the friend already had this card


class PointsIn(msgspec.Struct, forbid_unknown_fields=True):
    member_number: Annotated[str, msgspec.Meta(min_length=1, max_length=NUMBER_MAX)] | None = None
    friend_id: Id | None = None
    delta: Annotated[int, msgspec.Meta(ge=-MAX_DELTA, le=MAX_DELTA)] = 0
    stamps: Annotated[int, msgspec.Meta(ge=-10_000, le=10_000)] = 0
    reason: Annotated[str, msgspec.Meta(max_length=REASON_MAX)] = ""


class PointsOut(msgspec.Struct):
    card: CardOut
    points_delta: int
    stamps_delta: int
    previous_rank: str | None
    rank_changed: bool


class ChangeOut(msgspec.Struct):
    id: int
    points_delta: int
    stamps_delta: int
    points_after: int
    stamps_after: int
    rank_after: str | None
    reason: str
    source: str
    user_id: int | None
    created_at: datetime


class LinkOut(msgspec.Struct):
    url: str
    expires_at: datetime


def design_out(d: Design) -> DesignOut:
    return DesignOut(
        name=d.name,
        background_color=d.background_color,
        text_color=d.text_color,
        logo_url=d.logo_url,
        number_prefix=d.number_prefix,
        number_digits=d.number_digits,
        next_number=d.next_number,
        issue_on_follow=d.issue_on_follow,
        allow_negative=d.allow_negative,
        stamp_goal=d.stamp_goal,
        ranks=[{"name": n, "threshold": t} for t, n in service.sorted_ranks(d.ranks)],
        updated_at=d.updated_at,
    )


def card_out(c: Card) -> CardOut:
    return CardOut(c.friend_id, c.member_number, int(c.points), int(c.stamps), c.rank, c.issued_at, c.updated_at)


async def require_card(ctx: WorkspaceContext, friend_id: int) -> Card:
    card = await service.card_of(ctx, friend_id)
    if card is None:
        raise not_found("card")
    return card


class DesignController(Controller):
    path = "/design"

    @get("/")
    async def show_design(self, ctx: Ctx) -> DesignOut:
        return design_out(await service.design_of(ctx))

    @put("/", permission=MANAGE)
    async def replace_design(self, request: AnyRequest, ctx: Ctx, data: JSONBody[DesignIn]) -> DesignOut:
        problems = []
        names: set[str] = set()
        thresholds: set[int] = set()
        for n, rank in enumerate(data.ranks):
            name = rank.name.strip()
            if name in names:
                problems.append({"path": f"$.ranks[{n}].name", "message": "同じ名前のランクがあります / duplicate"})
            if rank.threshold in thresholds:
                problems.append(
                    {"path": f"$.ranks[{n}].threshold", "message": "同じ基準値のランクがあります / duplicate"}
                )
            names.add(name)
            thresholds.add(rank.threshold)
        if problems:
            raise invalid(problems)
        design = await service.design_of(ctx)
        ranks_before = service.sorted_ranks(design.ranks)
        for key in ("name", "background_color", "text_color", "logo_url", "number_prefix", "number_digits"):
            setattr(design, key, getattr(data, key))
        design.background_color = data.background_color.lower()
        design.text_color = data.text_color.lower()
        design.name = data.name.strip()
        design.issue_on_follow = data.issue_on_follow
        design.allow_negative = data.allow_negative
        design.stamp_goal = data.stamp_goal
        design.ranks = [{"name": r.name.strip(), "threshold": r.threshold} for r in data.ranks]
        design.updated_at = ctx.now
        await ctx.session.flush()
        recomputed = 0
        if service.sorted_ranks(design.ranks) != ranks_before:
            recomputed = await service.recompute_ranks(ctx, design)
        add_details(request, design=design.name, cards_reranked=recomputed)
        return design_out(design)


class CardController(Controller):
    path = "/cards"

    @post("/", permission=POINTS, status_code=200)
    async def issue_card(self, request: AnyRequest, ctx: Ctx, data: JSONBody[IssueIn]) -> IssueOut:
        try:
            card, issued = await service.issue(ctx, data.friend_id, source="manual")
        except LookupError:
            raise invalid([{"path": "$.friend_id", "message": "友だちが見つかりません / no such friend"}]) from None
        add_details(request, friend_id=data.friend_id, member_number=card.member_number, issued=issued)
        return IssueOut(card_out(card), issued)

    @get("/")
    async def find_card(
        self, ctx: Ctx, member_number: Annotated[str, QueryParameter(min_length=1, max_length=NUMBER_MAX)]
    ) -> CardOut:
        card = await service.card_by_number(ctx, member_number.strip())
        if card is None:
            raise not_found("card")
        return card_out(card)

    @get("/{friend_id:int}")
    async def show_card(self, ctx: Ctx, friend_id: FromPath[int]) -> CardOut:
        return card_out(await require_card(ctx, friend_id))

    @get("/{friend_id:int}/history")
    async def card_history(
        self,
        ctx: Ctx,
        friend_id: FromPath[int],
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> list[ChangeOut]:
        await require_card(ctx, friend_id)
        rows = await ctx.session.scalars(
            select(CardChange)
            .where(CardChange.workspace_id == ctx.workspace_id, CardChange.friend_id == friend_id)
            .order_by(CardChange.id.desc())
            .limit(limit)
        )
        return [
            ChangeOut(
                c.id,
                int(c.points_delta),
                int(c.stamps_delta),
                int(c.points_after),
                int(c.stamps_after),
                c.rank_after,
                c.reason,
                c.source,
                c.user_id,
                c.created_at,
            )
            for c in rows
        ]

    @get("/{friend_id:int}/link")
    async def card_link(
        self,
        ctx: Ctx,
        friend_id: FromPath[int],
        minutes: Annotated[int, QueryParameter(ge=1, le=30 * 24 * 60)] = DEFAULT_LINK_MINUTES,
    ) -> LinkOut:
        await require_card(ctx, friend_id)
        ttl = timedelta(minutes=minutes)
        token = links.sign(ctx.settings.secret_keys, ctx.workspace_id, friend_id, ctx.now, ttl)
        return LinkOut(f"{ctx.settings.public_url}/p/member_cards/card/{token}", ctx.now + ttl)


class PointsController(Controller):
    path = "/points"

    @post("/", permission=POINTS, status_code=200)
    async def change_points(self, request: AnyRequest, ctx: Ctx, data: JSONBody[PointsIn]) -> PointsOut:
        if (data.member_number is None) == (data.friend_id is None):
            raise invalid(
                [{"path": "$.member_number", "message": "会員番号か友だちIDの一方 / one of member_number, friend_id"}]
            )
        if data.delta == 0 and data.stamps == 0:
            raise invalid([{"path": "$.delta", "message": "0以外を指定してください / nothing to change"}])
        if data.member_number is not None:
            card = await service.card_by_number(ctx, data.member_number.strip())
            if card is None:
                raise invalid([{"path": "$.member_number", "message": "会員番号が見つかりません / no such card"}])
        else:
            assert data.friend_id is not None
            found = await service.card_of(ctx, data.friend_id)
            if found is None:
                raise invalid([{"path": "$.friend_id", "message": "会員証が発行されていません / no card"}])
            card = found
        friend_id = card.friend_id
        try:
            done = await service.change(
                ctx, friend_id, data.delta, data.stamps, reason=data.reason.strip(), source="manual"
            )
        except service.NotEnough as exc:
            what = "ポイント" if exc.field == "delta" else "スタンプ"
            raise invalid(
                [{"path": f"$.{exc.field}", "message": f"{what}が足りません(現在 {exc.current}) / not enough"}]
            ) from None
        add_details(request, friend_id=friend_id, points_delta=data.delta, stamps_delta=data.stamps, reason=data.reason)
        refreshed = await require_card(ctx, friend_id)
        return PointsOut(card_out(refreshed), data.delta, data.stamps, done.old_rank, done.old_rank != done.rank)
