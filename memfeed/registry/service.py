"""What the admin routes and the `memfeed models` CLI do with model versions: list, show, promote, roll back,
purge. One place, so both faces behave the same (including this process swapping before it answers).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass

from memfeed.registry.manifest import Manifest, ModelCorrupt
from memfeed.registry.versions import ModelRegistry
from memfeed.registry.watcher import ModelWatcher


@dataclass(frozen=True)
class ModelListing:
    """Every committed version, newest first, with the champion and what this process serves."""

    champion: str | None
    serving: str
    manifests: list[Manifest]
    pointer_error: str | None = None
    """Why the champion pointer could not be read, when `list` was asked to tolerate that (champion None)."""


class ModelService:
    """Model versions in one registry, and (in a serving process) the watcher that swaps them in.

    `watcher` is None where nothing serves (the CLI): promotions then reach servers at their next poll.
    `serving_version` names the model this process serves (the API passes `FeedService.model_version`).
    """

    def __init__(
        self,
        registry: ModelRegistry,
        watcher: ModelWatcher | None,
        serving_version: Callable[[], str],
    ) -> None:
        self.registry = registry
        self.watcher = watcher
        self.serving_version = serving_version

    def list(self, *, tolerate_bad_pointer: bool = False) -> ModelListing:
        """Versions newest first (unreadable ones skipped), the champion and the serving version.

        An unreadable champion pointer raises ModelCorrupt, unless `tolerate_bad_pointer` (the CLI: an
        operator must still see the versions to repair it), which reports it in `pointer_error` instead.
        """
        manifests = list(reversed(self.registry.versions()))
        pointer_error: str | None = None
        try:
            champion = self.registry.champion()
        except ModelCorrupt as exc:
            if not tolerate_bad_pointer:
                raise
            champion, pointer_error = None, exc.message
        return ModelListing(champion, self.serving_version(), manifests, pointer_error)

    def show(self, version: str) -> Manifest:
        """One version's manifest (VersionNotFound, or ModelCorrupt if its manifest is unreadable)."""
        return self.registry.get(version)

    def promote(self, version: str) -> Manifest:
        """Verify `version` and make it the champion; a serving process swaps to it before this returns."""
        manifest = self.registry.promote(version)
        self._swap_now()
        return manifest

    def rollback(self) -> Manifest:
        """Make the previous champion serve again (NoPreviousChampion when there is none)."""
        manifest = self.registry.rollback()
        self._swap_now()
        return manifest

    def purge(self, keep: int) -> builtins.list[str]:
        """Delete versions beyond the newest `keep`, sparing the champion and the rollback target."""
        return self.registry.purge(keep)

    def _swap_now(self) -> None:
        if self.watcher is not None:
            self.watcher.check()
