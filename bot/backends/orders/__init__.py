"""Reference order service: orders, shipments, tracking and returns."""
