"""A shopper's picture: fetched from WeChat, checked, stored, and put to the bot.

The bot receives ``/send_image{"image_ref": "media:…"}``: Rasa reads it as
the ``send_image`` intent with an ``image_ref`` entity, so the reference is in
the conversation (the user event, and the ``last_image`` slot) and a form
asking for a photo (the returns flow) takes it like any other answer.
"""

from __future__ import annotations

from bot.platform.media_store import (
    IMAGE_ENTITY,
    IMAGE_INTENT,
    MediaRef,
    MediaStore,
    image_message,
)
from bot.wechat.client import WeChatApiClient

__all__ = ["IMAGE_ENTITY", "IMAGE_INTENT", "image_message", "receive_image"]


async def receive_image(
    client: WeChatApiClient, store: MediaStore, media_id: str
) -> MediaRef:
    """Download a picture by its ``MediaId`` and keep it.

    Args:
        client: The platform API client (``media/get`` with its access token).
        store: Where pictures are kept (its size limit bounds the download).
        media_id: The image message's ``MediaId``.

    Returns:
        The stored picture.

    Raises:
        MediaRejected: Not an image, or too large (nothing is stored).
        WeChatError: The platform refused or could not be reached.
    """
    media = await client.get_media(media_id, store.max_bytes)
    return await store.save(media.data, media.content_type)
