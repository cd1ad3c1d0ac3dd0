"""Funnels (ファネル分析): how many friends get through ordered stages, and where they drop off.

Each stage is any registered condition (a tag, a field value, a mark, a route, a scenario step reached, points …);
stage k counts friends satisfying stages 1..k, with conversion from the previous and from the first stage and the
drop-off, for friends who followed within a period and are in a segment, in one SQL statement. Funnels can be
saved (``/api/workspaces/{id}/funnels``); the report ``funnels.funnel`` runs a saved or an inline funnel through
the core's report API, with CSV export.
"""

from __future__ import annotations

from pathlib import Path

from enishi import (
    ApiRoutes,
    MigrationLocation,
    Permission,
    PluginManifest,
    Register,
    ReportType,
    Text,
    hookimpl,
)
from enishi.types import Lookup, Resource, UiModule
from enishi_funnels.permissions import PERMISSIONS
from enishi_funnels.report import PARAMS_SCHEMA, run_funnel
from enishi_funnels.routes import FunnelController
from enishi_funnels.screens import SCREENS

manifest = PluginManifest(
    title=Text(ja="ファネル分析", en="Funnels"),
    description=Text(
        ja="タグ・友だち情報・対応マークなどの条件を段階に並べ、各段階の人数・移行率・離脱を期間と絞り込みで分析します。",
        en="Ordered stages of any condition (tags, fields, marks …): counts, conversion and drop-off per stage, "
        "by follow period and segment.",
    ),
    tier="pro",
    core_api=">=1,<2",
)

funnel_report = ReportType(
    name="funnel",
    label=Text("ファネル分析", "Funnel"),
    description=Text(
        "段階ごとの人数(それまでの段階をすべて満たす友だち)、移行率と離脱。",
        "Friends per stage (meeting every stage so far), conversion and drop-off.",
    ),
    params_schema=PARAMS_SCHEMA,
    run=run_funnel,
)


@hookimpl
def enishi_register_reports(register: Register[ReportType]) -> None:
    register(funnel_report)


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    for permission in PERMISSIONS:
        register(permission)


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[FunnelController]))


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    for screen in SCREENS:
        register(screen)


@hookimpl
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    register(MigrationLocation(path=Path(__file__).parent / "migrations"))
