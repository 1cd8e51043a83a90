"""Console: service timers and the masked phone on handoffs.

Revision ID: console_0004
Revises: console_0003
Create Date: 2026-12-03 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "console_0004"
down_revision = "console_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision."""
    with op.batch_alter_table("console_handoffs") as batch:
        batch.add_column(sa.Column("first_reply_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("awaiting_since", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("phone_hint", sa.String(length=16), nullable=True))
        batch.create_index(
            batch.f("ix_console_handoffs_phone_hint"), ["phone_hint"], unique=False
        )


def downgrade() -> None:
    """Revert the revision."""
    with op.batch_alter_table("console_handoffs") as batch:
        batch.drop_index(batch.f("ix_console_handoffs_phone_hint"))
        batch.drop_column("phone_hint")
        batch.drop_column("awaiting_since")
        batch.drop_column("first_reply_at")
