"""Typed HTTP clients for the order and CRM backends."""
