"""The card page a friend opens: a mobile web page (as a LIFF app would show it) behind a signed link, or
behind LINE Login.

``GET /p/member_cards/card/{token}``: the member number as a Code128 barcode and as a QR code (both inline SVG,
for the shop's scanner), points, rank and stamps, in the design's colours. A forged, malformed or expired link
answers 403 with a page that says so; a workspace where the plugin is off, or a friend without a card, 404. The
page only shows: nothing on it changes the card, so opening a link again is harmless.

``GET /p/member_cards/login/{workspace_id}`` (for a rich menu or a message) sends the person through the
workspace's LINE Login channel; the callback ``GET /p/member_cards/login`` shows the card of the LINE user LINE
names. A forged, expired or replayed login answers 400 with a page that says so; a workspace without a login
channel or with the plugin off, 404.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

import barcode
import segno
from barcode.writer import SVGWriter
from litestar import MediaType, Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select, text

from enishi import Friend, line_login, plugin_enabled, utcnow
from enishi_member_cards import links
from enishi_member_cards.models import Card, Design

PLUGIN = "member_cards"
LOGIN_PURPOSE = "member_cards.card"
LOGIN_CALLBACK = "/login"  # the manifest's line_login_callback: the callback route, under /p/member_cards
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the link is the credential: never pass it on
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:",
}
_SVG_START = re.compile(r"<svg\b")


def barcode_svg(value: str) -> str:
    """Code128 of ``value`` as an inline ``<svg>`` (no XML prolog), bars only: the number is printed below."""
    out = io.BytesIO()
    barcode.get("code128", value, writer=SVGWriter()).write(
        out, options={"write_text": False, "module_height": 18.0, "quiet_zone": 4.0, "module_width": 0.3}
    )
    svg = out.getvalue().decode()
    start = _SVG_START.search(svg)
    return svg[start.start() :] if start else svg


def qr_svg(value: str) -> str:
    return str(segno.make(value, error="m", micro=False).svg_inline(scale=6, border=2, dark="#000", light="#fff"))


def _page(title: str, body: str, background: str = "#f4f4f4", color: str = "#222") -> str:
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{html.escape(title)}</title>
<style>
body {{ margin: 0; font-family: "Hiragino Sans", "Noto Sans JP", sans-serif; background: #f4f4f4; color: #222; }}
main {{ max-width: 420px; margin: 0 auto; padding: 16px; }}
.card {{ background: {background}; color: {color}; border-radius: 16px; padding: 20px; box-shadow: 0 2px 8px #0003; }}
.card h1 {{ font-size: 1.2rem; margin: 0 0 12px; display: flex; align-items: center; gap: 8px; }}
.card img.logo {{ max-height: 40px; max-width: 120px; }}
.codes {{ background: #fff; color: #000; border-radius: 8px; padding: 12px; text-align: center; margin-top: 12px; }}
.codes svg {{ max-width: 100%; height: auto; }}
.barcode svg {{ width: 100%; height: 80px; }}
.number {{ font-family: monospace; font-size: 1.3rem; letter-spacing: 0.1em; margin: 4px 0 8px; }}
dl {{ display: grid; grid-template-columns: auto 1fr; gap: 6px 12px; margin: 16px 0 0; }}
dt {{ opacity: 0.8; }} dd {{ margin: 0; font-weight: bold; text-align: right; }}
.stamps {{ display: flex; flex-wrap: wrap; gap: 6px; margin-top: 12px; }}
.stamp {{ width: 28px; height: 28px; border-radius: 50%; border: 2px solid currentColor; }}
.stamp.on {{ background: currentColor; }}
.notice {{ background: #fff; border-radius: 12px; padding: 24px; text-align: center; }}
.shop {{ text-align: center; font-weight: bold; margin: 4px 0 12px; }}
</style></head>
<body><main>{body}</main></body></html>"""


def refusal(status: int, title: str, message: str) -> Response[str]:
    body = f'<div class="notice"><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></div>'
    return Response(_page(title, body), status_code=status, media_type=MediaType.HTML, headers=HEADERS)


def render_card(design: Design, card: Card, display_name: str, shop: str = "") -> str:
    """The card, with the shop's name (the workspace's) above it."""
    e = html.escape
    logo = f'<img class="logo" src="{e(design.logo_url)}" alt="">' if design.logo_url else ""
    goal = max(1, design.stamp_goal)
    filled = 0 if card.stamps <= 0 else (card.stamps - 1) % goal + 1  # a full card shows full, not empty
    stamps = "".join(f'<span class="stamp{" on" if n < filled else ""}"></span>' for n in range(goal))
    shop_line = f'<p class="shop">{e(shop)}</p>' if shop else ""
    body = f"""{shop_line}<section class="card" aria-label="会員証">
<h1>{logo}<span>{e(design.name)}</span></h1>
<div>{e(display_name)} 様</div>
<div class="codes">
<div class="barcode">{barcode_svg(card.member_number)}</div>
<div class="number">{e(card.member_number)}</div>
<div class="qr">{qr_svg(card.member_number)}</div>
</div>
<dl>
<dt>会員番号</dt><dd>{e(card.member_number)}</dd>
<dt>ポイント</dt><dd>{int(card.points):,} pt</dd>
<dt>ランク</dt><dd>{e(card.rank or "—")}</dd>
<dt>スタンプ</dt><dd>{int(card.stamps)} 個</dd>
</dl>
<div class="stamps" aria-label="スタンプ {filled} / {goal}">{stamps}</div>
</section>
<p style="text-align:center;font-size:0.8rem;color:#666">お会計の際にこの画面をスタッフにお見せください。</p>"""
    title = f"{design.name}｜{shop}" if shop else design.name
    return _page(title, body, design.background_color, design.text_color)


@get("/card/{token:str}", media_type=MediaType.HTML, include_in_schema=False)
async def card_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
    services = request.app.state["enishi"]
    link = links.verify(services.settings.secret_keys, token, utcnow())
    if link is None:
        return refusal(
            403,
            "リンクが無効です",
            "このリンクは無効か、有効期限が切れています。LINEのトーク画面から会員証をもう一度開いてください。",
        )
    if not await plugin_enabled(services, link.workspace_id, PLUGIN):
        return refusal(404, "会員証が見つかりません", "このお店の会員証は現在ご利用いただけません。")
    return await _card_of(services, link.workspace_id, Friend.id == link.friend_id)


def login_path(workspace_id: int) -> str:
    return links.LOGIN_PATH.format(workspace_id=workspace_id)


@get("/login/{workspace_id:int}", media_type=MediaType.HTML, include_in_schema=False, opt={"audit": False})
async def card_login(request: Request[Any, Any, Any], workspace_id: FromPath[int]) -> Response[Any]:
    """On to LINE Login (302), to come back to the card of whoever logs in."""
    services = request.app.state["enishi"]
    url = None
    if await plugin_enabled(services, workspace_id, PLUGIN):
        url = await line_login.begin(
            services,
            workspace_id=workspace_id,
            purpose=LOGIN_PURPOSE,
            target="",
            redirect_uri=line_login.callback_url(services.settings.public_url, PLUGIN, LOGIN_CALLBACK),
        )
    if url is None:
        return refusal(404, "会員証が見つかりません", "このお店の会員証は現在ご利用いただけません。")
    return Redirect(url, status_code=302, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@get(LOGIN_CALLBACK, media_type=MediaType.HTML, include_in_schema=False, opt={"audit": False})
async def card_login_callback(request: Request[Any, Any, Any]) -> Response[str]:
    """LINE Login's callback: the logged-in LINE user's own card."""
    services = request.app.state["enishi"]
    params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    try:
        user = await line_login.complete(services, params, purposes=(LOGIN_PURPOSE,))
    except line_login.LoginError as exc:
        return refusal(exc.status, "ログインできませんでした", exc.message)
    if not await plugin_enabled(services, user.workspace_id, PLUGIN):
        return refusal(404, "会員証が見つかりません", "このお店の会員証は現在ご利用いただけません。")
    return await _card_of(services, user.workspace_id, Friend.line_user_id == user.user_id)


async def _card_of(services: Any, workspace_id: int, which: Any) -> Response[str]:
    """The card page of the workspace's friend matching ``which``, or a 404 page."""
    async with services.db.session(workspace_id) as session:
        friend = (await session.execute(select(Friend.id, Friend.display_name).where(which))).first()
        card = (
            await session.scalar(select(Card).where(Card.workspace_id == workspace_id, Card.friend_id == friend[0]))
            if friend is not None
            else None
        )
        design = await session.scalar(select(Design).where(Design.workspace_id == workspace_id))
        # Raw SQL names the workspace itself (the workspaces table is not workspace-owned).
        shop = await session.scalar(text("SELECT name FROM workspaces WHERE id = :id"), {"id": workspace_id})
    if friend is None or card is None:
        return refusal(404, "会員証が見つかりません", "会員証がまだ発行されていません。")
    if design is None:
        design = Design(name="会員証", background_color="#1f3a5f", text_color="#ffffff", logo_url=None, stamp_goal=10)
    body = render_card(design, card, friend[1] or "", str(shop or ""))
    return Response(body, status_code=200, media_type=MediaType.HTML, headers=HEADERS)
