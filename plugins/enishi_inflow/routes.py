"""Workspace API under ``/api/workspaces/{workspace_id}/inflow`` and the public route pages under ``/p/inflow``.

GET    /routes?folder=              routes with their public URL and visit counts
POST   /routes                      GET/PATCH/DELETE /routes/{route_id}
GET    /routes/{route_id}/qr.png    the QR code of the route's URL (also qr.svg), as a download

GET    /p/inflow/r/{code}           public: records the visit; with a LINE Login channel, on to LINE Login (302),
                                    otherwise the landing page (add friend, send code)
GET    /p/inflow/login              public: LINE Login's callback; the visit becomes the LINE user's
"""

from __future__ import annotations

import html
import io
from typing import Annotated, Any, Literal

import msgspec
import segno
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, Parameter
from litestar.response import Redirect
from sqlalchemy import func, select

from enishi import (
    Access,
    Ctx,
    WorkspaceContext,
    add_details,
    get_or_404,
    invalid,
    line_login,
    require_action_permissions,
    workspace_context,
    workspace_state,
)
from enishi_inflow import service
from enishi_inflow.models import FOLDER_MAX, NAME_MAX, FirstRoute, Route, Visit
from enishi_inflow.report import new_friends_of

AnyRequest = Request[Any, Any, Any]
MANAGE = "inflow.manage"
COOKIE = "enishi_inflow_visit"
COOKIE_DAYS = 30
WELCOME = "ご来訪ありがとうございます。"

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX, pattern=r"\S")]
Folder = Annotated[str, msgspec.Meta(max_length=FOLDER_MAX)]
Mode = Literal["every", "first_time"]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class ActionIn(msgspec.Struct, forbid_unknown_fields=True):
    type: Key
    config: dict[str, Any] = msgspec.field(default_factory=dict)
    type_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


Actions = Annotated[list[ActionIn], msgspec.Meta(max_length=service.MAX_ACTIONS)]


class RouteIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    folder: Folder = ""
    mode: Mode = "every"
    actions: Actions = msgspec.field(default_factory=list)
    enabled: bool = True


class RoutePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    folder: Folder | msgspec.UnsetType = msgspec.UNSET
    mode: Mode | msgspec.UnsetType = msgspec.UNSET
    actions: Actions | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


def _action_dicts(actions: list[ActionIn]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for a in actions:
        item: dict[str, Any] = {"type": a.type, "config": a.config}
        if a.type_version is not None:
            item["type_version"] = a.type_version
        out.append(item)
    return out


async def route_out(ctx: WorkspaceContext, route: Route, counts: tuple[int, int] | None = None) -> dict[str, Any]:
    if counts is None:
        visits = await ctx.session.scalar(select(func.count()).where(Visit.route_id == route.id)) or 0
        friends = (await ctx.session.execute(new_friends_of(FirstRoute.route_id == route.id))).all()
        counts = (int(visits), int(friends[0][1]) if friends else 0)
    return {
        "id": route.id,
        "name": route.name,
        "folder": route.folder,
        "mode": route.mode,
        "actions": route.actions,
        "enabled": route.enabled,
        "code": route.code,
        "url": service.route_url(ctx.settings.public_url, route.code),
        "visits": counts[0],
        "new_friends": counts[1],
        "created_at": route.created_at.isoformat(),
    }


def _placed(actions: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """A route's actions with their paths. They run on their own whenever someone comes in, so saving them needs
    what applying them by hand needs (403 ``missing_permission`` naming each)."""
    return [(f"$.actions[{n}]", action) for n, action in enumerate(actions)]


class RouteController(Controller):
    path = "/routes"

    @get("/")
    async def list_routes(
        self, ctx: Ctx, folder: Annotated[str | None, Parameter(max_length=FOLDER_MAX)] = None
    ) -> list[dict[str, Any]]:
        query = select(Route).order_by(Route.folder, Route.name, Route.id)
        if folder is not None:
            query = query.where(Route.folder == folder)
        routes = list((await ctx.session.scalars(query)).all())
        ids = [r.id for r in routes]
        visit_counts = await ctx.session.execute(
            select(Visit.route_id, func.count()).where(Visit.route_id.in_(ids)).group_by(Visit.route_id)
        )
        visits: dict[int, int] = {route_id: n for route_id, n in visit_counts.all()}
        friend_counts = await ctx.session.execute(new_friends_of(FirstRoute.route_id.in_(ids)))
        friends: dict[int, int] = {route_id: n for route_id, n in friend_counts.all()}
        return [await route_out(ctx, r, (visits.get(r.id, 0), friends.get(r.id, 0))) for r in routes]

    @post("/", permission=MANAGE, status_code=201)
    async def create_route(
        self, request: AnyRequest, ctx: Ctx, access: Access, data: JSONBody[RouteIn]
    ) -> dict[str, Any]:
        actions = _action_dicts(data.actions)
        problems = await service.check_actions(ctx, actions, "$.actions")
        if problems:
            raise invalid(problems)
        await require_action_permissions(ctx, access, _placed(actions))
        route = Route(
            name=data.name.strip(),
            folder=data.folder.strip(),
            mode=data.mode,
            actions=actions,
            enabled=data.enabled,
            code=service.new_code(),
            created_at=ctx.now,
        )
        ctx.session.add(route)
        await ctx.session.flush()
        add_details(request, route=route.name)
        return await route_out(ctx, route, (0, 0))

    @get("/{route_id:int}")
    async def show_route(self, ctx: Ctx, route_id: FromPath[int]) -> dict[str, Any]:
        return await route_out(ctx, await get_or_404(ctx, Route, route_id, "route"))

    @patch("/{route_id:int}", permission=MANAGE)
    async def update_route(
        self, request: AnyRequest, ctx: Ctx, access: Access, route_id: FromPath[int], data: JSONBody[RoutePatch]
    ) -> dict[str, Any]:
        route = await get_or_404(ctx, Route, route_id, "route")
        if not isinstance(data.actions, msgspec.UnsetType):
            actions = _action_dicts(data.actions)
            problems = await service.check_actions(ctx, actions, "$.actions")
            if problems:
                raise invalid(problems)
            await require_action_permissions(ctx, access, _placed(actions))
            route.actions = actions
        if not isinstance(data.name, msgspec.UnsetType):
            route.name = data.name.strip()
        if not isinstance(data.folder, msgspec.UnsetType):
            route.folder = data.folder.strip()
        if not isinstance(data.mode, msgspec.UnsetType):
            route.mode = data.mode
        if not isinstance(data.enabled, msgspec.UnsetType):
            route.enabled = data.enabled
        await ctx.session.flush()
        add_details(request, route=route.name)
        return await route_out(ctx, route)

    @delete("/{route_id:int}", permission=MANAGE, status_code=204)
    async def delete_route(self, request: AnyRequest, ctx: Ctx, route_id: FromPath[int]) -> None:
        route = await get_or_404(ctx, Route, route_id, "route")
        add_details(request, route=route.name)
        await ctx.session.delete(route)

    @get("/{route_id:int}/qr.png")
    async def qr_png(
        self, ctx: Ctx, route_id: FromPath[int], scale: Annotated[int, Parameter(ge=1, le=40)] = 10
    ) -> Response[bytes]:
        route = await get_or_404(ctx, Route, route_id, "route")
        out = io.BytesIO()
        segno.make(service.route_url(ctx.settings.public_url, route.code), error="m").save(
            out, kind="png", scale=scale, border=4
        )
        return _download(out.getvalue(), "image/png", f"inflow-route-{route.id}.png")

    @get("/{route_id:int}/qr.svg")
    async def qr_svg(self, ctx: Ctx, route_id: FromPath[int]) -> Response[bytes]:
        route = await get_or_404(ctx, Route, route_id, "route")
        out = io.BytesIO()
        segno.make(service.route_url(ctx.settings.public_url, route.code), error="m").save(
            out, kind="svg", scale=10, border=4, xmldecl=True
        )
        return _download(out.getvalue(), "image/svg+xml", f"inflow-route-{route.id}.svg")


def _download(body: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- public pages ---------------------------------------------------------------------------------------------


PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;text-align:center}}
a.button{{display:block;margin:1rem 0;padding:.9rem;border-radius:.5rem;background:#06c755;color:#fff;
text-decoration:none;font-weight:bold}}a.secondary{{background:#555}}code{{font-size:1.6rem}}</style></head>
<body>{body}</body></html>"""


def _page(status: int, title: str, body: str, cookie: tuple[str, str] | None = None) -> Response[str]:
    response = Response(
        PAGE.format(title=html.escape(title), body=body),
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
    if cookie is not None:
        response.set_cookie(cookie[0], cookie[1], max_age=COOKIE_DAYS * 86400, httponly=True, samesite="lax")
    return response


def login_callback_url(public_url: str) -> str:
    return line_login.callback_url(public_url, service.PLUGIN, service.LOGIN_CALLBACK)


def not_found_page() -> Response[str]:
    return _page(
        404,
        "ページが見つかりません",
        "<h1>ページが見つかりません</h1><p>このリンクは無効か、公開が終了しています。</p>",
    )


async def _open_with_login(services: Any, state: Any, workspace_id: int, route_id: int) -> Response[Any]:
    """The visit is recorded now (it counts even if the person stops at LINE's page); LINE Login says whose it is."""
    async with services.db.transaction(workspace_id) as session:
        route = await session.get(Route, route_id)
        if route is None or not route.enabled:
            return not_found_page()
        visit = await service.record_visit(workspace_context(services, session, workspace_id, state), route)
        visit_id = visit.id
    url = await line_login.begin(
        services,
        workspace_id=workspace_id,
        purpose=service.LOGIN_PURPOSE,
        target=str(visit_id),
        redirect_uri=login_callback_url(services.settings.public_url),
    )
    if url is None:  # the login channel was removed a moment ago
        return not_found_page()
    return Redirect(url, status_code=302, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@get(service.LOGIN_CALLBACK, include_in_schema=False, opt={"audit": False})
async def login_callback(request: AnyRequest) -> Response[Any]:
    """LINE Login's callback: a friend's visit runs the route now; a person who is not a friend yet has it kept
    until their follow arrives, and is sent on to add the account."""
    services = request.app.state["enishi"]
    params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    try:
        user = await line_login.complete(services, params, purposes=(service.LOGIN_PURPOSE,))
    except line_login.LoginError as exc:
        return _page(
            exc.status,
            "LINE Login",
            f"<h1>ログインできませんでした</h1><p id='error'>{html.escape(exc.message)}</p>"
            "<p>もう一度リンクを開いてください。</p>",
        )
    state = await workspace_state(services, user.workspace_id)
    if service.PLUGIN not in state.enabled or not user.target.isdigit():
        return not_found_page()
    visit_id = int(user.target)
    async with services.db.transaction(user.workspace_id) as session:
        ctx = workspace_context(services, session, user.workspace_id, state)
        visit = await session.get(Visit, visit_id)
        route = await session.get(Route, visit.route_id) if visit is not None else None
        if visit is None or route is None or not route.enabled:
            return not_found_page()
        name = await service.shop_name(ctx)
        visit.line_user_id = user.user_id
        await session.flush()
        # A follow being processed right now either committed already (and its friend is seen here) or waits
        # for this commit and then finds the visit. Whoever claims the visit first runs the route.
        await service.lock_line_user(ctx, user.user_id)
        friend_id = await service.following_friend(ctx, user.user_id)
        if friend_id is not None:
            await service.enter_claimed(ctx, visit_id, friend_id)
        bot = await service.bot_id(ctx)
    if friend_id is None and not user.friendship_changed:
        if services.settings.emulator:
            return Redirect(services.settings.public_url.rstrip("/") + "/emulator/simulator", status_code=302)
        if bot:
            return Redirect(service.add_friend_url(bot), status_code=302)
    if services.settings.emulator:
        open_url = services.settings.public_url.rstrip("/") + "/emulator/simulator"
    else:
        open_url = service.add_friend_url(bot) if bot else ""
    button = f'<a class="button" href="{html.escape(open_url)}">LINEを開く</a>' if open_url else ""
    return _page(200, name, f'<h1>{html.escape(name)}</h1><p id="welcome">{WELCOME}</p>{button}')


@get("/r/{code:str}", include_in_schema=False, opt={"audit": False})
async def open_route(request: AnyRequest, code: FromPath[str]) -> Response[str]:
    """Records the visit (once per browser and route while it is not attributed) and shows the landing page."""
    services = request.app.state["enishi"]
    if len(code) > 32:
        return not_found_page()
    async with services.db.session() as s:
        found = (await s.execute(select(Route.workspace_id, Route.id).where(Route.code == code))).first()
    if found is None:
        return not_found_page()
    workspace_id, route_id = found
    state = await workspace_state(services, workspace_id)
    if service.PLUGIN not in state.enabled:
        return not_found_page()
    if await line_login.channel_of(services, workspace_id) is not None:
        return await _open_with_login(services, state, workspace_id, route_id)
    async with services.db.transaction(workspace_id) as session:
        ctx = workspace_context(services, session, workspace_id, state)
        route = await session.get(Route, route_id)
        if route is None or not route.enabled:
            return not_found_page()
        visit: Visit | None = None
        known_friend: int | None = None
        previous = service.read_visit(services.settings.secret_keys, request.cookies.get(COOKIE))
        if previous is not None and previous[0] == workspace_id:
            visit = await session.get(Visit, previous[1])
            if visit is not None and visit.friend_id is not None:
                # This browser's earlier visit was attributed: the person is already a friend.
                known_friend, visit = visit.friend_id, None
            elif visit is not None and visit.route_id != route.id:
                visit = None
        if visit is None:
            visit = await service.record_visit(ctx, route)
            if known_friend is not None:
                await service.enter(ctx, route, visit, known_friend)
        bot = await service.bot_id(ctx)
        cookie = (COOKIE, service.sign_visit(services.settings.secret_keys, workspace_id, visit.id))
        ref, name, attributed = visit.ref, await service.shop_name(ctx), visit.friend_id is not None
    if services.settings.emulator:
        add_url = services.settings.public_url.rstrip("/") + "/emulator/simulator"
        send_url = add_url
    elif bot:
        add_url, send_url = service.add_friend_url(bot), service.send_code_url(bot, ref)
    else:
        add_url = send_url = ""
    if not add_url:
        buttons = "<p>LINE公式アカウントの設定がまだです。</p>"
    elif attributed:
        buttons = f'<a class="button" href="{html.escape(add_url)}">LINEを開く</a>'
    else:
        buttons = (
            f'<a class="button" href="{html.escape(add_url)}">友だち追加</a>'
            f'<a class="button secondary" href="{html.escape(send_url)}">コードを送信</a>'
        )
    if attributed:
        body = f'<h1>{html.escape(name)}</h1><p id="welcome">{WELCOME}</p>'
    else:
        body = (
            f"<h1>{html.escape(name)}</h1>"
            "<p>友だち追加のあと、このコードをトークで送ってください。</p>"
            f'<p><code id="ref">#{html.escape(ref)}</code></p>'
        )
    body += buttons
    return _page(200, name, body, cookie)
