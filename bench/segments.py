# ruff: noqa: S608  (the seed and the hand-written SQL are put together from this file's own numbers)
"""Segment queries: the compiled form (what the friend search runs) vs hand-written SQL for the same result.

One workspace of 1,000,000 friends (and a second, smaller one beside it), about 5,000,000 tag links, a response
mark on a fifth of the friends and 10 friend fields with values in the friend_fields plugin's tables. For each
realistic segment: the time of the compiled count and first page (``friends_in`` through the search module, on a
workspace-scoped session, as the API runs them) ÷ the time of hand-written SQL for the same count and page, on
SQLite and PostgreSQL side by side. Results are checked identical; the goal is a ratio ≤ 1.2.

The seeded databases are kept between runs (a SQLite file in the temp directory and a PostgreSQL database):
new migrations are applied to them, and they are seeded again only when the seed changed, so a re-run takes
minutes, not a quarter of an hour.

    .venv/bin/python bench/segments.py [--friends 1000000] [--repeat 5] [--backends sqlite,postgresql] [--reseed]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.fernet import Fernet
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from enishi import migrate
from enishi.audience import search as friend_search
from enishi.context import WorkspaceContext
from enishi.crypto import SecretBox
from enishi.db.engine import Database, make_engine
from enishi.models import Agency, Plan
from enishi.plugin_host import PluginHost, discover
from enishi.settings import load_settings
from enishi.tenancy.workspaces import ChannelCredentials, create_workspace

SEED_VERSION = "segments-2"
PG_ADMIN_URL = os.environ.get("ENISHI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
OTHER_FRIENDS = 50_000
TAGS = 50
TAG_PASSES = 6  # up to six tags per friend, popular tags far more often: about five links per friend
MARKS = ("要対応", "対応中", "対応済")  # the ones the plugin seeds
FIELDS = (  # key, type, share of friends with a value (per mille)
    ("points", "number", 600),
    ("rank", "select", 500),
    ("birthday", "date", 300),
    ("prefecture", "select", 400),
    ("visits", "number", 350),
    ("last_purchase", "date", 250),
    ("age", "number", 300),
    ("gender", "select", 450),
    ("spend", "number", 200),
    ("coupon_used", "number", 150),
)
RANKS = ("ブロンズ", "シルバー", "ゴールド", "プラチナ")
PREFECTURES = ("東京都", "神奈川県", "大阪府", "愛知県", "福岡県", "北海道", "埼玉県", "千葉県")
PAGE = 50


# --- seeding ----------------------------------------------------------------------------------------------------


@dataclass
class Seeded:
    workspace_id: int
    tag_ids: list[int]
    mark_ids: list[int]
    field_ids: dict[str, int]


def sqlite_seed_sql(n: int, ws: int, other: int, tag0: int, mark0: int, fields: dict[str, int]) -> list[str]:
    """INSERT … SELECT over a recursive counter: no row passes through Python."""
    counter = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count})"
    ts = "strftime('%Y-%m-%d %H:%M:%f000', '{base}', '+' || ({expr}) || ' seconds')"

    def friends(workspace: int, count: int, prefix: str) -> str:
        followed = ts.format(base="2023-06-01", expr="(n * 7919) % 94608000")
        inbound = ts.format(base="2024-06-01", expr="(n * 104729) % 63072000")
        return (
            counter.format(count=count)
            + " INSERT INTO friends (workspace_id, line_user_id, display_name, status, followed_at, blocked_at,"
            " last_inbound_at, created_at)"
            f" SELECT {workspace}, '{prefix}' || printf('%032d', n), 'ユーザー' || n,"
            " CASE WHEN n % 20 = 0 THEN 'blocked' ELSE 'following' END,"
            f" {followed}, NULL, CASE WHEN n % 10 < 3 THEN NULL ELSE {inbound} END, {followed} FROM seq"
        )

    sql = [friends(ws, n, "U"), friends(other, OTHER_FRIENDS, "V")]
    for k in range(TAG_PASSES):
        u = f"((f.id * {[7919, 104729, 1299709, 15485863, 179424673, 2038074743][k]} + {k * 7}) % 1000)"
        sql.append(
            "INSERT OR IGNORE INTO tags_friend_tags (friend_id, tag_id, added_at, source, workspace_id)"
            f" SELECT f.id, {tag0} + ({u} * {u}) / 20000, f.followed_at, 'bulk', {ws}"
            f" FROM friends f WHERE f.workspace_id = {ws} AND (f.id + {k}) % 7 != 0"
        )
    sql.append(
        "INSERT INTO response_marks_friend_marks (friend_id, mark_id, set_at, source, workspace_id)"
        f" SELECT f.id, {mark0} + f.id % {len(MARKS)}, f.followed_at, 'manual', {ws}"
        f" FROM friends f WHERE f.workspace_id = {ws} AND f.id % 5 = 1"
    )
    for i, (key, type_, share) in enumerate(FIELDS):
        sql.append(_field_values_sql(ws, fields[key], key, type_, share, i, "sqlite"))
    return sql


def _field_values_sql(ws: int, field_id: int, key: str, type_: str, share: int, i: int, dialect: str) -> str:
    h = f"((f.id * {2654435761 + i * 40503}) % 1000003)"
    if type_ == "number":
        number = f"(({h} / 1000) % 1000)"
        json_value = number if dialect == "sqlite" else f"to_jsonb({number})"
        columns, values = "value_number, value_sort", f"{number}, printf('%010d', {number})"
        if dialect == "postgresql":
            values = f"{number}, lpad({number}::text, 10, '0')"
    elif type_ == "date":
        if dialect == "sqlite":
            day = f"date('1960-01-01', '+' || (({h} / 1000) % 20000) || ' days')"
            json_value = f"json_quote({day})"
        else:
            day = f"(date '1960-01-01' + (({h} / 1000) % 20000)::int)"
            json_value = f"to_jsonb({day}::text)"
        columns, values = "value_date, value_sort", f"{day}, {day}" if dialect == "sqlite" else f"{day}, {day}::text"
    else:
        options = RANKS if key == "rank" else PREFECTURES if key == "prefecture" else ("女性", "男性", "その他")
        quoted = ", ".join(f"'{o}'" for o in options)
        if dialect == "sqlite":
            array = json.dumps(list(options), ensure_ascii=False)
            pick = f"json_extract('{array}', '$[' || (({h} / 1000) % {len(options)}) || ']')"
            json_value = f"json_quote({pick})"
        else:
            pick = f"(ARRAY[{quoted}])[1 + ({h} / 1000) % {len(options)}]"
            json_value = f"to_jsonb({pick})"
        columns, values = "value_text, value_sort", f"{pick}, {pick}"
    return (
        f"INSERT INTO friend_fields_values (friend_id, field_id, value, {columns}, updated_at, source, workspace_id)"
        f" SELECT f.id, {field_id}, {json_value}, {values}, f.followed_at, 'bulk', {ws}"
        f" FROM friends f WHERE f.workspace_id = {ws} AND {h} % 1000 < {share}"
    )


def pg_seed_sql(n: int, ws: int, other: int, tag0: int, mark0: int, fields: dict[str, int]) -> list[str]:
    def friends(workspace: int, count: int, prefix: str) -> str:
        followed = "timestamptz '2023-06-01 00:00+00' + ((g * 7919) % 94608000) * interval '1 second'"
        inbound = "timestamptz '2024-06-01 00:00+00' + ((g * 104729) % 63072000) * interval '1 second'"
        return (
            "INSERT INTO friends (workspace_id, line_user_id, display_name, status, followed_at, blocked_at,"
            " last_inbound_at, created_at)"
            f" SELECT {workspace}, '{prefix}' || lpad(g::text, 32, '0'), 'ユーザー' || g,"
            " CASE WHEN g % 20 = 0 THEN 'blocked' ELSE 'following' END,"
            f" {followed}, NULL, CASE WHEN g % 10 < 3 THEN NULL ELSE {inbound} END, {followed}"
            f" FROM generate_series(1::bigint, {count}) g"
        )

    sql = [friends(ws, n, "U"), friends(other, OTHER_FRIENDS, "V")]
    for k in range(TAG_PASSES):
        u = f"((f.id * {[7919, 104729, 1299709, 15485863, 179424673, 2038074743][k]}::bigint + {k * 7}) % 1000)"
        sql.append(
            "INSERT INTO tags_friend_tags (friend_id, tag_id, added_at, source, workspace_id)"
            f" SELECT f.id, {tag0} + ({u} * {u}) / 20000, f.followed_at, 'bulk', {ws}"
            f" FROM friends f WHERE f.workspace_id = {ws} AND (f.id + {k}) % 7 != 0 ON CONFLICT DO NOTHING"
        )
    sql.append(
        "INSERT INTO response_marks_friend_marks (friend_id, mark_id, set_at, source, workspace_id)"
        f" SELECT f.id, {mark0} + f.id % {len(MARKS)}, f.followed_at, 'manual', {ws}"
        f" FROM friends f WHERE f.workspace_id = {ws} AND f.id % 5 = 1"
    )
    for i, (key, type_, share) in enumerate(FIELDS):
        sql.append(_field_values_sql(ws, fields[key], key, type_, share, i, "postgresql"))
    return sql


async def make_tenants(db: Database, host: PluginHost, settings: Any) -> tuple[int, int]:
    async with db.transaction() as s:
        agency = Agency(name="ベンチ代理店")
        s.add(agency)
        await s.flush()
        plan = await s.scalar(select(Plan).where(Plan.key == "pro"))
        made = []
        for name in ("ベンチ店舗", "隣の店舗"):
            workspace = await create_workspace(
                s,
                host=host,
                settings=settings,
                secrets_box=SecretBox(settings.secret_keys),
                agency=agency,
                name=name,
                credentials=ChannelCredentials(
                    str(1_000_000_000 + uuid.uuid4().int % 8_999_999_999), uuid.uuid4().hex, "t" + uuid.uuid4().hex
                ),
                plan=plan,
            )
            made.append(workspace.id)
    return made[0], made[1]


async def make_definitions(db: Database, ws: int) -> tuple[int, int, dict[str, int]]:
    """Tags, marks and field definitions through the plugins' own models (a few dozen rows)."""
    from enishi_friend_fields.models import FieldDefinition
    from enishi_response_marks.models import Mark
    from enishi_tags.models import Tag

    async with db.transaction(ws) as s:
        tags = [Tag(name=f"タグ{i:02d}", sort_order=i) for i in range(TAGS)]
        seeded = {m.label: m for m in await s.scalars(select(Mark))}  # the plugin seeds a few when switched on
        marks = [seeded.get(label) or Mark(label=label, color="#ff0000", sort_order=i) for i, label in enumerate(MARKS)]
        fields = [
            FieldDefinition(
                key=key,
                label=key,
                type=type_,
                options=list(RANKS if key == "rank" else PREFECTURES if key == "prefecture" else ())
                if type_ == "select"
                else [],
            )
            for key, type_, _ in FIELDS
        ]
        s.add_all([*tags, *marks, *fields])
        await s.flush()
        mark_ids = sorted(m.id for m in marks)
        assert mark_ids == list(range(mark_ids[0], mark_ids[0] + len(MARKS))), "marks need consecutive ids"
        return tags[0].id, mark_ids[0], {f.key: f.id for f in fields}


async def seed(backend: str, url: str, host: PluginHost, settings: Any, n: int) -> None:
    engine = make_engine(url, pool=False)
    await migrate.upgrade(engine, host)
    await engine.dispose()
    db = Database(url)
    ws, other = await make_tenants(db, host, settings)
    tag0, mark0, fields = await make_definitions(db, ws)
    await db.dispose()
    started = time.perf_counter()
    if backend == "sqlite":
        path = url.split(":///", 1)[1]
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        for statement in sqlite_seed_sql(n, ws, other, tag0, mark0, fields):
            conn.execute("BEGIN")
            conn.execute(statement)
            conn.execute("COMMIT")
            print(f"  {time.perf_counter() - started:6.1f}s {statement[:70]}…", flush=True)
        conn.execute(f"CREATE TABLE bench_seed AS SELECT '{SEED_VERSION}' AS version, {n} AS friends, {ws} AS ws")
        conn.execute("ANALYZE")
        conn.close()
    else:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        await conn.execute("SET session_replication_role = replica")  # no foreign key triggers while seeding
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in pg_seed_sql(n, ws, other, tag0, mark0, fields):
            await conn.execute(statement)
            print(f"  {time.perf_counter() - started:6.1f}s {statement[:70]}…", flush=True)
        await conn.execute(
            f"CREATE TABLE bench_seed AS SELECT '{SEED_VERSION}'::text AS version, {n} AS friends, {ws} AS ws"
        )
        await conn.execute("VACUUM ANALYZE")
        await conn.close()
    print(f"  seeded {backend} in {time.perf_counter() - started:.0f}s", flush=True)


async def cached_workspace(url: str, host: PluginHost, n: int) -> int | None:
    """The benchmark workspace of a database seeded by this version for ``n`` friends, if there is one; migrations
    added since it was seeded are applied to it (new indexes are built on the seeded data)."""
    engine = make_engine(url, pool=False)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT version, friends, ws FROM bench_seed"))).first()
        if not row or row.version != SEED_VERSION or row.friends != n:
            return None
        if await migrate.pending(engine, host):
            print("  migrating the cached database…", flush=True)
            await migrate.upgrade(engine, host)
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
    except Exception as exc:
        print(f"  the cached database cannot be used ({type(exc).__name__}): seeding again", flush=True)
        return None
    finally:
        await engine.dispose()
    return int(row.ws)


async def prepare_backend(backend: str, n: int, reseed: bool, host: PluginHost, settings: Any) -> tuple[str, int]:
    if backend == "sqlite":
        path = Path(tempfile.gettempdir()) / f"enishi_bench_segments_{n}.sqlite"
        url = f"sqlite+aiosqlite:///{path}"
        ws = None if reseed else await cached_workspace(url, host, n)
        if ws is None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240 - before anything is measured
            print(f"seeding SQLite ({n:,} friends)…", flush=True)
            await seed(backend, url, host, settings, n)
            ws = await cached_workspace(url, host, n)
        assert ws is not None
        return url, ws
    name = f"enishi_bench_segments_{n}"
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        ws = None if (reseed or not exists) else await cached_workspace(url, host, n)
        if ws is None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
            print(f"seeding PostgreSQL ({n:,} friends)…", flush=True)
            await seed(backend, url, host, settings, n)
            ws = await cached_workspace(url, host, n)
    finally:
        await admin.close()
    assert ws is not None
    return url, ws


# --- the segments ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    segment: dict[str, Any]
    exclude: dict[str, Any] | None
    where: str  # hand-written conditions on friends f (besides workspace and follow state)


def cases(ids: dict[str, Any]) -> list[Case]:
    t = ids["tags"]
    vip = [t[3], t[7], t[12]]  # mid-popular tags
    ng = t[1]
    mark = ids["marks"][0]
    points = ids["fields"]["points"]
    has_vip = {"type": "tags.has_tags", "config": {"tag_ids": vip, "match": "any"}}
    in_vip = (
        "EXISTS (SELECT 1 FROM tags_friend_tags t WHERE t.friend_id = f.id"
        f" AND t.tag_id IN ({vip[0]}, {vip[1]}, {vip[2]}))"
    )
    not_ng = f"NOT EXISTS (SELECT 1 FROM tags_friend_tags t WHERE t.friend_id = f.id AND t.tag_id = {ng})"
    marked = f"EXISTS (SELECT 1 FROM response_marks_friend_marks m WHERE m.friend_id = f.id AND m.mark_id = {mark})"
    followed = "f.followed_at >= :start AND f.followed_at < :end"
    rich = (
        "EXISTS (SELECT 1 FROM friend_fields_values v WHERE v.friend_id = f.id"
        f" AND v.field_id = {points} AND v.value_number >= 800)"
    )
    field_compare = {
        "type": "friend_fields.field_compare",
        "config": {"key": "points", "operator": "gte", "value": 800},
    }
    return [
        Case("3 tags (any)", {"all": [has_vip]}, None, in_vip),
        Case(
            "3 tags, 1 excluded",
            {"all": [has_vip]},
            {"all": [{"type": "tags.has_tags", "config": {"tag_ids": [ng]}}]},
            f"{in_vip} AND {not_ng}",
        ),
        Case("mark", {"all": [{"type": "response_marks.mark_is", "config": {"mark_ids": [mark]}}]}, None, marked),
        Case(
            "date range",
            {"all": [{"type": "core.followed_between", "config": {"from": "2025-01-01", "to": "2025-03-31"}}]},
            None,
            followed,
        ),
        Case("field comparison", {"all": [field_compare]}, None, rich),
        Case(
            "all of them",
            {
                "all": [
                    has_vip,
                    {"type": "response_marks.mark_is", "config": {"mark_ids": [mark]}},
                    {"type": "core.followed_between", "config": {"from": "2025-10-01", "to": "2026-03-31"}},
                    field_compare,
                ]
            },
            {"all": [{"type": "tags.has_tags", "config": {"tag_ids": [ng]}}]},
            f"{in_vip} AND {not_ng} AND {marked} AND f.followed_at >= :start2 AND f.followed_at < :end2 AND {rich}",
        ),
    ]


def hand_params(backend: str) -> dict[str, Any]:
    def at(day: date) -> Any:
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC) - (datetime(2000, 1, 1, 9) - datetime(2000, 1, 1))
        return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if backend == "sqlite" else moment

    return {
        "start": at(date(2025, 1, 1)),
        "end": at(date(2025, 4, 1)),
        "start2": at(date(2025, 10, 1)),
        "end2": at(date(2026, 4, 1)),
    }


# --- timing ---------------------------------------------------------------------------------------------------


class CpuClock:
    """CPU seconds spent so far: this process (Python, the driver, SQLite's thread) and, on PostgreSQL, the server
    process serving the connection (read from /proc; parallel workers are off, so that process does all the work).

    The machine may be shared: other processes' load stretches wall-clock times by a different amount from one
    run to the next, but not the CPU time a query itself needs, so the ratio is judged on CPU time.
    """

    def __init__(self, server_pid: int | None = None) -> None:
        stat = Path(f"/proc/{server_pid}/stat")
        self.server_stat = stat if server_pid is not None and stat.exists() else None
        self.tick = os.sysconf("SC_CLK_TCK")

    @property
    def complete(self) -> bool:
        return self.server_stat is not None

    def now(self) -> float:
        spent = time.process_time()
        if self.server_stat is not None:
            fields = self.server_stat.read_text().rsplit(")", 1)[1].split()
            spent += (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime
        return spent


@dataclass
class Timing:
    wall_a: float
    wall_b: float
    cpu_a: float
    cpu_b: float
    cpu_ratio: float  # median over the pairs
    wall_ratio: float


async def paired(
    a: Callable[[], Awaitable[Any]], b: Callable[[], Awaitable[Any]], repeat: int, clock: CpuClock
) -> tuple[Timing, Any, Any]:
    """``a`` and ``b`` in adjacent pairs, taking turns at going first, each run repeated until it lasts a quarter
    of a second (so the server's CPU ticks of 10 ms are fine enough); medians of the times and of the ratios."""
    started = time.perf_counter()
    result_a, result_b = await a(), await b()  # warm the caches and the statement cache
    rounds = max(1, math.ceil(0.25 / max((time.perf_counter() - started) / 2, 1e-6)))
    samples: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}
    cpu_ratios: list[float] = []
    wall_ratios: list[float] = []
    for i in range(repeat):
        for name in ("a", "b") if i % 2 == 0 else ("b", "a"):
            fn = a if name == "a" else b
            wall, cpu = time.perf_counter(), clock.now()
            for _ in range(rounds):
                await fn()
            samples[name].append(((time.perf_counter() - wall) / rounds, (clock.now() - cpu) / rounds))
        (wall_a, cpu_a), (wall_b, cpu_b) = samples["a"][-1], samples["b"][-1]
        cpu_ratios.append(cpu_a / cpu_b if cpu_b > 0 else float("nan"))
        wall_ratios.append(wall_a / wall_b)

    def median(name: str, index: int) -> float:
        return statistics.median(sample[index] for sample in samples[name])

    timing = Timing(
        median("a", 0),
        median("b", 0),
        median("a", 1),
        median("b", 1),
        statistics.median(cpu_ratios),
        statistics.median(wall_ratios),
    )
    return timing, result_a, result_b


async def measure(
    backend: str, url: str, ws: int, host: PluginHost, settings: Any, repeat: int
) -> list[tuple[str, Timing, int]]:
    from enishi_friend_fields.models import FieldDefinition
    from enishi_response_marks.models import Mark
    from enishi_tags.models import Tag

    db = Database(url)
    out = []
    try:
        async with db.session(ws) as s:
            ids = {
                "tags": list(await s.scalars(select(Tag.id).order_by(Tag.sort_order))),
                "marks": list(await s.scalars(select(Mark.id).order_by(Mark.id))),
                "fields": {k: i for k, i in await s.execute(select(FieldDefinition.key, FieldDefinition.id))},
            }
            enabled = frozenset(e.plugin for e in host.registry.all("conditions")) - {"core"}
            ctx = WorkspaceContext(
                workspace_id=ws, session=s, host=host, settings=settings, jobs=None, enabled_plugins=enabled, now=NOW
            )
            params = hand_params(backend)
            server_pid = None
            if backend == "postgresql":
                # The backend process does all the work (its CPU time is what the clock reads).
                await s.execute(text("SET max_parallel_workers_per_gather = 0"))
                server_pid = int(await s.scalar(text("SELECT pg_backend_pid()")) or 0)
            clock = CpuClock(server_pid)
            if backend == "postgresql" and not clock.complete:
                print("  (the PostgreSQL server's CPU time is not readable here: judging by wall-clock time)")
            for case in cases(ids):
                search = friend_search.Search(segment=case.segment, exclude=case.exclude, columns=[])
                prepared = await friend_search.prepare(ctx, search)

                async def compiled(prepared: Any = prepared) -> tuple[int, list[int]]:
                    # What POST …/friends/count and …/friends/search run (without a column to load).
                    total = await friend_search.count(ctx, prepared)
                    rows, _ = await friend_search.page(ctx, prepared, None, PAGE)
                    return total, [r.id for r in rows]

                where = f"f.workspace_id = {ws} AND f.status = 'following' AND {case.where}"
                count_sql = text(f"SELECT count(*) FROM friends f WHERE {where}")
                page_sql = text(
                    "SELECT f.id, f.line_user_id, f.display_name, f.picture_url, f.status, f.followed_at,"
                    f" f.last_inbound_at FROM friends f WHERE {where} ORDER BY f.id LIMIT {PAGE + 1}"
                )
                used = {k: v for k, v in params.items() if f":{k}" in where}

                async def hand(
                    session: AsyncSession = s, c: Any = count_sql, p: Any = page_sql, u: Any = used
                ) -> tuple[int, list[int]]:
                    total = int((await session.execute(c, u)).scalar_one())
                    rows = (await session.execute(p, u)).all()
                    return total, [r.id for r in rows][:PAGE]

                timing, r_compiled, r_hand = await paired(compiled, hand, repeat, clock)
                if r_compiled != r_hand:
                    raise AssertionError(f"{backend} {case.name}: compiled {r_compiled[0]} ≠ hand-written {r_hand[0]}")
                if backend == "postgresql" and not clock.complete:
                    timing.cpu_ratio = timing.wall_ratio
                out.append((case.name, timing, r_hand[0]))
    finally:
        await db.dispose()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--friends", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7, help="paired runs per segment and database")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--reseed", action="store_true", help="seed again even if a cached database is current")
    args = parser.parse_args()
    settings = load_settings(
        {
            "ENISHI_DATA_DIR": tempfile.mkdtemp(prefix="enishi_bench_"),
            "ENISHI_SECRET_KEY": Fernet.generate_key().decode(),
        }
    )
    host = discover(settings)
    results: dict[str, list[tuple[str, Timing, int]]] = {}
    for backend in args.backends.split(","):
        url, ws = await prepare_backend(backend, args.friends, args.reseed, host, settings)
        results[backend] = await measure(backend, url, ws, host, settings, args.repeat)

    backends = list(results)
    print(
        f"\nsegments over {args.friends:,} friends, count + first page of {PAGE}: compiled ÷ hand-written SQL"
        f" (medians of {args.repeat} paired runs; CPU time of this process and the database server), goal ≤ 1.2"
    )
    header = f"{'segment':<20}{'friends':>9}" + "".join(
        f" │ {b:<10}{'compiled':>10}{'hand':>10}{'wall÷':>7}{'CPU÷':>6}" for b in backends
    )
    print(header)
    worst = 0.0
    for i, (name, _, found) in enumerate(results[backends[0]]):
        line = f"{name:<20}{found:>9,}"
        for b in backends:
            _, t, _ = results[b][i]
            worst = max(worst, t.cpu_ratio)
            line += (
                f" │ {'':<10}{t.wall_a * 1000:>8.0f}ms{t.wall_b * 1000:>8.0f}ms{t.wall_ratio:>7.2f}{t.cpu_ratio:>6.2f}"
            )
        print(line)
    print(f"worst CPU ratio {worst:.2f}: {'meets' if worst <= 1.2 else 'misses'} the goal of 1.2")


if __name__ == "__main__":
    asyncio.run(main())
