"""Alembic migrations of the reference backends (one history per service)."""
