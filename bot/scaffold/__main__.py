"""Entry point of ``python -m bot.scaffold``."""

from bot.scaffold.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
