"""Typed keys of what the console application holds."""

from __future__ import annotations

import asyncio

from aiohttp import web

from actions.clients.crm import CrmClient
from actions.clients.orders import OrdersClient
from bot.console.assignment import Dispatcher
from bot.console.config import ConsoleSettings
from bot.console.floor import FloorRepository
from bot.console.nudges import Nudges
from bot.console.review import ReviewSettings, Score
from bot.console.review_repository import ReviewRepository
from bot.console.service import ConsoleService
from bot.console.throttle import LoginThrottle, RateLimiter
from bot.console.timers import Timers
from bot.console.transfers import Transfers
from bot.console.workbench import WorkbenchRepository
from bot.platform.media_store import MediaStore

SETTINGS = web.AppKey("settings", ConsoleSettings)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
#: Web chat sends per shopper session, and per client address.
CHAT_SESSION_LIMIT = web.AppKey("chat_session_limit", RateLimiter)
CHAT_ADDRESS_LIMIT = web.AppKey("chat_address_limit", RateLimiter)
SERVICE = web.AppKey("service", ConsoleService)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
FLOOR = web.AppKey("floor", FloorRepository)
WORKBENCH = web.AppKey("workbench", WorkbenchRepository)
TRANSFERS = web.AppKey("transfers", Transfers)
#: Service timers (SLA) and WeChat's limits.
TIMERS = web.AppKey("timers", Timers)
#: Where shoppers' and agents' pictures are kept (``MEDIA_STORE``, ``MEDIA_DIR``).
MEDIA: web.AppKey[MediaStore] = web.AppKey("media")
CRM = web.AppKey("crm", CrmClient)
ORDERS = web.AppKey("orders", OrdersClient)
#: Set at shutdown so live-update streams end instead of holding it up.
STOPPING = web.AppKey("stopping", asyncio.Event)
#: Wakes a conversation's live updates when this process sees it change.
NUDGES = web.AppKey("nudges", Nudges)
#: The NLU review queue: verdicts and roles, its settings, the last score.
REVIEW = web.AppKey("review", ReviewRepository)
REVIEW_SETTINGS = web.AppKey("review_settings", ReviewSettings)
REVIEW_SCORE = web.AppKey("review_score", list[Score])
