"""Annotations for handler parameters the core injects by name (Litestar's ``NamedDependency``).

Plugins use ``Ctx`` and ``Db`` from ``enishi``: ``async def handler(ctx: Ctx) -> ...``. Live objects skip
validation: they are built by the core, not parsed from the request.
"""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.api.services import Services
from enishi.auth.service import Authenticated
from enishi.context import WorkspaceContext
from enishi.models import User
from enishi.tenancy.access import WorkspaceAccess

Db: TypeAlias = NamedDependency[SkipValidation[AsyncSession]]
Ctx: TypeAlias = NamedDependency[SkipValidation[WorkspaceContext]]
Access: TypeAlias = NamedDependency[SkipValidation[WorkspaceAccess]]
AppServices: TypeAlias = NamedDependency[SkipValidation[Services]]
CurrentUser: TypeAlias = NamedDependency[SkipValidation[User]]
Auth: TypeAlias = NamedDependency[SkipValidation[Authenticated]]
