"""Domain events this plugin announces.

``member_cards.points_changed``: data ``{"old_points", "new_points", "points_delta", "stamps_delta", "stamps",
"rank", "source"}``, for each real change of a card's points or stamps.
``member_cards.rank_changed``: data ``{"from_rank", "to_rank", "points", "source"}`` when a change of points moved
the card to another rank (ranks are names; None is "below every threshold").
``member_cards.card_issued``: data ``{"member_number", "source"}``.
"""

from __future__ import annotations

from typing import TypedDict

from enishi import EventType, Text

POINTS_CHANGED = "member_cards.points_changed"
RANK_CHANGED = "member_cards.rank_changed"
CARD_ISSUED = "member_cards.card_issued"


class PointsChangedData(TypedDict):
    old_points: int
    new_points: int
    points_delta: int
    stamps_delta: int
    stamps: int  # the stamps after the change
    rank: str | None  # the rank after the change; None: below every threshold
    source: str


class RankChangedData(TypedDict):
    from_rank: str | None
    to_rank: str | None
    points: int  # the points that moved the card
    source: str


class CardIssuedData(TypedDict):
    member_number: str
    source: str  # "follow", "manual", "scenario", …


EVENTS = (
    EventType(
        name="points_changed",
        description=Text("会員証のポイントかスタンプが変わった", "A member card's points or stamps changed"),
        data=PointsChangedData,
    ),
    EventType(
        name="rank_changed",
        description=Text("ポイントの変化で会員ランクが変わった", "A change of points moved a card to another rank"),
        data=RankChangedData,
    ),
    EventType(
        name="card_issued",
        description=Text("友だちに会員証が発行された", "A member card was issued to a friend"),
        data=CardIssuedData,
    ),
)

# Above this many changed cards a bulk change announces nothing (each event runs every plugin's handler in the
# same transaction).
EVENT_LIMIT = 1000
