"""Run the order service: ``python -m bot.backends.orders``."""

from bot.backends.common.serve import run
from bot.backends.orders.app import create_app

if __name__ == "__main__":
    run("orders", create_app)
