"""Run the rasa_sdk action server: personal data masked, callers holding the token.

``python -m bot.action_server --actions actions --port 5055`` takes the
arguments of ``rasa run actions``. It installs the log masking, then serves
rasa_sdk's own app with one rule added: every request but ``/health`` must carry
``ACTION_SERVER_TOKEN`` — as Rasa sends it (``action_endpoint: token:`` in
``endpoints.yml``, the ``token`` query parameter) or as
``Authorization: Bearer`` — compared in constant time; anything else gets 401
and no action runs. The server listens on ``SANIC_HOST``, by default
``127.0.0.1`` (rasa_sdk's own default is every interface): it must not be
reachable from outside, since it acts for whichever customer a tracker names.
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
from collections.abc import Mapping, Sequence

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.platform.logs import install_log_masking
from bot.platform.worker_sockets import install_worker_sockets

logger = logging.getLogger(__name__)

TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"  # noqa: S105 (a variable name)
DEFAULT_HOST = "127.0.0.1"
#: Paths served without the token (a load balancer's health check).
OPEN_PATHS = frozenset({"/health"})


def require_token(app: Sanic, token: str) -> None:
    """Refuse (401) every request to ``app`` that lacks ``token``.

    Args:
        app: rasa_sdk's Sanic app.
        token: The shared secret Rasa sends.
    """
    expected = token.encode()

    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.args.get("token") or ""
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            given = header.removeprefix("Bearer ")
        if hmac.compare_digest(str(given).encode(), expected):
            return None
        logger.warning("action server: request without a valid token refused")
        return response.json(
            {"error": "a valid token is required", "code": "unauthorized"}, status=401
        )

    app.register_middleware(check_token, "request")


def token_from(environ: Mapping[str, str]) -> str:
    """The shared secret, or exit with a message when it is missing or short."""
    token = environ.get(TOKEN_VARIABLE, "")
    if len(token) < 16:
        sys.exit(
            f"{TOKEN_VARIABLE} must be set (16+ characters) and given to the Rasa "
            "server too (endpoints.yml: action_endpoint.token)"
        )
    return token


def main(argv: Sequence[str] | None = None) -> None:
    """Parse rasa_sdk's arguments, install the masking and serve with the token."""
    install_log_masking()
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_app, create_argument_parser, create_ssl_context
    from rasa_sdk.plugin import plugin_manager

    args = create_argument_parser().parse_args(argv)
    token = token_from(os.environ)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    app = create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    require_token(app, token)
    ssl_context = create_ssl_context(
        args.ssl_certificate, args.ssl_keyfile, args.ssl_password
    )
    host = os.environ.get("SANIC_HOST", DEFAULT_HOST)
    protocol = "https" if ssl_context else "http"
    logger.info(
        "Action endpoint is up and running on %s://%s:%s", protocol, host, args.port
    )
    install_worker_sockets()  # ACTION_SERVER_SANIC_WORKERS > 1: one socket each
    app.run(host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
