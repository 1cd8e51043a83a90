"""Deterministic demo data set shared by the order and CRM services."""
