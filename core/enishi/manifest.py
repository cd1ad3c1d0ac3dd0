"""A plugin's manifest: who it is, what it needs, what it may be configured with."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from enishi.schema_validation import check_schema
from enishi.text import Text
from enishi.types import EMPTY_OBJECT_SCHEMA
from enishi.version import CORE_API_VERSION

Tier = Literal["start", "standard", "pro"]
TIERS: tuple[Tier, ...] = ("start", "standard", "pro")


CALLBACK_PATH = re.compile(r"(/[A-Za-z0-9_.~-]+)+")


class InvalidManifest(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class PluginManifest:
    """Declared by a plugin module as ``manifest = PluginManifest(...)``.

    Name and version are not declared: the name is the package name without ``enishi_`` and the version comes
    from the installed distribution's metadata, so neither can drift from what is installed.
    """

    title: Text
    description: Text
    tier: Tier = "start"
    core_api: str = ">=1,<2"
    settings_schema: Mapping[str, Any] = field(default_factory=lambda: dict(EMPTY_OBJECT_SCHEMA))
    homepage: str | None = None
    # The path under /p/<plugin> where LINE Login sends people back, for a plugin that signs LINE users in with
    # the workspace's LINE Login channel: the workspace page lists its full URL, to register on LINE Developers.
    line_login_callback: str | None = None

    def check(self, where: str) -> None:
        if not isinstance(self.title, Text) or not isinstance(self.description, Text):
            raise InvalidManifest(f"{where}: title and description must be enishi.Text(ja=…, en=…)")
        if self.tier not in TIERS:
            raise InvalidManifest(f"{where}: tier must be one of {', '.join(TIERS)}, not {self.tier!r}")
        try:
            supported = SpecifierSet(self.core_api)
        except InvalidSpecifier as exc:
            raise InvalidManifest(f"{where}: core_api {self.core_api!r} is not a version range") from exc
        if Version(CORE_API_VERSION) not in supported:
            raise InvalidManifest(
                f"{where}: supports core API {self.core_api}, but this Enishi provides {CORE_API_VERSION}"
            )
        check_schema(dict(self.settings_schema), f"{where}: settings_schema")
        if self.settings_schema.get("type") != "object":
            raise InvalidManifest(f"{where}: settings_schema must describe an object")
        if self.line_login_callback is not None and not CALLBACK_PATH.fullmatch(self.line_login_callback):
            raise InvalidManifest(
                f"{where}: line_login_callback must be a path such as '/login', not {self.line_login_callback!r}"
            )


def tier_rank(tier: str) -> int:
    return TIERS.index(tier) if tier in TIERS else len(TIERS)
