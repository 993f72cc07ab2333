"""A dict judged whole, once its keys are walked: a contact picked from the phone's address book,
a chat turn, an address book keyed by id; and two of its numbers named like axes as a position.

Privacy policy, "Handling of customer information on the website and app", 1. Information to
obtain: address-book entries, message content and GPS location are not collected. A record
holds them in its shape even when no single key or value names them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from gateway.policy.forbidden.keys import (
    AXES,
    AXIS_LAT,
    AXIS_LNG,
    AXIS_X,
    AXIS_Y,
    IN_PLACE,
    NAME,
    SENDER,
)
from gateway.policy.forbidden.shapes.contacts import (
    CONTACT_LIST,
    CONTACT_RECORD,
    address_book,
    contact_record,
)
from gateway.policy.forbidden.shapes.coordinates import Shape, as_decimal, lone_pair
from gateway.policy.forbidden.shapes.messages import MESSAGE_RECORD, message_record

Roles = Callable[[str], int]


def record_shape(
    obj: dict[str, Any], seen: int, children: int, roles: Roles,
    roles_of: Callable[[Iterable[str]], int],
) -> Shape | None:  # fmt: skip
    """`seen`: the roles of the dict's keys; `children`: how many dicts it holds."""
    if seen & NAME and contact_record(obj, seen):
        return CONTACT_RECORD
    if seen & SENDER and message_record(obj, seen, roles):
        return MESSAGE_RECORD
    if children >= 2 and address_book(obj, roles_of):
        return CONTACT_LIST
    return None


def lone_pair_keys(obj: dict[str, Any], context: int, roles: Roles) -> tuple[str, ...]:
    """Two sibling numbers named like axes that are a position: `la`/`lo` (`lt`/`lg` ...)
    anywhere, `x`/`y` under a place-like key such as `fix` or `位置`."""
    axes = {}
    for key, value in obj.items():
        if type(value) is float:
            axes[roles(key) & AXES] = (key, value)
        elif type(value) is str and (axis := roles(key) & AXES) in (AXIS_LAT, AXIS_LNG):
            number = as_decimal(value)  # "35.658581" under `la` counts as the number; not
            if number is not None:  # under `x`/`y`, which UIs write as strings for pixels
                axes[axis] = (key, number)
    for first, second in ((AXIS_LAT, AXIS_LNG), (AXIS_Y, AXIS_X)):
        if first in axes and second in axes and (first == AXIS_LAT or context & IN_PLACE):
            (a, lat), (b, lng) = axes[first], axes[second]
            if lone_pair(lat, lng):
                return a, b
    return ()
