"""Hot swap: notice a new champion (a cheap stat of the pointer file), load and verify it, swap it in whole.

Requests read `FeedService.model` once, so in-flight requests finish on the version they started with; the
swap is one reference assignment, done only here. A version that fails its checksums is refused and the
current model keeps serving.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from memfeed.model.bundle import ServingModel, load_bundle
from memfeed.platform.errors import MemfeedError
from memfeed.platform.storage.db import DatabaseError
from memfeed.registry.versions import ModelRegistry

log = logging.getLogger("memfeed.models")


class ServesModel(Protocol):
    """What the watcher swaps into: the feed service, whose requests read `model` once each."""

    @property
    def model(self) -> ServingModel | None: ...

    def set_model(self, model: ServingModel) -> None: ...


class ModelWatcher:
    """Polls the registry's champion pointer and keeps `feeds.model` on the champion.

    `suppress` drops erased users from a model: it runs on every model before it serves, and on the serving
    one at each check (picking up erasures made through other processes). The runtime passes
    `PrivacyService.suppress`; None (tests, tools) serves models as loaded.
    """

    def __init__(
        self,
        registry: ModelRegistry,
        feeds: ServesModel,
        suppress: Callable[[ServingModel], int] | None = None,
    ) -> None:
        self.registry = registry
        self.feeds = feeds
        self.suppress = suppress
        self._seen: object = object()
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def check(self) -> bool:
        """Load the champion if the pointer changed since the last look; True when a new model is serving."""
        with self._lock:
            swapped = self._check_champion()
            model = self.feeds.model
            if not swapped and model is not None and self.suppress is not None:
                self.suppress(model)
            return swapped

    def _check_champion(self) -> bool:
        """The pointer check and load; the caller holds the lock."""
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
        try:
            if self.suppress is not None:
                self.suppress(model)
        except DatabaseError as exc:  # never serve a model whose erased users could not be dropped
            self._seen = object()  # retry at the next check
            self.last_error = f"champion not loaded: erasures unreadable: {exc}"
            log.error("%s; still serving %s", self.last_error, current.version if current else "content")
            return False
        self.feeds.set_model(model)
        self.last_error = None
        log.info("now serving model %s", version)
        return True
