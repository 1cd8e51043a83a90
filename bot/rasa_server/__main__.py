"""``python -m bot.rasa_server run …``: the Rasa server as the Procfile starts it."""

from bot.rasa_server.launcher import main

main()
