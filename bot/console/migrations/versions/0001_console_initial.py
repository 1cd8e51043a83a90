"""Console: initial schema (the tables ``metadata.create_all`` used to make).

Revision ID: console_0001
Revises: (none)
Create Date: 2026-12-03 05:50:46.641651
"""

import sqlalchemy as sa
from alembic import op

revision = "console_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision."""
    op.create_table(
        "console_handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_handoffs")),
    )
    with op.batch_alter_table("console_handoffs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_console_handoffs_conversation", ["conversation_id"], unique=False
        )
        batch_op.create_index(
            "ix_console_handoffs_status_created", ["status", "created_at"], unique=False
        )

    op.create_table(
        "console_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_staff")),
        sa.UniqueConstraint("username", name=op.f("uq_console_staff_username")),
    )
    op.create_table(
        "console_web_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_web_messages")),
    )
    with op.batch_alter_table("console_web_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_web_messages_conversation_id"),
            ["conversation_id"],
            unique=False,
        )


def downgrade() -> None:
    """Revert the revision."""
    with op.batch_alter_table("console_web_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_web_messages_conversation_id"))

    op.drop_table("console_web_messages")
    op.drop_table("console_staff")
    with op.batch_alter_table("console_handoffs", schema=None) as batch_op:
        batch_op.drop_index("ix_console_handoffs_status_created")
        batch_op.drop_index("ix_console_handoffs_conversation")

    op.drop_table("console_handoffs")
