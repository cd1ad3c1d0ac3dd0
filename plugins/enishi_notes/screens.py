"""What the console draws for notes: the plugin's console module (``ui/src``, built into ``ui/dist/module.js`` by
the console's build), whose friend panel lists a friend's notes on the friend's page, last among the panels: a note
to write, the notes pinned first, and editing and pinning the notes one may edit.
"""

from __future__ import annotations

from pathlib import Path

from enishi.types import UiModule

# Built from ui/src by the console's build (builder_ui/scripts/build-plugin-modules.js); not committed.
UI_MODULE = UiModule(path=Path(__file__).parent / "ui" / "dist" / "module.js")

SCREENS = (UI_MODULE,)
