"""The ``enishi`` command."""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import click

# Each command imports what it needs when it runs: `enishi --help` or `enishi worker` must not pay for the web
# framework, the LINE SDK or the JSON Schema format checkers (tests/test_startup.py keeps it that way).
if TYPE_CHECKING:
    from enishi.db.engine import Database
    from enishi.plugin_host import PluginHost
    from enishi.settings import Settings

T = TypeVar("T")


def _settings() -> Settings:
    from enishi.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"設定エラー / bad setting: {exc}") from None


def _run(fn: Callable[[Settings, PluginHost, Database], Awaitable[T]]) -> T:
    from enishi.composition import load_plugins
    from enishi.db.engine import Database

    settings = _settings()
    host = load_plugins(settings)
    db = Database(settings.database_url)

    async def main() -> T:
        try:
            return await fn(settings, host, db)
        finally:
            await db.dispose()

    return asyncio.run(main())


async def _require_schema(db: Database, host: PluginHost) -> None:
    from enishi import migrate

    if await migrate.pending(db.engine, host):
        raise click.ClickException("the database is not up to date: run `enishi db upgrade` first")


class _Commands(click.Group):
    """Commands kept in modules of their own are imported only when run (or asked for their own help)."""

    # name → (module, attribute, the first paragraph of its help, which `enishi --help` shortens as click does;
    # tests/test_startup.py checks it still matches the command's own)
    lazy: ClassVar[dict[str, tuple[str, str, str]]] = {
        "emulator": (
            "enishi_line_emulator.cli",
            "emulator_command",
            "Run the LINE emulator: Messaging API, signed webhooks and the simulator page (never for production).",
        ),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attribute, _ = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing, with a stand-in carrying the help line for a command not imported yet
        commands: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                commands.append((name, click.Command(name, help=self.lazy[name][2])))
            elif (command := self.get_command(ctx, name)) is not None and not command.hidden:
                commands.append((name, command))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in commands])


@click.group(cls=_Commands)
@click.version_option(package_name="enishi")
def main() -> None:
    """Enishi (縁): CRM and marketing automation for LINE Official Accounts."""


# -- serving -----------------------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Serve the web app (and run jobs in-process when no ENISHI_REDIS_URL is set)."""
    from enishi import migrate
    from enishi.composition import load_plugins
    from enishi.db.engine import Database

    _pause_gc()
    _default_public_url(host, port)
    settings = _settings()
    plugins = load_plugins(settings)

    async def prepare(db: Database) -> None:
        try:
            if settings.embedded:  # one file, one process: keep it up to date (cheaply when it already is)
                await migrate.upgrade_if_needed(db.engine, plugins)
            else:
                await _require_schema(db, plugins)
        finally:
            await db.dispose()

    asyncio.run(prepare(Database(settings.database_url)))
    if "alembic" in sys.modules:  # migrations ran or were looked at: their garbage must not be frozen with the app
        gc.collect()
    _serve(settings, plugins, host, port)


def _pause_gc() -> None:
    """No cyclic garbage collection while starting up: imports, models and routes are hundreds of thousands of
    objects that live as long as the process, and the collector would walk them over and over as they are made
    (a quarter to a third of the start-up time). The app collects once and freezes them when it is up, then it
    resumes."""
    gc.disable()


def _default_public_url(host: str, port: int) -> None:
    """Without ENISHI_PUBLIC_URL, the address we serve on is the public one (webhook URLs, the emulator's)."""
    if not os.environ.get("ENISHI_PUBLIC_URL"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - only compared, not bound
        os.environ["ENISHI_PUBLIC_URL"] = f"http://{shown}:{port}"


def _serve(
    settings: Settings,
    plugins: PluginHost,
    host: str,
    port: int,
    when_up: Callable[[Any], Awaitable[None]] | None = None,
) -> None:
    import uvicorn

    from enishi.app import create_app

    app = create_app(settings, plugins)
    app.on_startup.append(lambda app: gc.enable())  # after the app's lifespan has collected and frozen
    if when_up is not None:
        app.on_startup.append(lambda app: _after_start(app, settings, when_up))
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), proxy_headers=True)


def _after_start(app: Any, settings: Settings, when_up: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``when_up(app)`` once the server answers (webhooks need it listening), without delaying start-up."""
    import httpx

    async def wait_then_run() -> None:
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{settings.public_url}/api/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        try:
            await when_up(app)
        except Exception:
            logging.getLogger("enishi").exception("the demo's start-up task failed")

    app.state["enishi_after_start"] = asyncio.get_running_loop().create_task(wait_then_run())


@main.command()
@click.option("--burst", is_flag=True, help="run the jobs that are due, then exit")
def worker(burst: bool) -> None:
    """Run an arq worker (needs ENISHI_REDIS_URL)."""
    import logging

    from enishi.jobs import NoRedisError
    from enishi.worker import run_worker

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run_worker(settings, burst=burst)
    except NoRedisError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("secret-key")
def secret_key() -> None:
    """Print a new key for ENISHI_SECRET_KEY."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


def builtin_app(data_dir: Path) -> Any:
    """The app with the core and the built-in plugins only, whatever the environment sets: the API the console is
    built against. Nothing is connected: the database and the job runner start with the app's lifespan."""
    from dataclasses import replace
    from importlib.metadata import entry_points

    from enishi.app import create_app
    from enishi.plugin_host import CORE_DISTRIBUTION, ENTRY_POINT_GROUP
    from enishi.settings import load_settings

    builtin = frozenset(
        ep.name for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist and ep.dist.name == CORE_DISTRIBUTION
    )
    settings = load_settings({"ENISHI_DATA_DIR": str(data_dir), "ENISHI_LOG_LEVEL": "WARNING"})
    return create_app(replace(settings, plugins_allow=builtin))


def openapi_json(document: dict[str, Any]) -> str:
    """The document as it is committed: sorted keys, two-space indents, UTF-8 text, a final newline."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


@main.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path), required=False)
def openapi(output: Path | None) -> None:
    """Write the HTTP API's OpenAPI document (the core's and the built-in plugins' routes) as sorted JSON.

    The same document the server answers at /schema/openapi.json, without the plugins the environment adds or
    removes; the console's API types are generated from it (cd builder_ui && npm run api-types). Printed
    without OUTPUT.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as data_dir:
        text = openapi_json(builtin_app(Path(data_dir)).openapi_schema.to_schema())
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


# -- database ----------------------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database migrations (core and every installed plugin)."""


@db.command()
@click.option("--to", "target", default="heads", show_default=True, help="revision, branch@head or heads")
def upgrade(target: str) -> None:
    """Apply migrations of the core and every installed plugin."""

    from enishi import migrate

    async def go(settings: Settings, host: PluginHost, database: Database) -> set[str]:
        await migrate.upgrade(database.engine, host, target)
        return await migrate.current(database.engine, host)

    click.echo("at: " + ", ".join(sorted(_run(go))))


@db.command()
@click.argument("target")
def downgrade(target: str) -> None:
    """Reverse migrations down to TARGET (e.g. base, core@base, birthday@-1)."""

    from enishi import migrate

    async def go(settings: Settings, host: PluginHost, database: Database) -> set[str]:
        await migrate.downgrade(database.engine, host, target)
        return await migrate.current(database.engine, host)

    click.echo("at: " + (", ".join(sorted(_run(go))) or "base"))


@db.command()
def current() -> None:
    """Show the revisions the database is at."""
    from enishi import migrate

    async def go(settings: Settings, host: PluginHost, database: Database) -> tuple[set[str], bool]:
        return await migrate.current(database.engine, host), await migrate.pending(database.engine, host)

    at, is_pending = _run(go)
    click.echo("at: " + (", ".join(sorted(at)) or "base") + (" (upgrade pending)" if is_pending else " (up to date)"))


@db.command()
@click.option("--plugin", "plugin", required=True, help="the plugin whose branch gets the revision")
@click.option("-m", "--message", required=True, help="what the revision does, also the end of its file name")
def revision(plugin: str, message: str) -> None:
    """Write a plugin's next migration, autogenerated from its models, into its migrations folder."""
    from enishi import migrate
    from enishi.composition import load_plugins

    try:
        written = asyncio.run(migrate.new_plugin_revision(load_plugins(_settings()), plugin, message))
    except migrate.RevisionRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {written}\nreview it (data to move, PostgreSQL as well as SQLite), then run `enishi db upgrade`")


# -- plugins -----------------------------------------------------------------------------------------------------


@main.group()
def plugins() -> None:
    """Installed plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def plugins_list(as_json: bool) -> None:
    """List installed plugins: name, version, source, tier, status and the workspaces where they are on."""

    async def go(settings: Settings, host: PluginHost, database: Database) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from enishi import migrate
        from enishi.models import WorkspacePlugin

        enabled_in: dict[str, list[int]] = {}
        if not await migrate.pending(database.engine, host):
            async with database.session() as session:
                rows = await session.execute(
                    select(WorkspacePlugin.plugin, WorkspacePlugin.workspace_id)
                    .where(WorkspacePlugin.enabled.is_(True))
                    .order_by(WorkspacePlugin.workspace_id)
                )
                for plugin, workspace_id in rows:
                    enabled_in.setdefault(plugin, []).append(workspace_id)
        return [
            {
                "name": p.name,
                "version": p.version,
                "source": p.source,
                "status": p.status,
                "tier": p.manifest.tier if p.manifest else None,
                "title": p.manifest.title.as_dict() if p.manifest else None,
                "enabled_in": enabled_in.get(p.name, []),
                "error": p.error,
            }
            for p in host.plugins.values()
        ]

    rows = _run(go)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no plugins installed")
    for r in rows:
        where = ",".join(map(str, r["enabled_in"])) or "-"
        title = r["title"]["ja"] if r["title"] else ""
        tier = r["tier"] or "-"
        line = f"{r['name']:<20} {r['version']:<10} {r['source']:<22} {tier:<9} {r['status']:<11} {where:<12} {title}"
        click.echo(line + (f"  ({r['error']})" if r["error"] else ""))


@plugins.command("new")
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="where to create it  [default: ./enishi-plugin-NAME]",
)
def plugins_new(name: str, directory: Path | None) -> None:
    """Create a new plugin package NAME from the plugin template, renamed throughout."""
    from enishi.new_plugin import NewPluginRefused, create_plugin

    target = directory if directory is not None else Path(f"enishi-plugin-{name.replace('_', '-')}")
    try:
        package = create_plugin(name, target)
    except NewPluginRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        "\n".join(
            [
                f"created the plugin {name!r} in {target} (package {package.relative_to(target)})",
                "next:",
                f"  pip install -e '{target}[dev]'   # into Enishi's environment",
                f"  enishi plugins list               # {name} is listed as loaded",
                "  enishi db upgrade                 # applies its migrations",
                f"  cd {target} && pytest",
            ]
        )
    )


# -- workspaces and users ----------------------------------------------------------------------------------------


@main.group()
def workspaces() -> None:
    """Client workspaces (one LINE channel each)."""


@workspaces.command("create")
@click.option("--name", required=True)
@click.option("--channel-id", required=True, help="the LINE channel id (10 digits)")
@click.option("--channel-secret", required=True, help="the channel secret (32 hex characters)")
@click.option("--access-token", required=True, help="a long-lived channel access token")
@click.option("--agency", "agency_name", default="default", show_default=True, help="agency name (created if new)")
@click.option("--plan", "plan_key", default="start", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def workspaces_create(
    name: str, channel_id: str, channel_secret: str, access_token: str, agency_name: str, plan_key: str, as_json: bool
) -> None:
    """Create a workspace; prints its id and the webhook URL to set in the LINE Developers console."""
    from sqlalchemy import select

    from enishi.crypto import SecretBox
    from enishi.models import Agency, Plan
    from enishi.tenancy.workspaces import ChannelCredentials, channel_taken, create_workspace, webhook_url

    credentials = ChannelCredentials(channel_id, channel_secret, access_token)
    problems = credentials.problems("--")
    if problems:
        raise click.ClickException(
            "; ".join(f"{p.path.replace('--.', '--').replace('_', '-')}: {p.message}" for p in problems)
        )

    async def go(settings: Settings, host: PluginHost, database: Database) -> dict[str, Any]:
        await _require_schema(database, host)
        async with database.transaction() as session:
            plan = await session.scalar(select(Plan).where(Plan.key == plan_key))
            if plan is None:
                keys = ", ".join(await session.scalars(select(Plan.key).order_by(Plan.id)))
                raise click.ClickException(f"--plan: no plan {plan_key!r} (plans: {keys})")
            if await channel_taken(session, channel_id):
                raise click.ClickException(f"--channel-id: channel {channel_id} is already connected to a workspace")
            agency = await session.scalar(select(Agency).where(Agency.name == agency_name))
            if agency is None:
                agency = Agency(name=agency_name)
                session.add(agency)
                await session.flush()
            workspace = await create_workspace(
                session,
                host=host,
                settings=settings,
                secrets_box=SecretBox(settings.secret_keys),
                agency=agency,
                name=name,
                credentials=credentials,
                plan=plan,
            )
            return {
                "id": workspace.id,
                "agency_id": agency.id,
                "name": name,
                "plan": plan.key,
                "webhook_url": webhook_url(settings, workspace),
            }

    result = _run(go)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(f"workspace {result['id']} created\nwebhook URL: {result['webhook_url']}")


@main.group()
def users() -> None:
    """Staff accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--password", envvar="ENISHI_NEW_PASSWORD", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--platform-admin", is_flag=True, help="may manage plans, agencies and every workspace")
@click.option("--agency", "agency_id", type=int, help="make the user agency staff of this agency id")
@click.option("--workspace", "workspace_id", type=int, help="make the user staff of this workspace id")
@click.option(
    "--role", type=click.Choice(["owner", "admin", "operator", "viewer"]), default="operator", show_default=True
)
def users_create(
    email: str,
    display_name: str,
    password: str,
    platform_admin: bool,
    agency_id: int | None,
    workspace_id: int | None,
    role: str,
) -> None:
    """Create a staff account, optionally with an agency or workspace role."""
    from sqlalchemy import select

    from enishi.auth.passwords import hash_password, password_problem
    from enishi.auth.service import normalise_email
    from enishi.models import Agency, AgencyMembership, User, Workspace
    from enishi.tenancy.workspaces import SeatLimitReached, add_member

    if problem := password_problem(password):
        raise click.ClickException(f"--password: {problem}")
    email = normalise_email(email)
    if "@" not in email:
        raise click.ClickException("--email: not an email address")

    async def go(settings: Settings, host: PluginHost, database: Database) -> int:
        await _require_schema(database, host)
        async with database.transaction() as session:
            if await session.scalar(select(User.id).where(User.email == email)):
                raise click.ClickException(f"--email: a user with {email} exists")
            user = User(
                email=email,
                display_name=display_name,
                password_hash=hash_password(password),
                is_platform_admin=platform_admin,
            )
            session.add(user)
            await session.flush()
            if agency_id is not None:
                if await session.get(Agency, agency_id) is None:
                    raise click.ClickException(f"--agency: no agency {agency_id}")
                session.add(AgencyMembership(agency_id=agency_id, user_id=user.id, role=role))
            if workspace_id is not None:
                workspace = await session.get(Workspace, workspace_id)
                if workspace is None:
                    raise click.ClickException(f"--workspace: no workspace {workspace_id}")
                try:
                    await add_member(session, workspace, user, role)
                except SeatLimitReached as exc:
                    raise click.ClickException(str(exc)) from None
            return user.id

    click.echo(f"user {_run(go)} created")


def _change_user(email: str, change: Callable[[Any, Any], Awaitable[str]]) -> None:
    """Run ``change(session, user)`` on the account with this email and print what it says."""
    from sqlalchemy import select

    from enishi.auth.service import normalise_email
    from enishi.models import User

    async def go(settings: Settings, host: PluginHost, database: Database) -> str:
        await _require_schema(database, host)
        async with database.transaction() as session:
            user = await session.scalar(select(User).where(User.email == normalise_email(email)))
            if user is None:
                raise click.ClickException(f"--email: no user {email}")
            return await change(session, user)

    click.echo(_run(go))


@users.command("set-password")
@click.option("--email", required=True)
@click.option("--password", envvar="ENISHI_NEW_PASSWORD", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--reset-two-factor", is_flag=True, help="also end two-factor sign-in (a lost authenticator app)")
def users_set_password(email: str, password: str, reset_two_factor: bool) -> None:
    """Set a user's password; their sessions end."""
    from enishi.auth.passwords import password_problem
    from enishi.auth.service import set_password

    if problem := password_problem(password):
        raise click.ClickException(f"--password: {problem}")

    async def change(session: Any, user: Any) -> str:
        await set_password(session, user, password)
        if reset_two_factor:
            user.totp_secret = user.totp_pending_secret = user.totp_last_step = None
        return f"password of {user.email} set" + (", two-factor sign-in ended" if reset_two_factor else "")

    _change_user(email, change)


@users.command("deactivate")
@click.option("--email", required=True)
def users_deactivate(email: str) -> None:
    """The user can no longer sign in; their sessions end and their API tokens stop working."""
    from enishi.auth.service import set_active

    async def change(session: Any, user: Any) -> str:
        await set_active(session, user, False)
        return f"{user.email} deactivated"

    _change_user(email, change)


@users.command("activate")
@click.option("--email", required=True)
def users_activate(email: str) -> None:
    """Let a deactivated user sign in again."""
    from enishi.auth.service import set_active

    async def change(session: Any, user: Any) -> str:
        await set_active(session, user, True)
        return f"{user.email} activated"

    _change_user(email, change)


# -- demo --------------------------------------------------------------------------------------------------------

DEMO_EMAIL = "demo@enishi.example"
DEMO_PASSWORD = "enishi-demo"  # noqa: S105 - the printed demo login, on a local demo only


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="seed and print, but do not start the server")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Seed a demo agency, workspace and staff login on the embedded database, print them and serve."""
    from enishi import migrate
    from enishi.composition import load_plugins
    from enishi.db.engine import Database
    from enishi.demo import seed_demo

    # The demo is the one place the emulator is on by default: its LINE users are simulated.
    os.environ.setdefault("ENISHI_EMULATOR", "1")
    _pause_gc()
    _default_public_url(host, port)
    settings = _settings()
    plugins = load_plugins(settings)

    async def go() -> dict[str, Any]:
        database = Database(settings.database_url)
        try:
            await migrate.upgrade_if_needed(database.engine, plugins)
            return await seed_demo(database, settings, plugins, DEMO_EMAIL, DEMO_PASSWORD)
        finally:
            await database.dispose()

    seeded = asyncio.run(go())
    gc.collect()  # seeding leaves megabytes of cyclic garbage, which the app would otherwise freeze with the rest
    simulator = f"{settings.public_url}/emulator/simulator" if settings.emulator else None
    click.echo(
        "\n".join(
            [
                "",
                "Enishi デモ / demo",
                f"  URL:        {settings.public_url}/",
                f"  API docs:   {settings.public_url}/schema",
                *([f"  シミュレータ: {simulator}"] if simulator else []),
                f"  ログイン:   {DEMO_EMAIL} / {DEMO_PASSWORD}",
                f"  workspace:  {seeded['workspace_id']} ({seeded['workspace_name']})",
                f"  webhook:    {seeded['webhook_url']}",
                "",
            ]
        )
    )
    sys.stdout.flush()
    if not no_serve:

        async def add_friends(app: Any) -> None:
            from enishi.demo import seed_demo_friends
            from enishi.line.embedded import emulator_of

            emulator = emulator_of(app.state)
            if emulator is not None:
                await seed_demo_friends(emulator, seeded["channel_id"])

        _serve(settings, plugins, host, port, when_up=add_friends)
