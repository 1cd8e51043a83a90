"""The customer beside the chat: CRM profile, loyalty and recent orders."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from actions.clients.errors import BackendError
from bot.console.keys import CRM, ORDERS

logger = logging.getLogger(__name__)


async def customer_panel(
    request: web.Request, customer_id: str | None
) -> dict[str, Any]:
    """The CRM data of a conversation's customer, or a ``note`` why there is none."""
    if not customer_id:
        return {"note": "顾客尚未核实身份"}
    try:
        customer, loyalty, orders = await asyncio.gather(
            request.app[CRM].get_customer(customer_id),
            request.app[CRM].loyalty_summary(customer_id),
            request.app[ORDERS].list_orders(customer_id, limit=5),
        )
    except BackendError as error:
        logger.warning("customer %s not loaded: %s", customer_id, error)
        return {"note": "客户资料暂时查不到（后台系统无响应）"}
    return {"customer": customer, "loyalty": loyalty, "orders": orders}


async def customer_names(
    request: web.Request, customer_id: str | None
) -> tuple[str, ...]:
    """The customer's name as the CRM has it, to mask in what others see.

    Args:
        request: The console request (its app holds the CRM client).
        customer_id: The conversation's verified customer, if any.

    Returns:
        The name, or nothing when the shopper is unverified or the CRM does not
        answer (phones, addresses and ID numbers are masked by their shape).
    """
    if not customer_id:
        return ()
    try:
        customer = await request.app[CRM].get_customer(customer_id)
    except BackendError as error:
        logger.warning("customer %s not loaded: %s", customer_id, error)
        return ()
    name = customer.get("name")
    return (str(name),) if name else ()
