"""The relational schema. Ids are the clients' strings; event idempotency is a unique constraint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from memfeed.platform.storage.types import JSONType, UTCDateTime, utcnow

ID_LENGTH = 128

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Item(Base):
    __tablename__ = "items"

    item_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    category: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ItemVector(Base):
    """The content embedding of an item, keyed by the text hash it was computed from (re-embed on change)."""

    __tablename__ = "item_vectors"

    item_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("items.item_id", ondelete="CASCADE"), primary_key=True
    )
    embedder: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class User(Base):
    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    traits: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(Base):
    """One client activity event. `event_id` is unique: a retried batch cannot count twice."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_user_ts", "user_id", "ts"),
        Index("ix_events_user_item", "user_id", "item_id"),  # a user's seen set, read from the index alone
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    item_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class ApiKey(Base):
    """An API key: the public `key_id` finds it, only a SHA-256 of the secret is stored."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    scope: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Run(Base):
    """One retrain run started through the API or CLI, and what came of it."""

    __tablename__ = "runs"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    promote: Mapped[str] = mapped_column(String(16), default="auto")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[str | None] = mapped_column(String(64))
    promoted: Mapped[bool | None] = mapped_column(Boolean)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)


class Memory(Base):
    """One thing an LLM app asked us to remember about a user, with its embedding (float32 bytes).

    `content_hash` is the SHA-256 of the normalized text (exact restatements merge); `mentions` counts how
    often it was stated. Rows past `expires_at` are never served and are removed by the purge flow.
    """

    __tablename__ = "memories"
    __table_args__ = (Index("ix_memories_user_created", "user_id", "created_at", "memory_id"),)

    memory_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    session_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    embedder: Mapped[str] = mapped_column(String(200))
    mentions: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class MemoryRevision(Base):
    """What a memory said before an update or a merge changed it (its history, oldest first by id)."""

    __tablename__ = "memory_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    memory_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("memories.memory_id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(64))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(16))


class MemoryVersion(Base):
    """A per-user counter bumped in every transaction that changes the user's memories.

    API workers cache a user's memories in process; one primary-key read of this row tells a worker whether
    its copy is current, so a memory deleted through another worker is never served. Writers of one user
    are serialized on this row. A new row starts at a random value, so a re-created row never matches a
    stale cache.
    """

    __tablename__ = "memory_versions"

    user_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class Erasure(Base):
    """The audit log of user erasures: when, which key asked, and how many rows of each kind went.

    It holds no personal data: never the user id, nor a plain hash of it. `subject_digest` is an
    HMAC-SHA256 of the user id under a key derived from the server secret (`MEMFEED_SECRET_KEY`): without
    the secret it identifies no one; with it, the service can prove a given id was erased and keeps erased
    users' rows out of model versions loaded later (see memfeed/privacy/service.py).
    """

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    key_id: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(16))
    removed: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    """Rows removed per kind: table names, plus `model_users` (stored factors dropped from the loaded model)."""
    subject_digest: Mapped[str] = mapped_column(String(64), index=True)
