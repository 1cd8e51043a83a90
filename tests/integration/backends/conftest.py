"""Fixtures for the backend integration tests."""

from tests.support.backends import backends, database_urls, postgres_database

__all__ = ["backends", "database_urls", "postgres_database"]
