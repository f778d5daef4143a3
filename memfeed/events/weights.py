"""The event vocabulary and what each event says about taste: signed weights and their time decay.

One table for the feed's profile, training's confidence matrix, popularity and activity text, so that a new
event type is added in one place.
"""

from __future__ import annotations

import math
from enum import StrEnum


class EventType(StrEnum):
    view = "view"
    click = "click"
    like = "like"
    dislike = "dislike"
    share = "share"
    save = "save"
    purchase = "purchase"
    dwell = "dwell"
    rating = "rating"
    skip = "skip"
    hide = "hide"


BASE_WEIGHTS: dict[str, float] = {
    "view": 0.3,
    "click": 0.6,
    "like": 1.0,
    "save": 1.0,
    "share": 1.2,
    "purchase": 1.5,
    "skip": -0.3,
    "hide": -1.0,
    "dislike": -1.0,
}
"""How much one event says about taste; negative types push the profile away from the item."""

NEGATIVE_TYPES = ("skip", "hide", "dislike")
"""Types that never count as engagement (popularity, positives)."""

PAST_TENSE: dict[str, str] = {
    "view": "viewed",
    "click": "opened",
    "like": "liked",
    "dislike": "disliked",
    "save": "saved",
    "share": "shared",
    "purchase": "bought",
    "rating": "rated",
    "dwell": "read",
    "hide": "hid",
    "skip": "skipped",
}
"""An event as a verb: feed reasons ("because you saved ...") and activity text ("liked 'X' on ...")."""


def event_weight(event_type: str, value: float | None) -> float:
    """Signed strength of one event; dwell scales with seconds (saturating), rating is centred on 3/5."""
    if event_type == "dwell":
        seconds = max(value or 0.0, 0.0)
        return 0.2 + 0.8 * min(seconds / 60.0, 1.0)
    if event_type == "rating":
        return ((value if value is not None else 3.0) - 3.0) / 2.0
    return BASE_WEIGHTS.get(event_type, 0.0)


def decay(age_days: float, half_life_days: float) -> float:
    return math.pow(0.5, max(age_days, 0.0) / half_life_days) if half_life_days > 0 else 1.0
