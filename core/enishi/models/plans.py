"""Plans a platform admin defines (e.g. スタート / スタンダード / プロ): allowed plugins and limits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, JsonDoc, utcnow


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (CheckConstraint("tier IN ('start', 'standard', 'pro')", name="tier"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # Plugins whose manifest tier is at or below this one are allowed, unless allowed_plugins lists them.
    tier: Mapped[str] = mapped_column(String(16), default="start")
    allowed_plugins: Mapped[list[str] | None] = mapped_column(JsonDoc, default=None)
    staff_seats: Mapped[int | None] = mapped_column(Integer, default=None)  # None = unlimited
    friends_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    monthly_messages: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
