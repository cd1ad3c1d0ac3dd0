"""LINE Login's HTTP side in the emulator (``access.line.me`` and ``api.line.me`` on one host).

GET  /oauth2/v2.1/authorize   the consent page: log in as one of the channel's simulated users (or a new one), and,
                              with ``bot_prompt``, a box to add the linked official account as a friend
POST /oauth2/v2.1/authorize   the page's answer: back to ``redirect_uri`` with ``code`` and ``state`` (or an error)
POST /oauth2/v2.1/token       code → access token and id_token (form encoded, LINE's OAuth errors)
GET  /oauth2/v2.1/certs       the public keys of the ES256 id_tokens (JWKS)
GET  /oauth2/v2.1/verify      an access token's scope, client and lifetime;  POST: an id_token's claims
GET  /v2/profile              the profile of an access token's user

A request LINE would refuse without redirecting (unknown channel, a redirect URI that is not a URL) gets an error
page; anything else goes back to the client with ``error`` and ``error_description``, as LINE does.

Picking a simulated user on the consent page logs in as that LINE user, so inside the app the two consent routes
are the simulator's: they go behind the control API's guard (:func:`consent_handlers`), a channel the caller may
not see is refused like an unknown one, and the form carries the session's CSRF token back. The other routes
answer with channel secrets, codes and tokens, as LINE's do.
"""

from __future__ import annotations

import hmac
import html
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response, get, post
from litestar.enums import MediaType
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery
from litestar.response import Redirect

from enishi_line_emulator.control import ControlScope, scope_of_request
from enishi_line_emulator.errors import LineApiError
from enishi_line_emulator.login import OAuthError
from enishi_line_emulator.state import Emulator

AnyRequest = Request[Any, Any, Any]
NEW_USER = "__new__"
CSRF_FIELD = "csrf_token"
MAX_FIELD = 2000
PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>LINE Login (emulator)</title>
<style>body{{font-family:sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem}}
h1{{font-size:1.2rem}}.note{{color:#666;font-size:.85rem}}label{{display:block;margin:.6rem 0}}
button{{width:100%;padding:.8rem;margin:.4rem 0;border:0;border-radius:.4rem;font-weight:bold}}
.allow{{background:#06c755;color:#fff}}</style></head><body>{body}</body></html>"""


def _page(status: int, body: str) -> Response[str]:
    return Response(
        PAGE.format(body=body),
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


def _refusal(message: str) -> Response[str]:
    return _page(400, f"<h1>400 Bad Request</h1><p id='error'>{html.escape(message)}</p>")


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(value) <= MAX_FIELD


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _back(redirect_uri: str, **params: str) -> Redirect:
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    return Redirect(path=redirect_uri + joiner + urlencode(params), status_code=302)


def _oauth_error(exc: OAuthError) -> Response[Any]:
    return Response(exc.body(), status_code=exc.status_code, media_type=MediaType.JSON)


def consent_handlers(emulator: Emulator) -> list[HTTPRouteHandler]:
    """The consent page and its answer, which go behind the control API's guard (``opt["control"] ==
    "scoped"``): they check the LINE Login channel against the caller's scope themselves."""
    login = emulator.login

    def check(params: dict[str, str], scope: ControlScope) -> Response[str] | None:
        """An error page for what LINE refuses without redirecting, None if the request may go on."""
        client_id = params.get("client_id", "")
        if client_id not in login.channels or not scope.sees(login.channels[client_id].messaging_channel_id):
            return _refusal("Invalid client_id (no such LINE Login channel)")
        if not _is_url(params.get("redirect_uri", "")):
            return _refusal("Invalid redirect_uri")
        if emulator.pinned_webhooks is not None:
            # Inside the app LINE's registered callback URLs are the app's own: never a redirect elsewhere.
            own = emulator.pinned_webhooks.get(login.channels[client_id].messaging_channel_id)
            if own is None or _origin(params["redirect_uri"]) != _origin(own):
                return _refusal("Invalid redirect_uri (not a callback URL of this app)")
        return None

    def problem(params: dict[str, str]) -> tuple[str, str] | None:
        """An error to send back to the client (OAuth ``error``, description), None if the request is fine."""
        if params.get("response_type") != "code":
            return "unsupported_response_type", "response_type must be code"
        scopes = params.get("scope", "").split()
        if not scopes or not set(scopes) <= {"openid", "profile", "email"}:
            return "invalid_scope", "scope must be a subset of openid profile email"
        if not params.get("state"):
            return "invalid_request", "state is required"
        if params.get("bot_prompt") not in (None, "", "normal", "aggressive"):
            return "invalid_request", "bot_prompt must be normal or aggressive"
        return None

    # A signed-in staff member's page (the control guard's scope); one who is not signed in is sent to sign in.
    @get("/oauth2/v2.1/authorize", media_type=MediaType.HTML, opt={"control": "scoped", "simulator_page": True})
    async def authorize_page(request: AnyRequest) -> Response[Any]:
        scope = scope_of_request(request)
        params = {k: v for k, v in request.query_params.items() if isinstance(v, str) and len(v) <= MAX_FIELD}
        refused = check(params, scope)
        if refused is not None:
            return refused
        wrong = problem(params)
        if wrong is not None:
            return _back(params["redirect_uri"], error=wrong[0], error_description=wrong[1], state=params["state"])
        channel = login.channel(params["client_id"])
        users = sorted(login.users(channel.channel_id), key=lambda u: u.display_name)
        e = html.escape
        hidden = "".join(
            f'<input type="hidden" name="{e(k)}" value="{e(v)}">'
            for k, v in params.items()
            if k in ("response_type", "client_id", "redirect_uri", "state", "scope", "nonce", "bot_prompt")
        )
        if scope.csrf_token:  # a staff member's session: the answer proves it came from this page
            hidden += f'<input type="hidden" name="{CSRF_FIELD}" value="{e(scope.csrf_token)}">'
        options = "".join(f'<option value="{e(u.user_id)}">{e(u.display_name)} ({e(u.state)})</option>' for u in users)
        options += f'<option value="{NEW_USER}">新しいユーザー / a new user</option>'
        friend = ""
        if params.get("bot_prompt"):
            bot = emulator.channel(channel.messaging_channel_id)
            checked = " checked" if params["bot_prompt"] == "aggressive" else ""
            friend = (
                f'<label><input type="checkbox" name="add_friend" value="true"{checked}> '
                f"{e(bot.display_name)} を友だち追加 / add as a friend</label>"
            )
        body = f"""<h1>LINEでログイン (エミュレーター)</h1>
<p class="note">チャネル {e(channel.channel_id)} がプロフィールへのアクセスを求めています /
channel {e(channel.channel_id)} asks for your profile.</p>
<form method="post" action="{e(request.url.path)}">{hidden}
<label>ユーザー / user <select name="user_id">{options}</select></label>
<label>新しいユーザーの名前 / name of a new user <input name="new_name" maxlength="20"></label>
{friend}
<button class="allow" name="decision" value="allow">許可する / Allow</button>
<button name="decision" value="deny">キャンセル / Cancel</button>
</form>"""
        return _page(200, body)

    # A form post cannot send the X-CSRF-Token header: the page's hidden field carries the token instead.
    @post("/oauth2/v2.1/authorize", status_code=302, opt={"control": "scoped", "csrf": "form"})
    async def authorize_answer(request: AnyRequest) -> Response[Any]:
        scope = scope_of_request(request)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and len(v) <= MAX_FIELD}
        sent = form.get(CSRF_FIELD, "").encode()
        if scope.csrf_token and not hmac.compare_digest(sent, scope.csrf_token.encode()):
            return _page(403, "<h1>403 Forbidden</h1><p id='error'>CSRF token missing or wrong</p>")
        refused = check(form, scope)
        if refused is not None:
            return refused
        wrong = problem(form)
        redirect_uri, state = form["redirect_uri"], form.get("state", "")
        if wrong is not None:
            return _back(redirect_uri, error=wrong[0], error_description=wrong[1], state=state)
        if form.get("decision") != "allow":
            return _back(
                redirect_uri,
                error="access_denied",
                error_description="The resource owner denied the request.",
                state=state,
            )
        channel = login.channel(form["client_id"])
        user_id = form.get("user_id", "")
        try:
            if user_id == NEW_USER:
                user_id = emulator.add_user(channel.messaging_channel_id, form.get("new_name", "").strip()[:20]).user_id
            user = emulator.user(channel.messaging_channel_id, user_id)
        except LineApiError as exc:
            return _refusal(exc.message)
        changed = False
        if form.get("bot_prompt") and form.get("add_friend") == "true" and not user.following:
            await emulator.follow(channel.messaging_channel_id, user.user_id)  # the real follow webhook
            changed = True
        code = login.issue_code(channel.channel_id, user.user_id, redirect_uri, form.get("nonce"), form["scope"])
        back: dict[str, str] = {"code": code, "state": state}
        if form.get("bot_prompt"):
            back["friendship_status_changed"] = "true" if changed else "false"
        return _back(redirect_uri, **back)

    return [authorize_page, authorize_answer]


def oauth_handlers(emulator: Emulator) -> list[HTTPRouteHandler]:
    """LINE Login's API: codes for tokens, keys, verification and profiles (what the app's server calls)."""
    login = emulator.login

    @post("/oauth2/v2.1/token")
    async def token(request: AnyRequest) -> Response[Any]:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and len(v) <= MAX_FIELD}
        try:
            return Response(login.exchange(form), status_code=200, media_type=MediaType.JSON)
        except OAuthError as exc:
            return _oauth_error(exc)

    @get("/oauth2/v2.1/certs")
    async def certs() -> dict[str, Any]:
        return login.jwks()

    @get("/oauth2/v2.1/verify")
    async def verify_access_token(access_token: FromQuery[str] = "") -> Response[Any]:
        try:
            return Response(login.verify_access_token(access_token), media_type=MediaType.JSON)
        except OAuthError as exc:
            return _oauth_error(exc)

    @post("/oauth2/v2.1/verify", status_code=200)
    async def verify_id_token(request: AnyRequest) -> Response[Any]:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            claims = login.verify_id_token(form.get("id_token", ""), form.get("client_id", ""), form.get("nonce"))
            return Response(claims, media_type=MediaType.JSON)
        except OAuthError as exc:
            return _oauth_error(exc)

    @get("/v2/profile")
    async def profile(request: AnyRequest) -> Response[Any]:
        try:
            return Response(login.profile(request.headers.get("authorization")), media_type=MediaType.JSON)
        except OAuthError as exc:
            return _oauth_error(exc)

    return [token, certs, verify_access_token, verify_id_token, profile]
