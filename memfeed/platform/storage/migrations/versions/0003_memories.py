"""llm memories

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import memfeed.platform.storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "memories",
        sa.Column("memory_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("created_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.Column("occurred_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", memfeed.platform.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("memory_id", name=op.f("pk_memories")),
    )
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memories_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(
            "ix_memories_user_created", ["user_id", "created_at", "memory_id"], unique=False
        )

    op.create_table(
        "memory_revisions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("memory_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("changed_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["memory_id"],
            ["memories.memory_id"],
            name=op.f("fk_memory_revisions_memory_id_memories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_revisions")),
    )
    with op.batch_alter_table("memory_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memory_revisions_memory_id"), ["memory_id"], unique=False)

    op.create_table(
        "memory_versions",
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_memory_versions")),
    )


def downgrade() -> None:

    op.drop_table("memory_versions")
    with op.batch_alter_table("memory_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memory_revisions_memory_id"))
    op.drop_table("memory_revisions")
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.drop_index("ix_memories_user_created")
        batch_op.drop_index(batch_op.f("ix_memories_expires_at"))
    op.drop_table("memories")
