"""Domain events this plugin announces.

``member_cards.points_changed``: data ``{"old_points", "new_points", "points_delta", "stamps_delta", "stamps",
"rank", "source"}``, for each real change of a card's points or stamps.
``member_cards.rank_changed``: data ``{"from_rank", "to_rank", "points", "source"}`` when a change of points moved
the card to another rank (ranks are names; None is "below every threshold").
``member_cards.card_issued``: data ``{"member_number", "source"}``.
"""

from __future__ import annotations

POINTS_CHANGED = "member_cards.points_changed"
RANK_CHANGED = "member_cards.rank_changed"
CARD_ISSUED = "member_cards.card_issued"
FRIEND_FOLLOWED = "core.friend_followed"

# Above this many changed cards a bulk change announces nothing (each event runs every plugin's handler in the
# same transaction).
EVENT_LIMIT = 1000
