"""Testing Enishi and its plugins: a migrated database, the running app, staff, friends, jobs and the clock.

The pytest fixtures built on these helpers live in :mod:`enishi.testing.plugin`, which pytest loads by itself once
Enishi is installed (the ``pytest11`` entry point); every fixture is named ``enishi_*`` and does nothing unless a
test asks for it. See docs/plugins/testing.md.
"""

from __future__ import annotations

from enishi.testing.app import (
    PASSWORD,
    ROLES,
    TEST_SECRET_KEY,
    EnishiApp,
    EnishiWorkspace,
    listening_socket,
    new_client,
    plugin_host,
    running_app,
    serve,
    settings_for,
)
from enishi.testing.databases import TemplateDatabase, TemplateDatabases, pg_admin, pg_url
from enishi.testing.friends import LineFriends
from enishi.testing.jobs import Clock, Enqueued, Jobs, RecordingQueue
from enishi.testing.scenarios import chain, document, edge, node

__all__ = [
    "PASSWORD",
    "ROLES",
    "TEST_SECRET_KEY",
    "Clock",
    "EnishiApp",
    "EnishiWorkspace",
    "Enqueued",
    "Jobs",
    "LineFriends",
    "RecordingQueue",
    "TemplateDatabase",
    "TemplateDatabases",
    "chain",
    "document",
    "edge",
    "listening_socket",
    "new_client",
    "node",
    "pg_admin",
    "pg_url",
    "plugin_host",
    "running_app",
    "serve",
    "settings_for",
]
