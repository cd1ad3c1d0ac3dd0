"""What the console draws for funnels: the funnel picker (the funnel report's parameter and any schema's
``funnel_id``). A funnel's stages are trigger and condition configs, which need an editor of their own rather
than a generic resource form."""

from __future__ import annotations

from enishi import Text
from enishi.types import Lookup

FUNNELS = Lookup(
    name="funnels",
    label=Text("ファネル", "Funnels"),
    path="/funnels",
    properties={"funnel_id": "integer"},
)

SCREENS = (FUNNELS,)
