"""unit backends tests."""
