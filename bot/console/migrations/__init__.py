"""Alembic migrations of the console's tables (``bot.console.migrate`` runs them)."""
