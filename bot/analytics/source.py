"""Reports read from a database: load the events a filter needs, then count."""

from __future__ import annotations

import sqlalchemy as sa

from bot.analytics.events import load_events
from bot.analytics.metrics import Filters, Report, compute
from bot.platform.db import engine_for


def read_report(
    db_url: str, table: str, filters: Filters, *, top_fallbacks: int = 20
) -> Report:
    """The report of the events in ``table`` of ``db_url`` (synchronous).

    The console calls this in a thread. Engines are shared per URL.

    Args:
        db_url: ``sqlite:///…`` or ``postgresql://…`` (async forms accepted).
        table: ``events`` (Rasa's SQL tracker store) or ``analytics_events``.
        filters: Which conversations to count.
        top_fallbacks: How many fallback texts to list.

    Returns:
        The figures; an empty report when the table does not exist yet.
    """
    engine = engine_for(db_url)
    if not sa.inspect(engine).has_table(table):
        return compute([], filters, top_fallbacks=top_fallbacks)
    since, until = filters.day_bounds()
    rows = load_events(engine, table, since=since, until=until)
    return compute(rows, filters, top_fallbacks=top_fallbacks)
