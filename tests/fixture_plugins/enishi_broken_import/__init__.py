"""A plugin whose import fails, as a third-party plugin with a missing dependency would."""

import enishi_dependency_that_is_not_installed  # noqa: F401
