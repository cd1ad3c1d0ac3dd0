"""Alembic with one branch for the core and one per plugin; ``heads`` means core plus every installed plugin.

A plugin installed later simply brings its branch along: the next ``enishi db upgrade`` applies it.

Alembic is imported only when a migration runs or the revision graph is needed: loading it and every migration
script takes most of a second, and ``enishi serve`` on an embedded database, which checks at each start, usually
finds nothing to do. That check (:func:`upgrade_if_needed`) reads the version table and compares it with a record
kept beside the database of which version rows were at head for which migration scripts (see :class:`HeadRecord`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from enishi.plugin_host import PluginHost

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CORE_BRANCH = "core"
HEAD_RECORD_SUFFIX = "-migrations.json"  # enishi.db → enishi.db-migrations.json, beside -wal and -shm


def version_locations(host: PluginHost) -> list[tuple[str, Path]]:
    """(branch, folder) of every migration folder alembic reads: the core's, then each installed plugin's."""
    core = [(CORE_BRANCH, MIGRATIONS_DIR / "versions")]
    return core + [(e.plugin, Path(e.item.path)) for e in host.registry.all("migrations")]


def alembic_config(host: PluginHost, url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    locations = [str(folder) for _, folder in version_locations(host)]
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["host"] = host
    return cfg


def _run(cfg: Config, connection: Connection, fn: str, *args: str) -> str:
    from alembic import command

    cfg.attributes["connection"] = connection
    out = io.StringIO()
    cfg.stdout = out
    with redirect_stdout(out):
        getattr(command, fn)(cfg, *args)
    return out.getvalue()


class ForeignKeyViolation(RuntimeError):
    """A migration left rows pointing at rows that do not exist; it was rolled back."""


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    # Straight on the driver's connection: through SQLAlchemy the statement would first begin a transaction,
    # and SQLite ignores this pragma inside one.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


@asynccontextmanager
async def _migrating(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction for the whole run. On SQLite foreign keys are off meanwhile, as SQLite prescribes for
    rebuilding a table (drop the old copy, rename the new one): with them on, dropping a referenced table would
    fire the ON DELETE rules of every row referring to it. They are checked before committing instead."""
    async with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            async with conn.begin():
                yield conn
            return
        await conn.run_sync(_sqlite_foreign_keys, False)
        try:
            async with conn.begin():
                yield conn
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise ForeignKeyViolation(f"rows refer to missing rows (table, rowid, parent): {broken[:5]}")
        finally:
            await conn.run_sync(_sqlite_foreign_keys, True)


async def upgrade(engine: AsyncEngine, host: PluginHost, target: str = "heads") -> None:
    fingerprint = scripts_fingerprint(host) if target == "heads" else None
    cfg = alembic_config(host, str(engine.url))
    async with _migrating(engine) as conn:
        await conn.run_sync(lambda c: _run(cfg, c, "upgrade", target))
    if fingerprint is not None:
        await _remember_at_head(engine, host, fingerprint)


async def upgrade_if_needed(engine: AsyncEngine, host: PluginHost) -> bool:
    """Upgrade to heads unless the database is known to be there: its version rows were seen at head before with
    these very migration scripts (see :class:`HeadRecord`). Whether it upgraded. When nothing changed this costs
    one query and a read of the scripts' bytes, without loading alembic or a single migration script."""
    record = HeadRecord.beside(engine)
    if record is not None and record.knows(scripts_fingerprint(host), await stored_versions(engine)):
        return False
    await upgrade(engine, host)
    return True


async def downgrade(engine: AsyncEngine, host: PluginHost, target: str) -> None:
    cfg = alembic_config(host, str(engine.url))
    async with _migrating(engine) as conn:
        await conn.run_sync(lambda c: _run(cfg, c, "downgrade", target))


async def current(engine: AsyncEngine, host: PluginHost) -> set[str]:
    """Revision ids the database is at (one per applied branch head)."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: set(MigrationContext.configure(c).get_current_heads()))


def heads(host: PluginHost, url: str) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(host, url)).get_heads())


async def pending(engine: AsyncEngine, host: PluginHost) -> bool:
    """Whether some branch (core or a plugin's) is not fully applied."""
    record = HeadRecord.beside(engine)
    fingerprint = scripts_fingerprint(host)
    if record is not None and record.knows(fingerprint, await stored_versions(engine)):
        return False
    from alembic.script import ScriptDirectory

    at = await current(engine, host)
    script = ScriptDirectory.from_config(alembic_config(host, str(engine.url)))
    applied: set[str] = set()
    for rev in at:
        applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
    if not set(script.get_heads()) <= applied:
        return True
    await _remember_at_head(engine, host, fingerprint)
    return False


# -- writing a plugin's next revision ---------------------------------------------------------------------------

# Revision files are named as the core's and the built-in plugins' are: 2026_12_07_tags_0004_pinned_colours.py
REVISION_FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s"


class RevisionRefused(Exception):
    """No revision was written; the message says why, in plain words."""


async def new_plugin_revision(host: PluginHost, plugin: str, message: str) -> Path:
    """Write the next revision of ``plugin``'s branch into its migrations folder, autogenerated from its models.

    The models are compared with a throwaway SQLite database upgraded to every head, so the result does not
    depend on the state of any real database. Only the plugin's tables are compared: those of the classes mapped
    in its package, and tables named ``<plugin>_…`` that no model defines (a model that was removed). The first
    revision opens the branch (label = the plugin's name, ``depends_on`` = the core's head); later ones revise
    the branch's head. Ids follow the ``<plugin>_0001`` numbering when the branch uses it."""
    import tempfile

    from alembic.script import ScriptDirectory

    from enishi.db.engine import make_engine

    folder = _migrations_folder(host, plugin)
    owned = _tables_of(host.plugins[plugin].module)
    with tempfile.TemporaryDirectory(prefix="enishi-revision-") as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'schema.db'}"
        engine = make_engine(url, pool=False)
        try:
            await upgrade(engine, host)
            cfg = alembic_config(host, url)
            cfg.set_main_option("file_template", REVISION_FILE_TEMPLATE)
            _format_with_ruff(cfg)
            cfg.attributes["include_name"], cfg.attributes["include_object"] = _only_tables_of(plugin, owned)
            script = ScriptDirectory.from_config(cfg)
            branch = _branch_revisions(script, plugin)
            options: dict[str, Any] = {"version_path": str(folder), "rev_id": _next_id(plugin, branch)}
            if branch:
                options |= {"head": f"{plugin}@head"}
            else:  # the branch starts here, after the core revisions the database was compared at
                options |= {"head": "base", "branch_label": plugin, "depends_on": _core_head(script)}
            async with engine.connect() as conn:
                written = await conn.run_sync(lambda c: _autogenerate(cfg, c, message, options))
        finally:
            await engine.dispose()
    if written is None:
        raise RevisionRefused(f"no change: the models of plugin {plugin!r} match its migrations")
    return written


def _format_with_ruff(cfg: Config) -> None:
    """Format the written file with ruff when it is installed (beside this Python or on the PATH), as the
    project's own revisions are; alembic writes its own layout otherwise."""
    import shutil
    import sys

    ruff = shutil.which("ruff", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if ruff is None:
        return
    for option, value in {
        "hooks": "ruff_check, ruff_format",
        "ruff_check.type": "exec",
        "ruff_check.executable": ruff,
        "ruff_check.options": "check --fix-only --select I,F401,UP --quiet REVISION_SCRIPT_FILENAME",
        "ruff_format.type": "exec",
        "ruff_format.executable": ruff,
        "ruff_format.options": "format --quiet REVISION_SCRIPT_FILENAME",
    }.items():
        cfg.set_section_option("post_write_hooks", option, value)


def _migrations_folder(host: PluginHost, plugin: str) -> Path:
    info = host.plugins.get(plugin)
    if info is None:
        installed = ", ".join(sorted(host.plugins)) or "none"
        raise RevisionRefused(f"no plugin {plugin!r} is installed (installed: {installed})")
    if not info.loaded:
        raise RevisionRefused(f"plugin {plugin!r} is {info.status}: {info.error}")
    folders = [Path(e.item.path) for e in host.registry.all("migrations") if e.plugin == plugin]
    if not folders:
        raise RevisionRefused(
            f"plugin {plugin!r} has no migrations location: register a MigrationLocation in enishi_register_migrations"
        )
    if len(folders) > 1:
        raise RevisionRefused(f"plugin {plugin!r} registers {len(folders)} migrations locations; one branch has one")
    folders[0].mkdir(parents=True, exist_ok=True)
    return folders[0]


def _tables_of(package: object) -> set[str]:
    """Names of the tables mapped by classes of ``package`` (every module of it is imported first)."""
    import importlib
    import pkgutil

    from enishi.db.base import Base

    name = getattr(package, "__name__", "")
    for module in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=f"{name}."):
        try:
            importlib.import_module(module.name)
        except Exception as exc:
            raise RevisionRefused(f"importing {module.name} failed: {exc!r}") from exc
    return {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if mapper.class_.__module__.partition(".")[0] == name and hasattr(mapper.local_table, "name")
    }


def _only_tables_of(plugin: str, owned: set[str]) -> tuple[Callable[..., bool], Callable[..., bool]]:
    """alembic's include_name and include_object filters keeping the plugin's tables (and what is in them)."""
    from enishi.db.base import Base

    def ours(table: str | None) -> bool:
        return table in owned or (
            table is not None and table.startswith(f"{plugin}_") and table not in Base.metadata.tables
        )

    def include_name(name: str | None, type_: str, parent_names: object) -> bool:
        return type_ != "table" or ours(name)

    def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        return type_ != "table" or ours(name)

    return include_name, include_object


def _branch_revisions(script: ScriptDirectory, plugin: str) -> list[str]:
    """Ids of the revisions on the plugin's branch, head first (none before its first revision)."""
    from alembic.script.revision import RevisionError

    try:
        return [r.revision for r in script.iterate_revisions(f"{plugin}@head", "base")]
    except RevisionError:  # alembic knows no such branch label
        return []


def _next_id(plugin: str, branch: list[str]) -> str | None:
    """``<plugin>_0001`` for a new branch; the next number when the branch is numbered so, else alembic's own."""
    import re

    numbered = re.compile(rf"{re.escape(plugin)}_(\d+)")
    numbers = [int(m.group(1)) for rev in branch if (m := numbered.fullmatch(rev))]
    if branch and not numbers:
        return None
    return f"{plugin}_{max(numbers, default=0) + 1:04d}"


def _core_head(script: ScriptDirectory) -> str:
    head = script.get_revision(f"{CORE_BRANCH}@head")
    assert head is not None
    return head.revision


def _autogenerate(cfg: Config, connection: Connection, message: str, options: dict[str, Any]) -> Path | None:
    from alembic import command
    from alembic.operations.ops import MigrationScript

    def drop_if_empty(context: Any, revision: Any, directives: list[MigrationScript]) -> None:
        if all(d.upgrade_ops is None or d.upgrade_ops.is_empty() for d in directives):
            directives[:] = []

    cfg.attributes["connection"] = connection
    cfg.stdout = io.StringIO()
    with redirect_stdout(cfg.stdout):
        written = command.revision(
            cfg, message=message, autogenerate=True, process_revision_directives=drop_if_empty, **options
        )
    scripts = written if isinstance(written, list) else [written]
    return next((Path(s.path) for s in scripts if s is not None), None)


# -- knowing cheaply that there is nothing to upgrade ------------------------------------------------------------


def scripts_fingerprint(host: PluginHost) -> str:
    """A digest of what alembic's revision graph is made of: each migration folder's branch, and the names and
    contents of the scripts in it. Adding, removing or upgrading a plugin with migrations, or editing a script,
    changes it; a few dozen small files are read, nothing is imported."""
    digest = hashlib.sha256()
    for branch, folder in version_locations(host):
        digest.update(f"branch\0{branch}\0".encode())
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else ():
            if "__pycache__" not in path.parts:
                digest.update(f"{path.relative_to(folder).as_posix()}\0".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


async def stored_versions(engine: AsyncEngine) -> frozenset[str] | None:
    """The rows of alembic's version table (its default name, which env.py keeps), or None when there is no
    such table (a new database)."""
    from sqlalchemy.exc import DBAPIError

    try:
        async with engine.connect() as conn:
            return frozenset(str(r[0]) for r in await conn.exec_driver_sql("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        return None


@dataclass(frozen=True)
class HeadRecord:
    """Which contents of the version table were seen at head, for which migration scripts (their fingerprint).

    Whether ``upgrade heads`` has anything to do depends on those two alone, not on the database: alembic decides
    from the version rows and the revision graph. So when the scripts' fingerprint is the recorded one and the
    table holds a row set recorded with it, the database is at head. Anything else (a plugin added or upgraded,
    a downgrade, a new or foreign database, a missing or unreadable file) is unknown, and the caller asks
    alembic, as it always did, and records what it finds. The file sits beside the SQLite database."""

    path: Path

    @classmethod
    def beside(cls, engine: AsyncEngine) -> HeadRecord | None:
        url = engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        if url.database.startswith("file:") or url.query.get("mode") == "memory":
            return None
        return cls(Path(url.database).with_name(Path(url.database).name + HEAD_RECORD_SUFFIX))

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def knows(self, fingerprint: str, rows: frozenset[str] | None) -> bool:
        data = self._read()
        at_head = data.get("at_head") if data.get("scripts") == fingerprint else None
        if rows is None or not isinstance(at_head, list):
            return False
        return any(isinstance(seen, list) and frozenset(seen) == rows for seen in at_head)

    def remember(self, fingerprint: str, rows: frozenset[str]) -> None:
        data = self._read()
        seen = data.get("at_head") if data.get("scripts") == fingerprint else None
        sets = [s for s in seen if isinstance(s, list) and frozenset(s) != rows] if isinstance(seen, list) else []
        content = json.dumps({"scripts": fingerprint, "at_head": [sorted(rows), *sets[:7]]})
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(content, encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:  # a read-only directory: the next start asks alembic again
            temporary.unlink(missing_ok=True)


async def _remember_at_head(engine: AsyncEngine, host: PluginHost, fingerprint: str) -> None:
    """Record the version rows as at head, if the scripts are still the ones alembic just read."""
    record = HeadRecord.beside(engine)
    rows = await stored_versions(engine) if record is not None else None
    if record is not None and rows and scripts_fingerprint(host) == fingerprint:
        record.remember(fingerprint, rows)
