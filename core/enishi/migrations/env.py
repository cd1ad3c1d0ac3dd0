"""Alembic environment: runs on the connection handed over by enishi.migrate (sync inside run_sync)."""

from __future__ import annotations

from alembic import context

import enishi.models  # noqa: F401 - registers the core tables on the metadata
from enishi.db.base import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `enishi db …`, which loads the plugins' branches")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table instead
    compare_type=True,
    # `enishi db revision --plugin NAME` compares that plugin's tables only
    include_name=config.attributes.get("include_name"),
    include_object=config.attributes.get("include_object"),
)
with context.begin_transaction():
    context.run_migrations()
