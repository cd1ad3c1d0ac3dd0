"""A plugin implementing a hook Enishi does not have (a typo, or written for another version)."""

from enishi import PluginManifest, Text, hookimpl

manifest = PluginManifest(title=Text("壊れた", "Broken"), description=Text("説明", "Description"))


@hookimpl
def enishi_register_trigers(register):  # type: ignore[no-untyped-def]
    pass
