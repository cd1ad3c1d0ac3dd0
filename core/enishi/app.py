"""The application factory: settings → database → plugins → Litestar app."""

from __future__ import annotations

import gc
import logging
import mimetypes
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, Response, Router, get
from litestar.datastructures import CacheControlHeader, State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath
from litestar.static_files import create_static_files_router

from enishi.api.audience_routes import FriendController
from enishi.api.auth_routes import AccountController, AuthController
from enishi.api.broadcast_routes import BroadcastController
from enishi.api.bulk_routes import BulkController
from enishi.api.deps import DEPENDENCIES, WORKSPACE_DEPENDENCIES, workspace_guard
from enishi.api.errors import handle_http_exception, handle_unexpected
from enishi.api.inbox_routes import InboxController
from enishi.api.middleware import AuditFallbackMiddleware, IdRangeMiddleware, StaffAuthMiddleware
from enishi.api.openapi import ErrorResponsesPlugin
from enishi.api.platform_routes import PlatformController
from enishi.api.report_routes import ReportController
from enishi.api.scenario_routes import ScenarioController
from enishi.api.services import Services
from enishi.api.workspace_routes import WorkspaceController
from enishi.crypto import SecretBox
from enishi.db.engine import Database
from enishi.jobs import make_queue
from enishi.line.intake import ChannelCache, EventWriter, receive_webhook
from enishi.plugin_host import PluginHost, discover
from enishi.security_headers import add_security_headers
from enishi.settings import Settings, load_settings
from enishi.version import CORE_API_VERSION

log = logging.getLogger("enishi")
# ENISHI_UI_DIST serves another build of the UI (e.g. one built to its own directory while another is rebuilt).
UI_DIST = Path(os.environ.get("ENISHI_UI_DIST") or Path(__file__).resolve().parents[2] / "builder_ui" / "dist")
# Paths that are never the builder UI's client routes: an unknown one answers 404, not the UI's page.
NOT_UI = ("api", "emulator", "schema", "webhook", "p")
UI_NOT_BUILT = """<!doctype html><html lang="ja"><meta charset="utf-8"><title>Enishi</title>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Enishi</h1>
<p>画面(builder_ui)がまだビルドされていません。/ The builder UI is not built yet.</p>
<pre>cd builder_ui &amp;&amp; npm ci &amp;&amp; npm run build</pre>
<p>(<code>./scripts/demo</code> がビルドします / builds it too.) API: <a href="/schema">/schema</a></p>
</body></html>"""


@get("/api/health", exclude_from_auth=True, tags=["platform"])
async def health(state: State) -> dict[str, Any]:
    """Always 200 while the process serves, so a load balancer keeps it: with Redis down it still takes webhooks
    and requests (the work waits in the database). ``degraded`` names the parts that are down, and why."""
    down = await state["enishi"].jobs.check()
    return {"status": "degraded", "degraded": down} if down else {"status": "ok"}


_frozen = False


def freeze_long_lived_objects() -> None:
    """Once per process, when the app is up: what exists then (modules, models, routes — hundreds of thousands of
    objects) lives as long as the process, so the garbage collector stops walking it in every full collection.
    Without this a full collection stalls a busy web process for a noticeable fraction of a second.

    Nothing is collected first: start-up runs without the collector and leaves a couple of thousand cyclic garbage
    objects (well under a MiB, kept from now on), and finding them means walking all the others once, a fifth of a
    second before the first answer."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def ui_handlers(dist: Path = UI_DIST) -> list[Any]:
    """The builder UI: its hashed assets, its files, and index.html for its client routes (``/w/1/scenarios``).
    Without a build, ``/`` says how to make one."""
    index = dist / "index.html"
    if not index.is_file():

        @get("/", include_in_schema=False, media_type=MediaType.HTML, sync_to_thread=False)
        def ui_not_built() -> str:
            return UI_NOT_BUILT

        return [ui_not_built]

    root = dist.resolve()

    def page(relative: str) -> Response[bytes]:
        if relative.split("/", 1)[0] in NOT_UI:
            raise NotFoundException()
        if relative:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return Response(candidate.read_bytes(), media_type=_media_type(candidate))
            if "." in relative.rsplit("/", 1)[-1]:
                raise NotFoundException()  # a missing file, not a client route
        # A client route: the page, never cached, so a new build is picked up on the next visit.
        return Response(index.read_bytes(), media_type=MediaType.HTML, headers={"Cache-Control": "no-cache"})

    @get("/", include_in_schema=False, sync_to_thread=False)
    def ui_index() -> Response[bytes]:
        return page("")

    @get("/{path:path}", include_in_schema=False, sync_to_thread=False)
    def ui_page(path: FromPath[str]) -> Response[bytes]:
        return page(path.strip("/"))

    handlers: list[Any] = [ui_index, ui_page]
    if (dist / "assets").is_dir():
        handlers.append(
            create_static_files_router(
                path="/assets",
                directories=[dist / "assets"],
                include_in_schema=False,
                cache_control=CacheControlHeader(max_age=31_536_000, public=True),  # names carry a content hash
            )
        )
    return handlers


def _media_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def plugin_routers(host: PluginHost) -> tuple[list[Router], list[Router]]:
    """Each plugin's routes in a router tagged with its name, so the guard can check enablement."""
    workspace: list[Router] = []
    public: list[Router] = []
    for entry in host.registry.all("routes"):
        router = Router(
            path=f"/{entry.plugin}" if not entry.item.public else f"/p/{entry.plugin}",
            route_handlers=list(entry.item.handlers),
            opt={"plugin": entry.plugin},
            tags=[entry.plugin],
        )
        (public if entry.item.public else workspace).append(router)
    return workspace, public


def create_app(settings: Settings | None = None, host: PluginHost | None = None) -> Litestar:
    settings = settings or load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = host or discover(settings)
    db = Database(settings.database_url)
    services = Services(
        settings=settings,
        db=db,
        host=host,
        secrets=SecretBox(settings.secret_keys),
        jobs=make_queue(settings, host, db),
    )
    workspace_plugin_routes, public_plugin_routes = plugin_routers(host)

    # The staff API is two routers side by side rather than the workspace one inside the other: Litestar deep-copies
    # a router when it is registered, so a nested one with every workspace route was copied twice (a good part of
    # building the app). Layer for layer the routes are the same: the app, staff authentication, then the
    # workspace guard and dependencies.
    staff_auth = [DefineMiddleware(StaffAuthMiddleware)]
    workspace_router = Router(
        path="/api/workspaces/{workspace_id:int}",
        route_handlers=[
            WorkspaceController,
            InboxController,
            ScenarioController,
            BulkController,
            BroadcastController,
            FriendController,
            ReportController,
            *workspace_plugin_routes,
        ],
        guards=[workspace_guard],
        dependencies=WORKSPACE_DEPENDENCIES,
        middleware=staff_auth,
    )
    api = Router(
        path="/",
        route_handlers=[health, AuthController, AccountController, PlatformController],
        middleware=staff_auth,
    )
    handlers: list[Any] = [api, workspace_router, receive_webhook, *public_plugin_routes]
    event_writer = EventWriter(services)
    state: dict[str, Any] = {
        "enishi": services,
        "enishi_channels": ChannelCache(),
        "enishi_event_writer": event_writer,
    }
    emulator = None
    if settings.emulator:
        from enishi.line.embedded import STATE_KEY, emulator_router, new_emulator, register_channels

        emulator = new_emulator()
        handlers.append(emulator_router(emulator))
        state[STATE_KEY] = emulator
    handlers.extend(ui_handlers())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await services.jobs.start()
        if emulator is not None:
            await register_channels(services, emulator)
        freeze_long_lived_objects()
        try:
            yield
        finally:
            await event_writer.close()  # commits in flight, their jobs queued, its connection returned
            await services.jobs.close()
            gateway = sys.modules.get("enishi.line.gateway")  # loaded if LINE was ever called: not worth loading now
            if gateway is not None:
                await gateway.close_gateways()  # the LINE API clients of this process
            if emulator is not None:
                await emulator.aclose()
            await db.dispose()

    return Litestar(
        route_handlers=handlers,
        dependencies=DEPENDENCIES,
        middleware=[AuditFallbackMiddleware, IdRangeMiddleware],
        exception_handlers={HTTPException: handle_http_exception, Exception: handle_unexpected},
        before_send=[add_security_headers],
        openapi_config=OpenAPIConfig(title="Enishi", version=CORE_API_VERSION, path="/schema"),
        plugins=[ErrorResponsesPlugin()],  # every operation's error statuses, in the one error shape
        request_max_body_size=settings.max_request_bytes,
        state=State(state),
        lifespan=[lifespan],
        debug=False,
    )
