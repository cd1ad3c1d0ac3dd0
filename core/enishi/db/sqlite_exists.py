"""``EXISTS (SELECT 1 …)`` instead of ``EXISTS (SELECT * …)`` on SQLite.

SQLAlchemy writes ``exists().where(…)`` as ``EXISTS (SELECT * FROM …)``. PostgreSQL ignores the select list of an
EXISTS, but SQLite's planner then thinks it needs every column and reads the table row behind each index entry
instead of answering from a covering index: segment conditions such as "has tag X" (one probe per friend) ran
about twice as slow as the same SQL written by hand. The result of an EXISTS never depends on its select list, so
the rewrite changes nothing but the plan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import Exists, ScalarSelect, Select


def _selects_star(select: Select[Any]) -> bool:
    columns = list(select.selected_columns)
    return len(columns) == 1 and isinstance(columns[0], ColumnClause) and columns[0].name == "*"


@compiles(Exists, "sqlite")
def _exists_select_one(element: Exists, compiler: Any, **kw: Any) -> str:
    inner = element.element
    if isinstance(inner, ScalarSelect) and isinstance(inner.element, Select) and _selects_star(inner.element):
        element = inner.element.with_only_columns(literal_column("1")).exists()
    text: str = compiler.visit_unary(element, **kw)
    return text
