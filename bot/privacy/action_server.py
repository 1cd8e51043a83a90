"""Run the rasa_sdk action server with personal data masked in its logs.

``python -m bot.privacy.action_server --actions actions --port 5055`` takes the
same arguments as ``rasa run actions``. rasa_sdk has no startup hook for user
code, and ``actions/`` must not act at import time, so this launcher installs
the log masking and then hands over to rasa_sdk's own command line.
"""

from __future__ import annotations

from bot.privacy.logs import install_log_masking


def main() -> None:
    """Install the masking, then run rasa_sdk's ``main``."""
    install_log_masking()
    from rasa_sdk.__main__ import main as rasa_sdk_main

    rasa_sdk_main()


if __name__ == "__main__":
    main()
