"""The Rasa server process: how it starts and what it runs beyond Rasa itself.

``launcher.py`` (``python -m bot.rasa_server``) is Rasa's CLI with the speed fix
and the log masking; ``nlu/`` the Chinese NLU graph components (named in
``config.yml``); ``channels/`` the input channels (REST, web chat, WeChat);
``resilience/`` the guarded turns around them; ``tracker_store.py`` and
``lock_store.py`` the production profile's stores.
"""
