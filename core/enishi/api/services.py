"""The long-lived objects one app instance holds, reachable from every request."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.connection import ASGIConnection

from enishi.crypto import SecretBox
from enishi.db.engine import Database
from enishi.jobs.queue import ManagedQueue
from enishi.plugin_host import PluginHost
from enishi.settings import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    host: PluginHost
    secrets: SecretBox
    jobs: ManagedQueue


def services_of(connection: ASGIConnection) -> Services:
    services: Services = connection.app.state["enishi"]
    return services
