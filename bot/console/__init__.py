"""The agent console: staff take over conversations the bot handed off.

``create_app`` (``app.py``) builds the aiohttp application; ``python -m
bot.console`` serves it; ``python -m bot.console.users`` manages staff accounts.
"""
