"""Mask personal data in free text: phones, names, addresses, ID and card numbers.

Pure functions, no I/O. Each kind keeps just enough to recognise the value
(``138****8000``, ``王*``, ``上海市浦东新区****``, ``3101**********1234``), the
way Chinese apps show personal data to people who don't need it in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_DIGIT = "[0-9０-９]"
_NOT_DIGIT_BEFORE = r"(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"
_NOT_DIGIT_AFTER = r"(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"
_SEP = r"[ \-－\u3000]?"

# 18-digit resident ID: 17 digits and a digit or X check character.
RESIDENT_ID = re.compile(
    _NOT_DIGIT_BEFORE + rf"(?:{_DIGIT}{{17}}[0-9０-９XxＸｘ])" + _NOT_DIGIT_AFTER
)
# Bank cards: 16-19 digits, optionally in groups of four.
BANK_CARD = re.compile(
    _NOT_DIGIT_BEFORE
    + rf"(?:{_DIGIT}{{16,19}}|{_DIGIT}{{4}}(?:[ \-－]{_DIGIT}{{4}}){{3}}"
    + rf"(?:[ \-－]{_DIGIT}{{1,3}})?)"
    + _NOT_DIGIT_AFTER
)
# Mainland mobiles: 1[3-9] + 9 digits, also typed as 138 0013 8000 / 138-0013-8000.
MOBILE = re.compile(
    _NOT_DIGIT_BEFORE
    + rf"(?:[1１][3-9３-９]{_DIGIT}{_SEP}{_DIGIT}{{4}}{_SEP}{_DIGIT}{{4}})"
    + _NOT_DIGIT_AFTER
)
_HAN = "[\u4e00-\u9fff]"
# 姓名：王芳 / 收货人 李小明 / 联系人:张三
LABELLED_NAME = re.compile(
    rf"(?P<label>姓名|名字|收货人|收件人|联系人|寄件人)(?P<sep>[是为:：\s]*)"
    rf"(?P<name>{_HAN}{{2,4}}?)(?=[^\u4e00-\u9fff]|电话|手机|$)"
)
_DETAIL = "[\u4e00-\u9fff0-9０-９A-Za-z#＃\\-－]"
# Region (kept) + street detail (masked): 上海市浦东新区 + 世纪大道100号.
ADDRESS = re.compile(
    rf"(?P<region>(?:{_HAN}{{2,7}}?(?:省|自治区))?(?:{_HAN}{{2,7}}?市)?"
    rf"(?:{_HAN}{{1,6}}?(?:区|县|旗))?)"
    rf"(?P<detail>{_DETAIL}{{1,20}}?(?:路|街|道|巷|弄|村|镇|小区)"
    rf"{_DETAIL}{{0,20}}?{_DIGIT}+[号弄栋幢楼室]"
    rf"(?:{_DETAIL}{{0,12}}?{_DIGIT}+[号栋幢楼室]|{_DIGIT}+单元)*)"
)
MASK = "****"


def _digits(value: str) -> str:
    return re.sub(r"[^0-9X]", "", value.translate(_FULL_WIDTH_DIGITS).upper())


def mask_number(digits: str) -> str:
    """Keep the first four and last four characters: ``3101**********1234``."""
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_phone(value: str) -> str:
    """``13800138000`` (any spacing, full width) → ``138****8000``."""
    digits = _digits(value)
    return digits[:3] + "****" + digits[-4:]


def mask_name(name: str) -> str:
    """Keep the surname: ``王芳`` → ``王*``, ``欧阳娜娜`` → ``欧***``."""
    name = name.strip()
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_phones(text: str) -> str:
    """Mask every mainland mobile number in ``text``."""
    return MOBILE.sub(lambda match: mask_phone(match.group()), text)


def mask_id_numbers(text: str) -> str:
    """Mask resident ID numbers and bank card numbers in ``text``."""
    text = RESIDENT_ID.sub(lambda match: mask_number(_digits(match.group())), text)
    return BANK_CARD.sub(lambda match: mask_number(_digits(match.group())), text)


def mask_addresses(text: str) -> str:
    """Keep province, city and district; mask the street and number."""
    return ADDRESS.sub(lambda match: match.group("region") + MASK, text)


def mask_names(text: str, known_names: Iterable[str] = ()) -> str:
    """Mask names after 姓名/收货人/联系人… and every name in ``known_names``."""
    for name in sorted({n.strip() for n in known_names if n and n.strip()}, key=len)[
        ::-1
    ]:
        if len(name) >= 2:
            text = text.replace(name, mask_name(name))
    return LABELLED_NAME.sub(
        lambda match: (
            match.group("label") + match.group("sep") + mask_name(match.group("name"))
        ),
        text,
    )


def mask_text(text: str, known_names: Iterable[str] = ()) -> str:
    """Mask every kind of personal data in ``text``.

    Args:
        text: Free text (a message, a log line, a CSV cell).
        known_names: Names known to belong to the shopper (the CRM's name).

    Returns:
        The text with ID and card numbers, phones, addresses and names masked.
    """
    if not text:
        return text
    # Longest numbers first, so a card number is never taken for a phone.
    text = mask_id_numbers(text)
    text = mask_phones(text)
    text = mask_addresses(text)
    return mask_names(text, known_names)


def mask_data(value: Any, known_names: Iterable[str] = ()) -> Any:
    """Mask every string inside ``value`` (dicts, lists, strings; keys kept)."""
    names = tuple(known_names)
    if isinstance(value, str):
        return mask_text(value, names)
    if isinstance(value, dict):
        return {key: mask_data(item, names) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_data(item, names) for item in value]
    return value
