"""Console: the workbench (presence, teams, routing, notes, tags, canned replies).

Revision ID: console_0002
Revises: console_0001
Create Date: 2026-12-03 12:05:00

Seeds the default teams 售前 / 售后 / 投诉 with their routing rules (售后 is
the default team: what no rule matches waits there).
"""

import sqlalchemy as sa
from alembic import op

revision = "console_0002"
down_revision = "console_0001"
branch_labels = None
depends_on = None

DEFAULT_TEAMS = [
    {
        "id": 1,
        "name": "售前",
        "reasons": ["presales_question"],
        "intents": ["ask_product"],
        "is_default": False,
    },
    {
        "id": 2,
        "name": "售后",
        "reasons": ["signed_not_received"],
        "intents": [
            "request_return",
            "check_return_status",
            "register_warranty",
            "check_warranty",
        ],
        "is_default": True,
    },
    {
        "id": 3,
        "name": "投诉",
        "reasons": ["complaint"],
        "intents": ["complain"],
        "is_default": False,
    },
]


def upgrade() -> None:
    """Apply the revision."""
    with op.batch_alter_table("console_staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "role", sa.String(length=16), server_default="agent", nullable=False
            )
        )
    with op.batch_alter_table("console_handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("transfer_note", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("transferred_by", sa.String(length=64), nullable=True)
        )
    op.create_table(
        "console_presence",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("last_active", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_console_presence")),
    )
    teams = op.create_table(
        "console_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_console_teams_name")),
    )
    op.create_table(
        "console_team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["console_teams.id"],
            name=op.f("fk_console_team_members_team_id_console_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "team_id", "username", name=op.f("pk_console_team_members")
        ),
    )
    op.create_table(
        "console_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_notes")),
    )
    with op.batch_alter_table("console_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_notes_handoff_id"), ["handoff_id"], unique=False
        )
    op.create_table(
        "console_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_tags")),
        sa.UniqueConstraint(
            "handoff_id", "tag", name=op.f("uq_console_tags_handoff_tag")
        ),
    )
    with op.batch_alter_table("console_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_tags_tag"), ["tag"], unique=False)
    op.create_table(
        "console_canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_canned_replies")),
    )
    with op.batch_alter_table("console_canned_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_canned_replies_owner"), ["owner"], unique=False
        )
    op.bulk_insert(teams, DEFAULT_TEAMS)
    if op.get_bind().dialect.name == "postgresql":
        # Explicit ids above: move the sequence past them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('console_teams', 'id'), "
            "(SELECT max(id) FROM console_teams))"
        )


def downgrade() -> None:
    """Revert the revision."""
    with op.batch_alter_table("console_canned_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_canned_replies_owner"))
    op.drop_table("console_canned_replies")
    with op.batch_alter_table("console_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_tags_tag"))
    op.drop_table("console_tags")
    with op.batch_alter_table("console_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_notes_handoff_id"))
    op.drop_table("console_notes")
    op.drop_table("console_team_members")
    op.drop_table("console_teams")
    op.drop_table("console_presence")
    with op.batch_alter_table("console_handoffs", schema=None) as batch_op:
        batch_op.drop_column("transferred_by")
        batch_op.drop_column("transfer_note")
        batch_op.drop_column("team_id")
    with op.batch_alter_table("console_staff", schema=None) as batch_op:
        batch_op.drop_column("role")
