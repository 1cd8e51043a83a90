"""Scaffolding for new shopper intents: ``python -m bot.scaffold intent <name>``.

See docs/extending.md for what it generates and what to do next.
"""
