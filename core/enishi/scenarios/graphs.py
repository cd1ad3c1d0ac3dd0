"""Published scenario graphs, read once per process.

A published version never changes, so its graph is cached. The key is the version's id *and* its publication
time in its workspace: an id alone can name another row after a delete (SQLite reuses ids of deleted rows on
tables without AUTOINCREMENT), and a graph run for the wrong version would send one workspace's steps to
another's friends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from enishi.context import WorkspaceContext
from enishi.models.scenarios import ScenarioVersion
from enishi.scenarios.document import Graph

GraphKey = tuple[str, int, int, datetime]  # database, workspace, version id, published at
_graphs: dict[GraphKey, Graph] = {}
_MAX_CACHED = 2000


def _key(ctx: WorkspaceContext, version_id: int, published_at: datetime) -> GraphKey:
    return (str(ctx.session.get_bind().engine.url), ctx.workspace_id, version_id, published_at)


async def graph_of(ctx: WorkspaceContext, version_id: int, published_at: datetime | None = None) -> Graph:
    """The graph of a published version of ``ctx``'s workspace (LookupError when there is none)."""
    if published_at is not None:
        cached = _graphs.get(_key(ctx, version_id, published_at))
        if cached is not None:
            return cached
    row = (
        await ctx.session.execute(
            select(ScenarioVersion.document, ScenarioVersion.published_at).where(
                ScenarioVersion.id == version_id, ScenarioVersion.workspace_id == ctx.workspace_id
            )
        )
    ).one_or_none()
    if row is None:
        raise LookupError(f"scenario version {version_id} is not in workspace {ctx.workspace_id}")
    key = _key(ctx, version_id, row.published_at)
    graph = _graphs.get(key)
    if graph is None:
        graph = Graph.of(row.document, ctx.host.registry)
        if len(_graphs) >= _MAX_CACHED:
            _graphs.clear()
        _graphs[key] = graph
    return graph
