"""Erasing a user, and keeping erased users out of every trained model that serves.

Erasure deletes the user's memories (through `MemoryService.erase_user`, which also drops the process's
cached copy), then, in one transaction, every row of every table with a `user_id` column and an `erasures`
audit row: when, which key and scope asked, rows removed per kind, and an HMAC of the user id (never the id,
nor a plain hash).

Trained models hold a factor row per user. The erasing process drops it from the model it serves at once.
The `erasures` digests are the durable suppression list: every model is filtered against them before it
serves (a promote, a rollback, a worker starting), and each serving model picks up erasures made through
other processes at the model watcher's next poll. Meanwhile the feed serves stored factors only to a user who
still has events, so an erased user's row is never used even by a worker that has not dropped it yet. The
artifacts on disk keep the row until the version is purged; a retrain after the erasure cannot include the
user (their events are gone).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

from memfeed.memory import MemoryService
from memfeed.model.bundle import ServingModel
from memfeed.privacy.repository import BOOKKEEPING, PrivacyRepository


@dataclass(frozen=True)
class ErasureReport:
    removed: dict[str, int] = field(default_factory=dict)
    """Rows removed per kind: table names, plus `model_users` (stored factors dropped from the serving model)."""

    @property
    def total(self) -> int:
        return sum(self.removed.values())


class SubjectDigest:
    """HMAC-SHA256 of a user id (hex) under a key derived from the server secret: what the audit log keeps,
    so it proves whether an id was erased without naming anyone."""

    def __init__(self, server_secret: bytes) -> None:
        self._key = hashlib.sha256(b"memfeed-erasure\x00" + server_secret).digest()

    def __call__(self, user_id: str) -> str:
        return hmac.digest(self._key, user_id.encode(), "sha256").hex()


class Erasures:
    """Erase users and suppress erased users in loaded models."""

    def __init__(
        self,
        repository: PrivacyRepository,
        memories: MemoryService,
        serving_model: Callable[[], ServingModel | None],
        digest: SubjectDigest,
    ) -> None:
        self.repository = repository
        self.memories = memories
        self.serving_model = serving_model
        self.digest = digest

    def erase(self, user_id: str, *, key_id: str, scope: str) -> ErasureReport:
        """Remove everything stored about the user and log the erasure; idempotent (an unknown user is
        erased too, with zero counts).

        Memories go first, in their service's own transaction; the other tables and the audit row commit
        together after. Should the second step fail, repeating the call finishes the job. Events the client
        sends for the user after this create a new profile: the client must stop sending first.
        """
        erased = self.memories.erase_user(user_id)
        removed = {"memories": erased.memories, "memory_revisions": erased.revisions}
        with self.repository.erasing() as tx:
            for table, count in tx.delete_user_rows(user_id).items():
                if table not in BOOKKEEPING:
                    removed[table] = removed.get(table, 0) + count
            model = self.serving_model()
            removed["model_users"] = model.factors.forget_users([user_id]) if model is not None else 0
            tx.record_erasure(removed, key_id=key_id, scope=scope, subject_digest=self.digest(user_id))
        return ErasureReport(removed)

    def suppress(self, model: ServingModel) -> int:
        """Drop from `model` the stored factors of every user erased since it last looked (all erasures, for
        a model just loaded); returns how many rows went.

        Costs one primary-key range query; when there are new erasures, one HMAC per user of the model
        (about a second per million users).
        """
        erasures = self.repository.erasures_after(model.erasures_applied)
        if not erasures:
            return 0
        digests = {digest for _, digest in erasures}
        erased = [u for u in list(model.factors.user_index) if self.digest(u) in digests]
        forgotten = model.factors.forget_users(erased)
        model.erasures_applied = erasures[-1][0]
        return forgotten
