"""A SQL tracker store that loads a session as a state snapshot plus its last events.

Rasa 3.6's ``SQLTrackerStore.retrieve`` JSON-parses and replays every event of
the current session on each message, and RulePolicy and MemoizationPolicy then
featurise all of them, so a turn at 500 events cost 2.7-3.8x a turn at 39
(benchmarks/README.md, "Growth"). ``WindowedSQLTrackerStore.retrieve`` reads
only the cheap columns of the session's rows (id, type, action name), finds
which rows still carry state at the start of a window of the last
``TRACKER_WINDOW_EVENTS`` rows, and parses just those and the window. The
tracker it builds is:

1. the session's first rows up to its first user message (``action_session_start``,
   ``session_started``, the carried-over slots, ``action_listen``);
2. a snapshot of the state at the window's start: when a form is active, the
   user message that started it and ``active_loop`` (so the loop's trigger
   message is the same), a pending ``action_execution_rejected``, the last user
   message before the window (the conversation is not at its start: rules and
   the rating question's "an outcome after a message" still see that), then a
   ``slot`` event for every slot set or changed before the window, and
   ``pause``/``resume`` when the paused state changed;
3. the window: the last rows, from the ``action_listen`` before a user message,
   at least ``TRACKER_WINDOW_EVENTS`` of them and at least ten user messages, so
   policies see whole turns and the hand-off summary its last ten intents.

Reverted rows (``rewind``, ``undo``) and ``restart`` before the window are
applied as Rasa's ``applied_events`` applies them, from the type column alone.
Slots, active loop, paused state, latest message and the policies' view of the
last turns are those of the full tracker (tests/integration/
test_tracker_window.py compares them). What differs: ``tracker.events`` lacks the
older turns (the custom actions get them too), so the hand-off summary's order
numbers miss one the shopper typed only before the window and that is not the
``order_id`` slot; Rasa's ``action_session_start`` carries over the slots' values
with fewer ``slot`` events; the story export of ``GET /conversations/{id}/story``
and ``POST .../tracker/events``'s answer show the compacted events.

``save`` inserts exactly the events added since the tracker was built or last
saved (Rasa's ``_additional_events`` counts stored rows, which a compacted
tracker does not have one-to-one). That assumes one writer per conversation at a
time, which Rasa's lock store gives (``lock_store`` in endpoints.production.yml;
one process in the embedded profile). Trackers this store did not build (new
ones, ``PUT /conversations/{id}/tracker/events``) are saved as Rasa does.
``retrieve_full_tracker`` (``GET /conversations/{id}/tracker``, the console's
transcripts, exports) stays Rasa's: every event of every session.

``TRACKER_WINDOW_EVENTS`` (read once, when the store is created): the window's
rows, default 50; ``0`` turns the window off (Rasa's own behaviour).
Configure it in ``endpoints.yml``::

    tracker_store:
      type: bot.rasa_server.tracker_window.WindowedSQLTrackerStore
      dialect: sqlite
      db: ${RASA_TRACKER_DB}
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecutionRejected,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    Event,
    SessionStarted,
    SlotSet,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

WINDOW_SETTING = "TRACKER_WINDOW_EVENTS"
DEFAULT_WINDOW_EVENTS = 50
#: User messages the window holds at least: the last turn is never the first,
#: and the hand-off summary's last 10 intents (actions/handoff.py
#: ``INTENT_HISTORY``) are those of the full tracker.
MIN_USER_TURNS = 10
#: Row types whose events make the state at the window's start.
_STATE_TYPES = frozenset({"slot", "reset_slots", "active_loop", "pause", "resume"})
#: Rows fetched per ``IN`` query (SQLite's older limit is 999 parameters).
_CHUNK = 500
#: SQLite database names that are no file.
_IN_MEMORY = (None, "", ":memory:")


def window_events_setting(value: int | str | None = None) -> int:
    """The window's size: ``value``, else ``TRACKER_WINDOW_EVENTS``, else 50.

    Args:
        value: The size given in the endpoints file, if any.

    Returns:
        The number of rows, ``0`` for no window.

    Raises:
        ValueError: The size is not a whole number >= 0.
    """
    raw = value if value is not None else os.environ.get(WINDOW_SETTING, "")
    if raw == "":
        return DEFAULT_WINDOW_EVENTS
    size = int(raw)
    if size < 0:
        raise ValueError(f"{WINDOW_SETTING} must be >= 0, not {size}")
    return size


class StoredRow(NamedTuple):
    """The columns of one stored event that are read without parsing its JSON.

    A named tuple, not a frozen dataclass: a turn reads one per row of its
    session, and a tuple is made in a third of the time.
    """

    id: int
    type_name: str
    action_name: str | None
    timestamp: float | None


@dataclass(frozen=True)
class WindowPlan:
    """Which rows make a compacted tracker (indices into the session's rows).

    Attributes:
        head: Rows before the session's first user message.
        state: Applied rows before the window whose events carry state, in order.
        loop_trigger: The user message before the active loop's activation.
        loop_row: The ``active_loop`` row in force at the window's start.
        loop_rejected: The active loop was rejected and not run since.
        last_user: The last user message before the window.
        tail_start: The window's first row.
    """

    head: int
    state: tuple[int, ...]
    loop_trigger: int | None
    loop_row: int | None
    loop_rejected: bool
    last_user: int
    tail_start: int

    def rows(self, count: int) -> list[int]:
        """The indices of the rows to parse, of ``count`` in the session."""
        wanted = {*range(self.head), *self.state, self.last_user}
        if self.loop_trigger is not None:
            wanted.add(self.loop_trigger)
        return sorted(wanted.union(range(self.tail_start, count)))


def _applied(rows: Sequence[StoredRow], end: int) -> list[int]:
    """Indices of ``rows[:end]`` that Rasa's ``applied_events`` would keep.

    Restarts clear, ``undo`` removes back to the previous action, ``rewind``
    back to the previous user message and the action before it. (The loop
    bookkeeping Rasa also does removes only user and action events, which carry
    no state here.)
    """
    applied: list[int] = []

    def undo_till(type_name: str) -> None:
        while applied:
            if rows[applied.pop()].type_name == type_name:
                break

    for index in range(end):
        kind = rows[index].type_name
        if kind in ("restart", "session_started"):
            applied = []
        elif kind == "undo":
            undo_till("action")
        elif kind == "rewind":
            undo_till("user")
            undo_till("action")
        else:
            applied.append(index)
    return applied


def plan_window(rows: Sequence[StoredRow], window: int) -> WindowPlan | None:
    """Where to cut the session's rows, or ``None`` to load them all.

    Args:
        rows: The session's rows, oldest first.
        window: Rows the window holds at least.

    Returns:
        The plan, or ``None`` when the window would hold the whole session
        anyway (or the session has too few user messages to cut).
    """
    if window <= 0 or len(rows) <= window:
        return None
    users = [i for i, row in enumerate(rows) if row.type_name == "user"]
    if len(users) <= MIN_USER_TURNS:
        return None
    latest_start = len(rows) - window
    candidates = [
        i for i in users[: len(users) - MIN_USER_TURNS + 1] if i <= latest_start
    ]
    # The first user message starts the session's history: cutting there saves
    # nothing, and there would be no user message before the window.
    if not candidates or candidates[-1] == users[0]:
        return None
    user_start = candidates[-1]
    tail_start = user_start
    before = rows[user_start - 1]
    if before.type_name == "action" and before.action_name == ACTION_LISTEN_NAME:
        tail_start -= 1
    applied = _applied(rows, tail_start)
    last_user = max(
        (i for i in applied if rows[i].type_name == "user"), default=users[0]
    )
    loop_row = max(
        (i for i in applied if rows[i].type_name == "active_loop"), default=None
    )
    loop_trigger = None
    loop_rejected = False
    if loop_row is not None and rows[loop_row].action_name:
        loop = rows[loop_row].action_name
        loop_trigger = max(
            (i for i in applied if i < loop_row and rows[i].type_name == "user"),
            default=None,
        )
        for i in applied:
            if i <= loop_row or rows[i].action_name != loop:
                continue
            if rows[i].type_name == "action_execution_rejected":
                loop_rejected = True
            elif rows[i].type_name == "action":
                loop_rejected = False
    else:
        loop_row = None
    return WindowPlan(
        head=users[0],
        state=tuple(i for i in applied if rows[i].type_name in _STATE_TYPES),
        loop_trigger=loop_trigger,
        loop_row=loop_row,
        loop_rejected=loop_rejected,
        last_user=last_user,
        tail_start=tail_start,
    )


@functools.cache
def _event_class(type_name: str) -> type[Event] | None:
    # Rasa's ``Event.from_parameters`` walks every Event subclass for every row
    # (a third of loading a tracker); the class of a type name does not change.
    return Event.resolve_by_type(type_name)


def parse_event(data: dict[str, Any]) -> Event | None:
    """The event of one stored row, as ``Event.from_parameters`` makes it."""
    type_name = data.get("event")
    event_class = _event_class(type_name) if type_name is not None else None
    return event_class._from_parameters(data) if event_class is not None else None


class WindowedTracker(DialogueStateTracker):
    """A tracker this store built: remembers which of its events are stored.

    Attributes:
        saved_events: ``len(events)`` when it was loaded or last saved; the
            events after that are the ones ``save`` inserts.
        stored_rows: The session's rows it was built from.
    """

    saved_events: int | None = None
    stored_rows: int = 0


def compacted_events(
    sender_id: str,
    slots: Sequence[Slot],
    rows: Sequence[StoredRow],
    plan: WindowPlan,
    parsed: dict[int, Event],
) -> list[Event]:
    """The events of the compacted tracker (see the module docstring).

    Args:
        sender_id: The conversation.
        slots: The domain's slots.
        rows: The session's rows.
        plan: Where to cut them.
        parsed: The events of the rows the plan needs, by row index.

    Returns:
        Head, snapshot and window, oldest first.
    """

    def kept(indices: Iterable[int]) -> list[Event]:
        return [parsed[i] for i in indices if i in parsed]

    head = kept(range(plan.head))
    at_head = DialogueStateTracker.from_events(sender_id, head, slots)
    state = kept(plan.state)
    at_window = DialogueStateTracker.from_events(sender_id, state, slots)
    touched = {
        event.key
        for event in kept(i for i in plan.state if i >= plan.head)
        if isinstance(event, SlotSet)
    }
    loop_name = rows[plan.loop_row].action_name if plan.loop_row is not None else None
    # The user message before the loop's activation first (``active_loop`` takes
    # its trigger message from the latest one), then the last one before the window.
    users = kept(
        dict.fromkeys(i for i in (plan.loop_trigger, plan.last_user) if i is not None)
    )
    snapshot: list[Event] = users[:-1] if plan.loop_trigger != plan.last_user else users
    stamp = (
        snapshot[-1].timestamp if snapshot else (head[-1].timestamp if head else None)
    )
    if loop_name != at_head.active_loop_name or plan.loop_trigger is not None:
        snapshot.append(ActiveLoop(loop_name, timestamp=stamp))
        if plan.loop_rejected and loop_name:
            snapshot.append(ActionExecutionRejected(loop_name, timestamp=stamp))
    if plan.loop_trigger != plan.last_user:
        snapshot += users[-1:]
    stamp = snapshot[-1].timestamp if snapshot else stamp
    before = at_head.current_slot_values()
    for name, value in at_window.current_slot_values().items():
        if name in touched or value != before.get(name):
            snapshot.append(SlotSet(name, value, timestamp=stamp))
    if at_window.is_paused() != at_head.is_paused():
        snapshot.append(
            ConversationPaused(timestamp=stamp)
            if at_window.is_paused()
            else ConversationResumed(timestamp=stamp)
        )
    return [*head, *snapshot, *kept(range(plan.tail_start, len(rows)))]


def sqlite_engine(url: Any) -> sa.engine.Engine:
    """An engine for a SQLite tracker file: pooled connections, write-ahead log.

    Rasa's engine opens and closes a SQLite connection per session (SQLAlchemy
    1.4's NullPool for files), and with SQLite's defaults (rollback journal,
    ``synchronous=FULL``) every turn's commit waited for two fsyncs on the event
    loop. Here connections are kept in a pool (each used by one thread at a
    time), the database is in WAL mode and ``synchronous=NORMAL``: a commit
    appends to the log; a committed turn survives the process crashing, only a
    power cut can lose the last turns (the embedded profile's trade-off;
    production runs PostgreSQL). Readers in other processes (the console,
    exports) keep reading while the server writes.

    Args:
        url: The SQLite database file's URL.

    Returns:
        The engine.
    """
    engine = sa.create_engine(
        url,
        poolclass=sa.pool.QueuePool,
        pool_size=2,
        max_overflow=8,
        connect_args={"check_same_thread": False},
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    try:
        with engine.connect() as connection:  # the mode is kept in the file
            mode = connection.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
    except sa.exc.OperationalError as error:  # another process holds a lock now
        mode = f"unchanged ({error})"
    if mode != "wal":
        logger.warning("SQLite tracker file %s: journal mode %s", url, mode)
    return engine


class WindowedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose ``retrieve`` loads a compacted tracker.

    Args:
        window_events: The window's rows (``TRACKER_WINDOW_EVENTS`` when not
            given, 50 when that is unset; 0 = off).
        **kwargs: The arguments of Rasa's ``SQLTrackerStore`` (``type: sql``).
    """

    def __init__(self, window_events: int | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.window_events = window_events_setting(window_events)
        engine: Any = getattr(self, "engine")  # noqa: B009 (Rasa sets it untyped)
        if engine.dialect.name == "sqlite" and engine.url.database not in _IN_MEMORY:
            engine.dispose()
            self.engine = sqlite_engine(engine.url)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save`` (broker, then the new rows), one insert for all rows."""
        await self.stream_events(tracker)  # Rasa's: nothing without an event broker
        with self.session_scope() as session:
            self.insert_events(
                session,
                tracker.sender_id,
                list(self._additional_events(session, tracker)),
            )
            session.commit()

    def insert_events(self, session: Any, sender_id: str, events: list[Event]) -> None:
        """Add ``events`` as rows, with the columns Rasa fills, in one statement.

        Rasa adds one ORM object per event; its unit of work cost more CPU than
        the rows' JSON.

        Args:
            session: The open session (the caller commits).
            sender_id: The conversation.
            events: The events to store, in order.
        """
        rows = []
        for event in events:
            data = event.as_dict()
            rows.append(
                {
                    "sender_id": sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {})
                    .get("intent", {})
                    .get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        if rows:
            session.execute(self.SQLEvent.__table__.insert(), rows)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The current session's tracker: snapshot and window, or whole."""
        if not self.window_events:
            return await super().retrieve(sender_id)
        with self.session_scope() as session:
            rows, data = self._session_rows(session, sender_id)
            if not rows or not self.domain:
                return None
            plan = plan_window(rows, self.window_events)
            wanted = range(len(rows)) if plan is None else plan.rows(len(rows))
            missing = [rows[i].id for i in wanted if rows[i].id not in data]
            if missing:
                data.update(self._row_data(session, missing))
        parsed: dict[int, Event] = {}
        for index in wanted:
            event = parse_event(json.loads(data[rows[index].id]))
            if event is not None:
                parsed[index] = event
        slots = list(self.domain.slots)
        if plan is None:
            events = [parsed[i] for i in wanted if i in parsed]
        else:
            events = compacted_events(sender_id, slots, rows, plan, parsed)
            logger.debug(
                "%s: %d stored events loaded as %d", sender_id, len(rows), len(events)
            )
        # DialogueStateTracker.from_events, as Rasa's own retrieve builds it.
        tracker = WindowedTracker(sender_id, slots)
        for event in events:
            tracker.update(event)
        tracker.saved_events = len(tracker.events)
        tracker.stored_rows = len(rows)
        return tracker

    def _event_query(
        self, session: Any, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Any:
        """Rasa's query of a conversation's rows, the session's start looked up first.

        Rasa filters with ``timestamp >= (SELECT max(timestamp) ...) OR (...) IS
        NULL``; PostgreSQL evaluates that per row, 28 ms at 500 rows against
        1.3 ms for the rows alone. The rows selected are the same.
        """
        event = self.SQLEvent
        query = session.query(event).filter(event.sender_id == sender_id)
        if not fetch_events_from_all_sessions:
            start = session.execute(self._session_start(sender_id)).scalar()
            if start is not None:
                query = query.filter(event.timestamp >= start)
        return query.order_by(event.id)

    def _session_start(self, sender_id: str) -> Any:
        """SELECT the timestamp of the conversation's last session start."""
        event = self.SQLEvent
        return sa.select(sa.func.max(event.timestamp)).where(
            event.sender_id == sender_id,
            event.type_name == SessionStarted.type_name,
        )

    def _session_rows(
        self, session: Any, sender_id: str
    ) -> tuple[list[StoredRow], dict[int, str]]:
        """The current session's rows, and the data of its last ``window_events``.

        One query: the session's start is a subquery, and only the rows a window
        would keep carry their JSON (a window function numbers them from the
        end). A session that fits the window (most do) needs nothing more;
        ``retrieve`` fetches the data of the older rows a longer one keeps.
        The rows are those of ``_event_query``.
        """
        event = self.SQLEvent
        start = self._session_start(sender_id).scalar_subquery()
        from_end = sa.func.row_number().over(order_by=event.id.desc())
        query = (
            sa.select(
                event.id,
                event.type_name,
                event.action_name,
                event.timestamp,
                sa.case((from_end <= self.window_events, event.data), else_=None),
            )
            .where(event.sender_id == sender_id)
            # Timestamps are seconds since 1970: 0 lets every row in when the
            # conversation has no session start yet.
            .where(event.timestamp >= sa.func.coalesce(start, 0))
            .order_by(event.id)
        )
        # A Core select rather than an ORM query, and tuples: a turn reads every
        # row of its session (0.4 ms less at 500 rows, benchmarks/README.md).
        rows: list[StoredRow] = []
        data: dict[int, str] = {}
        make = StoredRow._make
        for row in session.execute(query):
            rows.append(make(row[:4]))
            row_data = row[4]
            if row_data is not None:
                data[row[0]] = row_data
        return rows, data

    def _row_data(self, session: Any, ids: list[int]) -> Iterator[tuple[int, str]]:
        column = self.SQLEvent.id
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            yield from session.query(column, self.SQLEvent.data).filter(
                column.in_(chunk)
            )

    def _additional_events(
        self, session: Any, tracker: DialogueStateTracker
    ) -> Iterator[Event]:
        """The events to insert: those added since this store built the tracker.

        A tracker it did not build is counted against the stored rows, as Rasa
        does. The tracker is marked saved here, before the commit: when the
        commit fails the message fails and the tracker is not used again.
        """
        if not isinstance(tracker, WindowedTracker) or tracker.saved_events is None:
            return super()._additional_events(session, tracker)
        start, end = tracker.saved_events, len(tracker.events)
        tracker.saved_events = end
        tracker.stored_rows += end - start
        return itertools.islice(tracker.events, start, end)
