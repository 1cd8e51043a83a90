"""Typed HTTP clients for the order service (with its catalogue) and the CRM."""
