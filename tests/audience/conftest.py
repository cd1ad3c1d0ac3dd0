"""The scenario tests' world (a workspace with staff, friends and plugins on both databases) serves here too."""

from tests.scenarios.conftest import world

__all__ = ["world"]
