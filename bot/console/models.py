"""Console tables: staff, queue, web chat, presence, teams, notes, tags, review."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Handoff states: waiting → claimed → returned (to the bot) or closed.
WAITING, CLAIMED, RETURNED, CLOSED = "waiting", "claimed", "returned", "closed"
OPEN_STATES = (WAITING, CLAIMED)
#: Staff roles: agents work conversations; supervisors also manage the floor.
AGENT, SUPERVISOR = "agent", "supervisor"
#: Agent presence: only ``online`` agents get conversations assigned.
ONLINE, BUSY, AWAY = "online", "busy", "away"
PRESENCE_STATES = (ONLINE, BUSY, AWAY)

staff = Table(
    "console_staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("role", String(16), nullable=False, server_default=AGENT),
)

handoffs = Table(
    "console_handoffs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", String(255), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("reason", String(255), nullable=False),
    Column("summary", JSON, nullable=False),
    Column("customer_id", String(64)),
    Column("status", String(16), nullable=False),
    Column("agent", String(64)),
    # Naive UTC throughout (SQLite keeps no zone).
    Column("created_at", DateTime, nullable=False),
    Column("claimed_at", DateTime),
    Column("ended_at", DateTime),
    # The team whose queue it waits in (routing); NULL before routing existed.
    Column("team_id", Integer),
    # A transfer's note for the receiver, and who wrote it.
    Column("transfer_note", Text),
    Column("transferred_by", String(64)),
    # Service timers (bot.console.sla): the first agent reply, and the
    # shopper's first message after the last reply while unanswered.
    Column("first_reply_at", DateTime),
    Column("awaiting_since", DateTime),
    # The shopper's phone as masked (138****5678), for search; never in full.
    Column("phone_hint", String(16), index=True),
    Index("ix_console_handoffs_status_created", "status", "created_at"),
    Index("ix_console_handoffs_conversation", "conversation_id"),
)

web_messages = Table(
    "console_web_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("agent", String(64)),
    Column("created_at", DateTime, nullable=False),
)

#: Permissions granted on top of the role (agent or supervisor): the 待标注 page.
TRAINER = "trainer"
GRANTS = (TRAINER,)

staff_roles = Table(
    "console_staff_roles",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("granted_at", DateTime, nullable=False),
)

#: A trainer's verdict on a shopper's message (the NLU review queue).
NOISE = "__noise__"

review_labels = Table(
    "console_review_labels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    # The user event's Unix timestamp: with sender_id, which message it was.
    Column("event_timestamp", Float, nullable=False),
    Column("text", Text, nullable=False),  # personal data masked
    Column("predicted_intent", String(255)),
    Column("confidence", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("label", String(255), nullable=False),  # an intent or NOISE
    Column("reviewer", String(64), nullable=False),
    Column("reviewed_at", DateTime, nullable=False),
    UniqueConstraint("sender_id", "event_timestamp", name="uq_console_review_message"),
)

presence = Table(
    "console_presence",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    # The page's last heartbeat, and the agent's last keystroke or click.
    Column("last_seen", DateTime, nullable=False),
    Column("last_active", DateTime, nullable=False),
)

teams = Table(
    "console_teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(32), nullable=False, unique=True),
    # Routing: handoff reason codes and shopper intents that go to this team.
    Column("reasons", JSON, nullable=False),
    Column("intents", JSON, nullable=False),
    # Handoffs no team's rule matches go to the default team.
    Column("is_default", Boolean, nullable=False),
)

team_members = Table(
    "console_team_members",
    metadata,
    Column(
        "team_id",
        Integer,
        ForeignKey("console_teams.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("username", String(64), primary_key=True),
)

notes = Table(
    "console_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("handoff_id", Integer, nullable=False, index=True),
    Column("author", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

tags = Table(
    "console_tags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("handoff_id", Integer, nullable=False),
    Column("tag", String(32), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("handoff_id", "tag", name="uq_console_tags_handoff_tag"),
)

canned_replies = Table(
    "console_canned_replies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(64), nullable=False),
    Column("text", Text, nullable=False),
    # NULL: team-wide (everyone sees it); else the one agent it belongs to.
    Column("owner", String(64), index=True),
    Column("created_at", DateTime, nullable=False),
)
