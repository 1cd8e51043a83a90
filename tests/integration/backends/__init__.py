"""integration backends tests."""
