"""The user's `preference` memories as the feed reads them: embedded statements of taste, some negated."""

from __future__ import annotations

import numpy as np

from memfeed.feed.profile import StatedPreference
from memfeed.memory.dedup import is_negative
from memfeed.memory.service import MemoryService
from memfeed.memory.snapshots import epoch
from memfeed.platform.storage.types import utcnow

PREFERENCE_KIND = "preference"
MAX_STATED = 32
"""The newest this many live preferences count; a feed request never scores more."""


def stated_preferences(memories: MemoryService, user_id: str) -> list[StatedPreference]:
    """Live preference memories, newest first, from the service's per-user cache (no embedding, one version
    read). "No horror films" / "I don't like football" come back `negative`: the feed pushes away from them."""
    snapshot = memories.snapshot(user_id)
    if not len(snapshot):
        return []
    rows = np.flatnonzero((snapshot.kinds == PREFERENCE_KIND) & snapshot.live(epoch(utcnow())))[:MAX_STATED]
    return [
        StatedPreference(snapshot.texts[i], snapshot.matrix[i], is_negative(snapshot.texts[i])) for i in rows
    ]
