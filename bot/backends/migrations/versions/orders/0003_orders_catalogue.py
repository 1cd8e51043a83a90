"""Orders: the product catalogue (products, aliases, SKUs, specs, FAQs, promotions).

Revision ID: orders_0003
Revises: orders_0002
Create Date: 2026-12-03 08:05:32.890560
"""

import sqlalchemy as sa
from alembic import op

revision = "orders_0003"
down_revision = "orders_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision."""
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("product_id", name=op.f("uq_products_product_id")),
    )
    op.create_table(
        "product_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_pk"],
            ["products.id"],
            name=op.f("fk_product_aliases_product_pk_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_aliases")),
        sa.UniqueConstraint(
            "product_pk", "alias", name=op.f("uq_product_aliases_product_pk_alias")
        ),
    )
    with op.batch_alter_table("product_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_aliases_product_pk"), ["product_pk"], unique=False
        )

    op.create_table(
        "product_faqs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=100), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_pk"],
            ["products.id"],
            name=op.f("fk_product_faqs_product_pk_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_faqs")),
    )
    with op.batch_alter_table("product_faqs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_faqs_product_pk"), ["product_pk"], unique=False
        )

    op.create_table(
        "product_promotions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "ends_on >= starts_on", name=op.f("ck_product_promotions_ends_after_start")
        ),
        sa.CheckConstraint(
            "price_fen >= 0", name=op.f("ck_product_promotions_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["product_pk"],
            ["products.id"],
            name=op.f("fk_product_promotions_product_pk_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_promotions")),
    )
    with op.batch_alter_table("product_promotions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_promotions_product_pk"), ["product_pk"], unique=False
        )

    op.create_table(
        "product_skus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("variant", sa.String(length=40), nullable=False),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "price_fen >= 0", name=op.f("ck_product_skus_price_not_negative")
        ),
        sa.CheckConstraint(
            "stock >= 0", name=op.f("ck_product_skus_stock_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["product_pk"],
            ["products.id"],
            name=op.f("fk_product_skus_product_pk_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_skus")),
        sa.UniqueConstraint("sku", name=op.f("uq_product_skus_sku")),
    )
    with op.batch_alter_table("product_skus", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_skus_product_pk"), ["product_pk"], unique=False
        )

    op.create_table(
        "product_specs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_pk"],
            ["products.id"],
            name=op.f("fk_product_specs_product_pk_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_specs")),
        sa.UniqueConstraint(
            "product_pk", "key", name=op.f("uq_product_specs_product_pk_key")
        ),
    )
    with op.batch_alter_table("product_specs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_specs_product_pk"), ["product_pk"], unique=False
        )


def downgrade() -> None:
    """Revert the revision."""
    with op.batch_alter_table("product_specs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_specs_product_pk"))

    op.drop_table("product_specs")
    with op.batch_alter_table("product_skus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_skus_product_pk"))

    op.drop_table("product_skus")
    with op.batch_alter_table("product_promotions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_promotions_product_pk"))

    op.drop_table("product_promotions")
    with op.batch_alter_table("product_faqs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_faqs_product_pk"))

    op.drop_table("product_faqs")
    with op.batch_alter_table("product_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_aliases_product_pk"))

    op.drop_table("product_aliases")
    op.drop_table("products")
