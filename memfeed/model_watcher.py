"""Hot swap: notice a new champion (a cheap stat of the pointer file), load and verify it, swap it in whole.

Requests read `FeedService.model` once, so in-flight requests finish on the version they started with; the
swap is one reference assignment, done only here. A version that fails its checksums is refused and the
current model keeps serving.
"""

from __future__ import annotations

import logging
import threading

from memfeed.errors import MemfeedError
from memfeed.feed import FeedService
from memfeed.model_bundle import load_bundle
from memfeed.registry import ModelRegistry

log = logging.getLogger("memfeed.models")


class ModelWatcher:
    def __init__(self, registry: ModelRegistry, feeds: FeedService) -> None:
        self.registry = registry
        self.feeds = feeds
        self._seen: object = object()
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def check(self) -> bool:
        """Load the champion if the pointer changed since the last look; True when a new model is serving."""
        with self._lock:
            stamp = self.registry.pointer_mtime()
            if stamp == self._seen:
                return False
            self._seen = stamp
            current = self.feeds.model
            try:
                version = self.registry.champion()
                if version is None or (current is not None and current.version == version):
                    return False
                manifest = self.registry.verify(version)
                model = load_bundle(manifest.path, version)
            except (MemfeedError, OSError, ValueError, KeyError) as exc:
                self.last_error = f"champion not loaded: {exc}"
                log.error("%s; still serving %s", self.last_error, current.version if current else "content")
                return False
            self.feeds.model = model
            self.last_error = None
            log.info("now serving model %s", version)
            return True
