"""The plugin template, loaded into a test's process from `examples/`, and forgotten again afterwards."""

from __future__ import annotations

import sys

from enishi import Base


def forget_the_template_plugin() -> None:
    """The rest of the session must not see the template: its modules and its table in the shared metadata
    (the migration test compares the tables the migrations make with every table the metadata knows)."""
    for name in [m for m in sys.modules if m == "enishi_birthday" or m.startswith("enishi_birthday.")]:
        del sys.modules[name]
    if "birthday_birthdays" in Base.metadata.tables:
        Base.metadata.remove(Base.metadata.tables["birthday_birthdays"])
