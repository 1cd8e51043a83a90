"""Orders: evidence (the shopper's photo references) on returns.

Revision ID: orders_0004
Revises: orders_0003
Create Date: 2026-12-03 12:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "orders_0004"
down_revision = "orders_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision: existing returns get no evidence (``[]``)."""
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "evidence",
                sa.JSON(),
                nullable=False,
                server_default=sa.text("'[]'"),
            )
        )


def downgrade() -> None:
    """Revert the revision (the evidence references are dropped)."""
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_column("evidence")
