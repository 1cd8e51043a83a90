"""Tables of the console: staff, roles, the handoff queue, web chat, NLU review."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
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

staff = Table(
    "console_staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),
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

#: Roles granted on top of being staff (every staff member is an agent).
TRAINER = "trainer"
ROLES = (TRAINER,)

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
