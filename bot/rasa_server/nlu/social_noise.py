"""Blank the @mentions and links that shoppers paste from social media.

Messages written on Weibo-style platforms or copied from them carry handles and
links: ``…请返还积分@某某电信客服``, ``我在这里:http://t.cn/xxxx``. A handle
says whom the shopper addressed, not what they want, yet its words (客服,
旗舰店, 物流) pull the classifier towards whatever the training data paired them
with: a points grievance addressed to ``@…客服`` read as a request for a person.
Handles and links become spaces, so every character offset (and the map back
to what the shopper typed) stays as it was.

A handle is ``@`` plus up to 20 characters without spaces, ending at a space,
another ``@``, or the end of the message; at the very start of a message it
must be followed by a space, so ``@小客我的快递呢`` keeps its question. An ``@``
inside a word (``name@example.com``) is an e-mail address, not a handle.
"""

from __future__ import annotations

import re

_LINK = re.compile(r"(?:https?://|www\.|t\.cn/)[!-~]+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![A-Za-z0-9._%+-])@[^\s@]{1,20}(?=\s|@|$)")


def _spaces(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def _blank_handle(match: re.Match[str]) -> str:
    text = match.string
    if match.start() == 0 and match.end() == len(text):
        return match.group(0)  # the whole message: keep it
    if match.start() == 0 and not text[match.end() : match.end() + 1].isspace():
        return match.group(0)
    return _spaces(match)


def blank_mentions_and_links(text: str) -> str:
    """``text`` with social-media handles and links as spaces.

    Args:
        text: Normalised text (half-width, lower-case Latin).

    Returns:
        Text of the same length.
    """
    if "@" not in text and "." not in text and "/" not in text:
        return text
    return _HANDLE.sub(_blank_handle, _LINK.sub(_spaces, text))
