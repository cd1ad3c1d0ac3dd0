"""The domain event this plugin announces: a friend came in through a route.

``inflow.route_entered`` with data ``{"route_id": int, "first_time": bool, "first_route": bool}``, once a visit is
the friend's (they sent its code, followed after LINE Login, or were already a friend when logging in).
"""

from __future__ import annotations

from typing import TypedDict

from enishi import EventType, Text

ROUTE_ENTERED = "inflow.route_entered"


class RouteEnteredData(TypedDict):
    route_id: int
    first_time: bool  # the friend had not come through this route before
    first_route: bool  # this route became the friend's first route


EVENTS = (
    EventType(
        name="route_entered",
        description=Text("友だちが流入経路から来た", "A friend came in through an inflow route"),
        data=RouteEnteredData,
    ),
)
