"""Console: staff roles (trainer) and the NLU review labels.

Revision ID: console_0003
Revises: console_0002
Create Date: 2026-12-03 12:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "console_0003"
down_revision = "console_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision."""
    op.create_table(
        "console_staff_roles",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "username", "role", name=op.f("pk_console_staff_roles")
        ),
    )
    op.create_table(
        "console_review_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("event_timestamp", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted_intent", sa.String(length=255), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_review_labels")),
        sa.UniqueConstraint(
            "sender_id", "event_timestamp", name="uq_console_review_message"
        ),
    )


def downgrade() -> None:
    """Revert the revision."""
    op.drop_table("console_review_labels")
    op.drop_table("console_staff_roles")
