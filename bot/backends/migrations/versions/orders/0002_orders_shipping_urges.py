"""Orders: shipping urges (催发货) on paid orders.

Revision ID: orders_0002
Revises: orders_0001
Create Date: 2026-11-30 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "orders_0002"
down_revision = "orders_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision."""
    op.create_table(
        "shipping_urges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipping_urges_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_urges")),
    )
    with op.batch_alter_table("shipping_urges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipping_urges_order_id"), ["order_id"], unique=False
        )


def downgrade() -> None:
    """Revert the revision."""
    with op.batch_alter_table("shipping_urges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipping_urges_order_id"))

    op.drop_table("shipping_urges")
