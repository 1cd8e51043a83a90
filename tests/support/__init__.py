"""Reusable test helpers (service availability, API contract checks)."""
