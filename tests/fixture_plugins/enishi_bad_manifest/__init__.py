"""A plugin whose manifest names a tier that does not exist."""

from enishi import PluginManifest, Text

manifest = PluginManifest(title=Text("壊れた", "Broken"), description=Text("説明", "Description"), tier="gold")  # type: ignore[arg-type]
