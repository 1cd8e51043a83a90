"""Run the CRM service: ``python -m bot.backends.crm``."""

from bot.backends.common.serve import run
from bot.backends.crm.app import create_app

if __name__ == "__main__":
    run("crm", create_app)
