"""What the app, the CLI and the worker are made of: the installed plugins, with the core plugin among them.

This is the one place that hands the core plugin (the core's node types, conditions, jobs, events and permissions,
and the scenario engine listening to domain events) to the plugin host, which itself knows none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import EntryPoint

from enishi import core_plugin, plugin_host
from enishi.plugin_host import PluginHost
from enishi.settings import Settings


def load_plugins(settings: Settings, extra: Sequence[EntryPoint] = ()) -> PluginHost:
    """Every installed plugin that settings allow (see :func:`enishi.plugin_host.discover`), and the core plugin."""
    return plugin_host.discover(settings, extra, core=core_plugin)
