"""Shared plumbing of the reference backends: settings, database, errors, HTTP glue."""
