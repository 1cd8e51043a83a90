"""Service analytics for the merchant, counted from Rasa's conversation events.

``events`` reads the events table (Rasa's SQL tracker store, or the
``analytics_events`` table the broker consumer fills), ``metrics`` turns events
into figures, ``source`` joins the two for the console, ``consumer`` copies the
production event broker's queue into ``analytics_events`` (its parts:
``consumer_settings``, ``parsing``, ``batch``, ``amqp``). The table's layout
and the database plumbing live on the ground floor, :mod:`bot.platform`.
"""
