"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 10:57:34.088300
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import memfeed.platform.storage.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", memfeed.platform.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    op.create_table(
        "events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("ts", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.Column("received_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_events_event_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_item_id"), ["item_id"], unique=False)
        batch_op.create_index("ix_events_user_ts", ["user_id", "ts"], unique=False)

    op.create_table(
        "items",
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=128), nullable=True),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("published_at", memfeed.platform.storage.types.UTCDateTime(), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_items")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "users",
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column(
            "traits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
    )
    op.create_table(
        "item_vectors",
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.item_id"], name=op.f("fk_item_vectors_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_vectors")),
    )
    with op.batch_alter_table("item_vectors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_vectors_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("item_vectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_vectors_updated_at"))

    op.drop_table("item_vectors")
    op.drop_table("users")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_updated_at"))
        batch_op.drop_index(batch_op.f("ix_items_category"))

    op.drop_table("items")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_user_ts")
        batch_op.drop_index(batch_op.f("ix_events_item_id"))

    op.drop_table("events")
    op.drop_table("api_keys")
