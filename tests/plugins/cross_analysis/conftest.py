"""The scenario tests' world (a workspace with staff, friends and every plugin, on both databases) serves here."""

from tests.scenarios.conftest import world

__all__ = ["world"]
