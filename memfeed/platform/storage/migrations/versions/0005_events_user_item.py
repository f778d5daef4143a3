"""events (user_id, item_id) index: a user's seen set as an index-only scan

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 02:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `SELECT DISTINCT item_id FROM events WHERE user_id = ?` (the feed's exclusion of every item a user
    # interacted with) reads this index alone, on SQLite (covering index) and PostgreSQL (index-only scan).
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_user_item", ["user_id", "item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_user_item")
