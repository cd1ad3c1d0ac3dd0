"""What workspace API handlers keep needing: a row or a 404, a write that may take a name someone else just took,
and ids of a request that name nothing in the workspace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from enishi.api.errors import ApiError, not_found

if TYPE_CHECKING:
    from sqlalchemy.orm import InstrumentedAttribute

    from enishi.context import WorkspaceContext

M = TypeVar("M")
MAX_LISTED_PROBLEMS = 100  # per field: a list of 10,000 unknown ids helps nobody


async def get_or_404(ctx: WorkspaceContext, model: type[M], id: Any, what: str) -> M:
    """The row of ``model`` with this primary key, or a 404 ``"<what> not found"``. The session is scoped to the
    workspace, so another workspace's row is missing too: ids reveal nothing about other workspaces."""
    row = await ctx.session.get(model, id)
    if row is None:
        raise not_found(what)
    return row


def already_taken(field: str, message: str) -> ApiError:
    """409 ``<field>_taken`` at ``$.<field>``: a unique name, label or key that another row has."""
    return ApiError(409, f"{field}_taken", message, [{"path": f"$.{field}", "message": "already taken"}])


async def flush_or_conflict(ctx: WorkspaceContext, conflict: ApiError) -> None:
    """Write now, so that a unique value a concurrent request took first is ``conflict`` (e.g. an
    :func:`already_taken`) rather than a failed commit (500). The transaction is then rolled back, as for any
    error."""
    try:
        await ctx.session.flush()
    except IntegrityError:
        raise conflict from None


async def missing_ids(ctx: WorkspaceContext, column: InstrumentedAttribute[int], ids: Sequence[int]) -> set[int]:
    """The ids in ``ids`` with no row in this workspace (another workspace's rows count as missing); one query."""
    wanted = set(ids)
    if not wanted:
        return set()
    return wanted - set(await ctx.session.scalars(select(column).where(column.in_(wanted))))


def unknown_ids(ids: Sequence[int], missing: set[int], path: str) -> list[dict[str, str]]:
    """One problem per position of an unknown id, e.g. ``$.tag_ids[2]``, for :func:`enishi.invalid`; past
    ``MAX_LISTED_PROBLEMS`` one more problem at ``path`` says how many else."""
    problems = [
        {"path": f"{path}[{i}]", "message": "見つかりません / not found in this workspace"}
        for i, value in enumerate(ids)
        if value in missing
    ]
    if len(problems) > MAX_LISTED_PROBLEMS:
        rest = len(problems) - MAX_LISTED_PROBLEMS
        problems = [*problems[:MAX_LISTED_PROBLEMS], {"path": path, "message": f"and {rest} more not found"}]
    return problems
