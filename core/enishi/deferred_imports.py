"""Third-party modules that are expensive to import and rarely used, loaded on first use instead.

``rfc3987_syntax`` builds an Earley parser for the IRI grammar when imported (about a second), and jsonschema
imports it with its format checkers, which every command needs (plugin manifests are checked at start-up). Only a
value checked against the ``iri`` or ``iri-reference`` format needs the parser, so until then a stand-in takes
its place: jsonschema registers the same checks, and the first such check loads the real module.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

IRI_SYNTAX = "rfc3987_syntax"


def defer_iri_syntax() -> None:
    """Put the stand-in in place, unless the module is loaded already or could not be imported anyway."""
    if IRI_SYNTAX in sys.modules or any(importlib.util.find_spec(n) is None for n in (IRI_SYNTAX, "lark")):
        return  # without it jsonschema leaves the iri formats unchecked, as it would have
    stand_in = types.ModuleType(IRI_SYNTAX, "Loads rfc3987_syntax on first use (see enishi.deferred_imports).")
    lock = threading.Lock()

    def real() -> Any:
        with lock:
            if sys.modules.get(IRI_SYNTAX) is stand_in:
                del sys.modules[IRI_SYNTAX]
            return importlib.import_module(IRI_SYNTAX)

    def is_valid_syntax(term: str, value: str) -> Any:
        return real().is_valid_syntax(term, value)

    def __getattr__(name: str) -> Any:  # anything else a caller may want from the module
        if name.startswith("__"):
            raise AttributeError(name)  # the import system probing (__path__ …) must not load it
        return getattr(real(), name)

    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    stand_in.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[IRI_SYNTAX] = stand_in
