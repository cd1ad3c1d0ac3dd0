"""Versions a plugin can check against."""

# The plugin API's version. A plugin's manifest states the range it supports (e.g. ">=1,<2"); a minor bump adds
# hooks or optional fields, a major bump changes or removes them.
CORE_API_VERSION = "1.0"
