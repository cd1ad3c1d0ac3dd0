"""The one mechanism that keeps a workspace's data to itself.

A session whose ``info["workspace_id"]`` is set adds ``workspace_id = :id`` to every ORM SELECT, UPDATE and DELETE
touching a :class:`WorkspaceOwned` entity (including joins and relationship loads), and refuses to flush a row of
another workspace. Handlers never add the filter by hand, so none can forget it: a record of another workspace
simply is not found, which the API answers with 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from enishi.db.base import WorkspaceOwned


class WorkspaceScopeError(RuntimeError):
    pass


class ScopedSession(Session):
    """The sync session class behind every AsyncSession Enishi creates."""


@event.listens_for(ScopedSession, "do_orm_execute")
def _limit_to_workspace(state: ORMExecuteState) -> None:
    workspace_id = state.session.info.get("workspace_id")
    if workspace_id is None or state.is_column_load or state.execution_options.get("all_workspaces"):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                WorkspaceOwned,
                lambda cls: cls.workspace_id == workspace_id,
                include_aliases=True,
            )
        )


@event.listens_for(ScopedSession, "before_flush")
def _stamp_workspace(session: Session, _ctx: Any, _instances: Any) -> None:
    workspace_id = session.info.get("workspace_id")
    if workspace_id is None:
        return
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, WorkspaceOwned):
            continue
        current = obj.workspace_id
        if current is None:
            obj.workspace_id = workspace_id
        elif current != workspace_id:
            raise WorkspaceScopeError(
                f"refusing to write a {type(obj).__name__} of workspace {current} in workspace {workspace_id}"
            )


@contextmanager
def scoped_to(session: AsyncSession, workspace_id: int) -> Iterator[AsyncSession]:
    """Temporarily limit an existing session to one workspace."""
    previous = session.info.get("workspace_id")
    session.info["workspace_id"] = workspace_id
    try:
        yield session
    finally:
        if previous is None:
            session.info.pop("workspace_id", None)
        else:
            session.info["workspace_id"] = previous
