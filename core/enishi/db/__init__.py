"""Database: declarative base, engine and sessions, and the workspace scoping every query goes through."""

from enishi.db.base import Base, BigId, JsonDoc, UTCDateTime, WorkspaceOwned, utcnow
from enishi.db.engine import Database, dialect_of, upsert_insert
from enishi.db.scoping import WorkspaceScopeError, scoped_to

__all__ = [
    "Base",
    "BigId",
    "Database",
    "JsonDoc",
    "UTCDateTime",
    "WorkspaceOwned",
    "WorkspaceScopeError",
    "dialect_of",
    "scoped_to",
    "upsert_insert",
    "utcnow",
]
