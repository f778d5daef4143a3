"""Why an item is on a personal page, in words the app can show under it."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from memfeed.feed.profile import StatedPreference

ANCHOR_REASON_MIN_SIMILARITY = 0.35
STATED_REASON_MIN = 0.25
"""A stated preference is a short sentence, not an item: its similarity to matching items runs lower."""
POPULAR_REASON_MIN = 0.5


def quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def personal_reason(
    anchor: str | StatedPreference | None,
    anchor_similarity: float,
    verbs: Mapping[str, str],
    title_of: Callable[[str], str | None],
    popularity: float,
    collaborative: bool,
) -> str:
    """The first that holds: close to what the user said, close to an item they acted on (`verbs`: what
    they did to it), popular now, liked by similar users (`collaborative`: a model scored it), else a match.
    `anchor` is the anchor the item scored best against."""
    if isinstance(anchor, StatedPreference) and anchor_similarity >= STATED_REASON_MIN:
        return f"because you said: {quote(anchor.text)}"
    if isinstance(anchor, str) and anchor_similarity >= ANCHOR_REASON_MIN_SIMILARITY:
        title = title_of(anchor)
        return f"because you {verbs.get(anchor, 'liked')} {title if title is not None else anchor}"
    if popularity >= POPULAR_REASON_MIN:
        return "popular now"
    if collaborative:
        return "people with similar taste liked this"
    return "matches your interests"
