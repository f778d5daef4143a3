"""retrain runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 11:18:12.190708
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import memfeed.platform.storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("promote", sa.String(length=16), nullable=False),
        sa.Column("created_at", memfeed.platform.storage.types.UTCDateTime(), nullable=False),
        sa.Column("started_at", memfeed.platform.storage.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", memfeed.platform.storage.types.UTCDateTime(), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("promoted", sa.Boolean(), nullable=True),
        sa.Column(
            "metrics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_runs")),
    )


def downgrade() -> None:

    op.drop_table("runs")
