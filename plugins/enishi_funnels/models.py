"""Saved funnels: a name, ordered stages (each a registered condition) and an optional segment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enishi import Base, BigId, JsonDoc, WorkspaceOwned, utcnow

NAME_MAX = 100


class Funnel(WorkspaceOwned, Base):
    __tablename__ = "funnels_funnels"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    segment: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
