"""Scaffolding for new shopper intents: ``python -m bot.scaffold intent <name>``.

See docs/extending.md for what it generates and what to do next. The files it
writes are Jinja templates in ``templates/`` (rendered by ``render``); a change
to them changes ``tests/fixtures/scaffold/`` in the same commit.
"""
