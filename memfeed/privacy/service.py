"""A user's rights over their data: export everything stored about them, and erase it (see `erasure` for
what erasure reaches, and how trained models stay clear of erased users)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from memfeed.events.records import EventRecord
from memfeed.events.repository import EventRepository
from memfeed.memory import MemoryService
from memfeed.model.bundle import ServingModel
from memfeed.platform.storage.db import Database
from memfeed.privacy.erasure import ErasureReport, Erasures, SubjectDigest
from memfeed.privacy.export import Exports, ProfileRecord, UserExport
from memfeed.privacy.repository import PrivacyRepository, user_tables
from memfeed.users.repository import UserRepository

log = logging.getLogger("memfeed")


class PrivacyService:
    """Export and erasure of one user's data, and the suppression of erased users in loaded models.

    `serving_model` returns the model this process serves now (or None): erasure drops the user from it.
    """

    def __init__(
        self,
        database: Database,
        memories: MemoryService,
        serving_model: Callable[[], ServingModel | None],
        server_secret: bytes,
    ) -> None:
        repository = PrivacyRepository(database)
        self._digest = SubjectDigest(server_secret)
        self.exports = Exports(repository, UserRepository(database), EventRepository(database), memories)
        self.erasures = Erasures(repository, memories, serving_model, self._digest)

    def subject_digest(self, user_id: str) -> str:
        """HMAC-SHA256 of the user id (hex) under a key derived from the server secret (the audit row's)."""
        return self._digest(user_id)

    def export(self, user_id: str) -> UserExport:
        """Everything stored about the user; raises UserNotFound when nothing is."""
        return self.exports.export(user_id)

    def erase(self, user_id: str, *, key_id: str, scope: str) -> ErasureReport:
        """Remove everything stored about the user, drop them from the serving model, and audit it."""
        report = self.erasures.erase(user_id, key_id=key_id, scope=scope)
        log.info("user erased: %s", report.removed)  # counts only: the user id never reaches the logs
        return report

    def suppress(self, model: ServingModel) -> int:
        """Drop every user erased since `model` last looked; returns how many factor rows went."""
        return self.erasures.suppress(model)


__all__ = [
    "ErasureReport",
    "EventRecord",
    "PrivacyService",
    "ProfileRecord",
    "UserExport",
    "user_tables",
]
