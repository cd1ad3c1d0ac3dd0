"""The application factory: settings → database → plugins → Litestar app."""

from __future__ import annotations

import gc
import gzip
import logging
import mimetypes
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import HttpMethod, Litestar, MediaType, Request, Response, Router, get, route
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath
from litestar.plugins import PluginProtocol

from enishi.api.audience_routes import FriendController
from enishi.api.audit_routes import AuditController
from enishi.api.auth_routes import AccountController, AuthController
from enishi.api.broadcast_draft_routes import BroadcastDraftController
from enishi.api.broadcast_routes import BroadcastController
from enishi.api.bulk_routes import BulkController
from enishi.api.deps import DEPENDENCIES, WORKSPACE_DEPENDENCIES, workspace_guard
from enishi.api.errors import handle_http_exception, handle_unexpected
from enishi.api.inbox_broadcast_routes import InboxBroadcastController
from enishi.api.inbox_routes import InboxController
from enishi.api.media_routes import MediaController, public_media
from enishi.api.middleware import AuditFallbackMiddleware, IdRangeMiddleware, StaffAuthMiddleware
from enishi.api.openapi import ErrorResponsesPlugin
from enishi.api.overview_routes import OverviewController
from enishi.api.platform_routes import PlatformController
from enishi.api.report_routes import ReportController
from enishi.api.scenario_people_routes import ScenarioPeopleController
from enishi.api.scenario_routes import ScenarioController
from enishi.api.services import Services
from enishi.api.workspace_routes import WorkspaceController
from enishi.composition import load_plugins
from enishi.crypto import SecretBox
from enishi.db.engine import Database
from enishi.jobs import make_queue
from enishi.line.intake import ChannelCache, EventWriter, receive_webhook
from enishi.plugin_host import PluginHost
from enishi.registry import ui_module_digest
from enishi.security_headers import add_security_headers
from enishi.settings import Settings, load_settings
from enishi.version import CORE_API_VERSION

log = logging.getLogger("enishi")


def find_ui_dist() -> Path:
    """The console's build: ENISHI_UI_DIST (another build, e.g. one made to its own directory while another is
    rebuilt), else the checkout's builder_ui/dist, else the copy a wheel carries inside the package (hatch_build.py
    puts it there). With none built, the checkout's path, so ``/`` says how to build it."""
    configured = os.environ.get("ENISHI_UI_DIST")
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parents[2] / "builder_ui" / "dist"
    packaged = Path(__file__).resolve().parent / "console"
    if not (checkout / "index.html").is_file() and (packaged / "index.html").is_file():
        return packaged
    return checkout


UI_DIST = find_ui_dist()
# Paths that are never the builder UI's client routes: an unknown one answers 404, not the UI's page.
NOT_UI = ("api", "emulator", "schema", "webhook", "p", "ui", "media")
CLIENT_ROUTE_ROOTS = ("w", "agency", "login")  # the console's own pages (builder_ui/src/router.ts)
GET_HEAD = [HttpMethod.GET, HttpMethod.HEAD]
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

    def page(request: Request[Any, Any, Any], relative: str) -> Response[bytes]:
        if relative.split("/", 1)[0] in NOT_UI:
            raise NotFoundException()
        if relative:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                # The build's assets carry a content hash in their names: cached for good.
                cache = IMMUTABLE if relative.startswith("assets/") else "no-cache"
                return static_file(request, candidate, _media_type(candidate), cache)
            # A missing file, not a client route; the console's own pages may end in a dotted key
            # (/w/1/reports/inflow.routes).
            if "." in relative.rsplit("/", 1)[-1] and relative.split("/", 1)[0] not in CLIENT_ROUTE_ROOTS:
                raise NotFoundException()
        # A client route: the page, never cached, so a new build is picked up on the next visit.
        return static_file(request, index, MediaType.HTML, "no-cache")

    # HEAD as well, as the static files router that served the assets answered it (the server leaves out the body).
    @route("/", http_method=GET_HEAD, include_in_schema=False, sync_to_thread=False)
    def ui_index(request: Request[Any, Any, Any]) -> Response[bytes]:
        return page(request, "")

    @route("/{path:path}", http_method=GET_HEAD, include_in_schema=False, sync_to_thread=False)
    def ui_page(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
        return page(request, path.strip("/"))

    return [ui_index, ui_page]


JAVASCRIPT = "text/javascript"  # Litestar adds "; charset=utf-8" to text types
IMMUTABLE = "public, max-age=31536000, immutable"
MODULE_FILE_RE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]{0,99})\.js$")


def ui_module_handlers(host: PluginHost, dist: Path = UI_DIST) -> list[Any]:
    """What the console loads at run time beside its own build: each installed plugin's UI module, named by its
    content hash (``/ui/plugins/<plugin>/<digest>.js``, as the catalog gives it, cached for good), and the shared
    runtime its modules import React and the console's kit from (``/ui/shared/<name>.js``, built with the console,
    never cached). Same origin, so the console's CSP (``script-src 'self'``) lets them run."""

    @get("/ui/plugins/{plugin:str}/{file:str}", include_in_schema=False, sync_to_thread=False)
    def plugin_ui_module(
        request: Request[Any, Any, Any], plugin: FromPath[str], file: FromPath[str]
    ) -> Response[bytes]:
        found = MODULE_FILE_RE.match(file)
        if found is not None:
            for entry in host.registry.all("ui_modules"):
                if entry.plugin == plugin and ui_module_digest(entry.item.path) == found["name"]:
                    return static_file(request, entry.item.path, JAVASCRIPT, IMMUTABLE)
        raise NotFoundException()

    shared = dist / "shared"

    @get("/ui/shared/{file:str}", include_in_schema=False, sync_to_thread=False)
    def shared_ui_module(request: Request[Any, Any, Any], file: FromPath[str]) -> Response[bytes]:
        candidate = shared / file
        if MODULE_FILE_RE.match(file) is None or not candidate.is_file():
            raise NotFoundException()
        # Not hashed: the console's build rewrites them, and every module imports them by this name.
        return static_file(request, candidate, JAVASCRIPT, "no-cache")

    return [plugin_ui_module, shared_ui_module]


# The console's files, the shared shims and the plugins' modules go out gzipped to a client that accepts it,
# compressed here once per file and modification rather than at build time: a third-party plugin's module comes
# from its own wheel, which Enishi's build never sees, and a checkout serves builder_ui/dist as Vite writes it.
# Not Litestar's CompressionConfig either, which compresses every answer anew (a 1.5 MB bundle each visit) and
# would sit in front of the inbox's event stream. gzip only: the standard library has it, brotli would be a new
# dependency for a few percent.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/manifest+json", "image/svg+xml")
COMPRESS_FROM_BYTES = 1024  # below a packet, compression saves nothing
GZIP_CACHE_FILES = 256
_gzipped: dict[Path, tuple[tuple[int, int], bytes]] = {}


def static_file(request: Request[Any, Any, Any], path: Path, media_type: str, cache_control: str) -> Response[bytes]:
    """A file, gzipped if the client accepts it and it is worth it; ``Vary: Accept-Encoding`` whenever it could be,
    so a shared cache keeps the two apart."""
    stat = path.stat()
    headers = {"Cache-Control": cache_control}
    if media_type.startswith(COMPRESSIBLE) and stat.st_size >= COMPRESS_FROM_BYTES:
        headers["Vary"] = "Accept-Encoding"
        if accepts_gzip(request.headers.get("accept-encoding", "")):
            headers["Content-Encoding"] = "gzip"
            return Response(
                _gzipped_file(path, (stat.st_mtime_ns, stat.st_size)), media_type=media_type, headers=headers
            )
    return Response(path.read_bytes(), media_type=media_type, headers=headers)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (by name or ``*``, with a quality above 0)."""
    allowed: dict[str, bool] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        allowed[coding.strip().lower()] = quality > 0
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


def _gzipped_file(path: Path, stamp: tuple[int, int]) -> bytes:
    """The file gzipped, read and compressed only when it is new or changed since (``stamp``: time and size)."""
    cached = _gzipped.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    compressed = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
    if len(_gzipped) >= GZIP_CACHE_FILES:
        del _gzipped[next(iter(_gzipped))]  # the oldest: a rebuild leaves the previous build's names behind
    _gzipped[path] = (stamp, compressed)
    return compressed


def _media_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


WORKSPACE_PATH = "/api/workspaces/{workspace_id:int}"


def plugin_routers(host: PluginHost, **workspace_layers: Any) -> tuple[list[Router], list[Router]]:
    """Each plugin's routes in a router tagged with its name, so the guard can check enablement.

    A plugin's workspace routes are given the workspace router's path and layers (``workspace_layers``: guards,
    dependencies, middleware) and registered beside it rather than inside it: Litestar deep-copies a router each
    time it is registered, so a router nested in another is copied twice.
    """
    workspace: list[Router] = []
    public: list[Router] = []
    for entry in host.registry.all("routes"):
        if entry.item.public:
            path, layers = f"/p/{entry.plugin}", {}
        else:
            path, layers = f"{WORKSPACE_PATH}/{entry.plugin}", workspace_layers
        router = Router(
            path=path,
            route_handlers=list(entry.item.handlers),
            opt={"plugin": entry.plugin},
            tags=[entry.plugin],
            **layers,
        )
        (public if entry.item.public else workspace).append(router)
    return workspace, public


class MsgspecLitestar(Litestar):
    """Litestar without its Pydantic plugins: the API's types are msgspec structs and dataclasses, and Litestar adds
    the plugins (importing Pydantic, a third of a second) whenever Pydantic is installed, as the LINE SDK needs it."""

    @staticmethod
    def _get_default_plugins(plugins: list[PluginProtocol]) -> list[PluginProtocol]:
        from litestar.plugins.core import MsgspecDIPlugin

        return [*plugins, MsgspecDIPlugin()]


def create_app(settings: Settings | None = None, host: PluginHost | None = None) -> Litestar:
    settings = settings or load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = host or load_plugins(settings)
    db = Database(settings.database_url)
    services = Services(
        settings=settings,
        db=db,
        host=host,
        secrets=SecretBox(settings.secret_keys),
        jobs=make_queue(settings, host, db),
    )
    # The staff API is routers side by side rather than nested: Litestar deep-copies a router when it is
    # registered, so a router inside another is copied twice (a good part of building the app). Layer for layer
    # the routes are the same: the app, staff authentication, then the workspace guard and dependencies.
    staff_auth = [DefineMiddleware(StaffAuthMiddleware)]
    workspace_layers: dict[str, Any] = {
        "guards": [workspace_guard],
        "dependencies": WORKSPACE_DEPENDENCIES,
        "middleware": staff_auth,
    }
    workspace_plugin_routes, public_plugin_routes = plugin_routers(host, **workspace_layers)
    workspace_router = Router(
        path=WORKSPACE_PATH,
        route_handlers=[
            WorkspaceController,
            AuditController,
            InboxController,
            InboxBroadcastController,
            ScenarioController,
            ScenarioPeopleController,
            BulkController,
            BroadcastController,
            BroadcastDraftController,
            FriendController,
            ReportController,
            MediaController,
        ],
        **workspace_layers,
    )
    api = Router(
        path="/",
        route_handlers=[health, AuthController, AccountController, PlatformController, OverviewController],
        middleware=staff_auth,
    )
    handlers: list[Any] = [
        api,
        workspace_router,
        *workspace_plugin_routes,
        receive_webhook,
        *public_plugin_routes,
        public_media,
    ]
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
    handlers.extend(ui_module_handlers(host))
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

    return MsgspecLitestar(
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
