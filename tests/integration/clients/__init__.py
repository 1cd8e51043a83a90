"""integration clients tests."""
