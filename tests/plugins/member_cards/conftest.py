"""Fixtures for the member cards plugin: the scenario tests' ``world`` (a workspace on the pro plan with staff,
friends aoi, ren and yui, every plugin on; SQLite and PostgreSQL, a fresh database per test)."""

from __future__ import annotations

from tests.scenarios.conftest import world

__all__ = ["world"]
