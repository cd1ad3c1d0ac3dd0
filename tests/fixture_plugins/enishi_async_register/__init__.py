"""A plugin whose registration hook is async, which the core refuses (registration happens once, synchronously)."""

from enishi import PluginManifest, Text, hookimpl

manifest = PluginManifest(title=Text("壊れた", "Broken"), description=Text("説明", "Description"), core_api=">=1,<2")


@hookimpl
async def enishi_register_permissions(register):  # type: ignore[no-untyped-def]
    pass
