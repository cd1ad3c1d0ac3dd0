"""Message variables: ``{{friend.display_name}}``, ``{{field.nickname|お客様}}``, ``{{tags.tags}}`` …

The syntax, checking and expansion live in the core (``enishi.message_variables``), which the core's broadcasts
use too, so a message reads the same however it is sent. This module keeps the names the plugin uses.
"""

from __future__ import annotations

from enishi import message_variables as _core

FRIEND = _core.FRIEND
FIELD_ALIAS = _core.FIELD_ALIAS
FIELD_PLUGIN = _core.FIELD_PLUGIN
FRIEND_VARIABLES = _core.FRIEND_VARIABLES
MAX_DEFAULT = _core.MAX_DEFAULT
NOT_EXPANDED = _core.NOT_EXPANDED
PLACEHOLDER = _core.PLACEHOLDER
URL_KEYS = _core.URL_KEYS
VARIABLE = _core.VARIABLE

Available = _core.Available
Catalog = _core.Catalog
Values = _core.Values
Variable = _core.Variable

as_text = _core.as_text
expand = _core.expand
expand_for_friend = _core.expand_for_friend
expand_text = _core.expand_text
is_url_key = _core.is_url_key
parse = _core.parse
plugin_of = _core.plugin_of
problems = _core.problems
sample_url = _core.sample_url
strings = _core.strings
used = _core.used
utf16_length = _core.utf16_length
values_for = _core.values_for
