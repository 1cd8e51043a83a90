"""Shoppers' personal data (PIPL): what in a conversation's events is personal.

Above the ground floor only (``bot.platform``: masking, the log filter, the
events table); retention and deletion requests use it from the console.
"""
