"""One-off maintenance commands over the conversation stores (upgrades)."""
