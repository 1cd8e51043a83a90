"""Find an explicit request for a person (转人工, 找个真人, 打我电话) in a message.

The lexicon works on normalised text (simplified characters, half width, lower
case: what ``ChineseTextNormalizer`` makes of a message). It looks for a
request, not a mention: ``人工客服也是念稿子`` names the agents without asking
for one, ``不用转人工`` declines one, ``答应给我回电话`` reports a promise.

Four kinds of evidence count:

- a clause that is nothing but the request (``人工``, ``人工客服?``,
  ``我要转人工``), as apps paste it before or after another question;
- a request verb with a person anywhere (``转人工``, ``找个真人``, ``要人工``,
  ``跟人工对话``, ``活人``);
- asking whether a person is there (``有没有人工客服``, ``人工呢``), unless the
  clause names a time: ``晚上有人工吗`` asks about service hours;
- a request for a call back (``打我电话``, ``给我回个电话``, ``让客服联系我``).

A match directly after a negation (``不用``, ``别``, ``无需`` …) is no request,
unless the clause goes on with a condition (``不给我转人工我就投诉``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A person, with the two 拼音 slips seen in chats (人共, 仁工); not 人工智能 or
#: 人工费 (labour costs) or 人工审核 (a process step).
_PERSON = r"(?:人工(?!智能|智慧|费|成本|安装|审核|合成)|人共|仁工|真人|活人)"
_ONE = r"(?:个|1个|一个|一下|1下|位|1位|一位)?"
_STAFF = r"(?:客服|服务|坐席|座席|客户|专员)?"
_TAIL = r"(?:呢|吧|啊|呀|吗|么|嘛|哦|了|在吗|在不在|在哪|在哪里|在哪儿|please|pls)?"

#: A clause that holds nothing but a request for a person.
_WHOLE_CLAUSE = re.compile(
    r"(?:你好|您好|hi|在吗|亲)?"
    r"(?:请|麻烦|帮我|给我)?(?:我要|我想|我需要|我就要|要|求|需要)?"
    rf"(?:转|转接|接|找|换)?{_ONE}(?:人工|人共|仁工){{1,3}}{_STAFF}(?:服务)?{_TAIL}"
    r"|(?:转|转接)(?:客服|人工客服)"
)

#: Requests that count wherever they stand in the message.
_INLINE = re.compile(
    "|".join(
        (
            # 转人工, 转接人工, 转一下人工, 转个真人, 转人共
            rf"转(?:接|到|给|去|成)?{_ONE}{_PERSON}",
            # 转接客服, 转客服
            r"转接?(?:到)?(?:人工)?客服",
            # 我要人工, 找个真人, 换个真人, 来个人工, 给我人工, 需要人工帮助
            rf"(?:要|找|接|接通|叫|换|来|求|呼叫|请求|安排|给我|联系|让|问){_ONE}{_PERSON}",
            # 跟人工对话, 和真人聊聊
            rf"(?:跟|和|同){_PERSON}{_STAFF}(?:对话|聊|说|通话|沟通|谈)",
            # 叫个活人来, 有活人吗: a live person is never a product or a process
            # (你是活人吗 is a question about the bot)
            r"(?<!是)活人",
            # 叫个人来, 换个人来
            r"(?:叫|找|换)(?:个|1个|一个)?人来",
        )
    )
)

#: Asking whether a person is there; a question about service hours when the
#: clause names a time (晚上有人工吗).
_AVAILABILITY = re.compile(
    "|".join(
        (
            # 有没有人工客服, 有没有真人
            rf"有(?:没有|无){_ONE}(?:人工|真人){_STAFF}",
            # 人工客服在哪, 人工呢, 真人客服在哪里, 人工入口, 人工怎么转
            rf"(?:人工|真人){_STAFF}(?:呢|在哪|在吗|在不在|入口|怎么转|怎么联系|怎么找)",
        )
    )
)
_HOURS = re.compile(
    r"几点|时间|晚上|夜里|凌晨|周末|星期|礼拜|节假日|假期|春节|过年|这个点|现在还"
)

#: Requests to be called back. ``给我打电话`` alone is mostly a report (客服给我打电话
#:说…), so a call needs 个/一下, a 回 (call back) or a polite request word.
_CALL_BACK = re.compile(
    "|".join(
        (
            # 打我电话, 打我手机, 打给我电话
            r"打(?:给)?我(?:的)?(?:电话|手机)",
            # 给我回个电话, 给我回电话, 帮我打个电话, 给我来个电话
            r"(?:给|帮)我(?:回(?:个|1个|一个|一下)?|(?:打|来)(?:个|1个|一个|一下))电话",
            # 请给我打电话, 麻烦客服给我打电话
            r"(?:请|麻烦|尽快|赶紧|马上)(?:你们)?(?:的)?(?:客服|人工|工作人员|专员)?"
            r"(?:给|帮)我打电话",
            # 回个电话给我
            r"(?:回|打)(?:个|1个|一个)?电话给我",
            # 请电话联系我, 让客服联系我, 客服回电
            r"(?:电话|客服|人工|专员|工作人员)(?:尽快|马上)?(?:给我)?(?:联系我|回电|来电)",
        )
    )
)

_CLAUSE_BREAK = re.compile(r"[\s,.!?;:~、，。！？；：…()\[\]【】<>《》\"'“”‘’@#]+")
#: A negation right before the request (the gap holds only auxiliaries).
_NEGATED = re.compile(
    r"(?:不|别|甭|勿|无需|无须|不必|没必要|用不着)[用要需想必帮给我再去转找接]{0,4}$"
)
#: A report of a promise or of what did not happen (答应给我回电话, 还没给我回电话).
_REPORTED = re.compile(
    r"(?:答应|说好|说要|说会|承诺|说了|不是说)[^,.!?;，。！？；]{0,3}$|(?:没|没有)$"
)
#: The clause goes on with a condition: the negation is a threat, not a refusal.
_CONDITION = re.compile(r"^[^,.!?;，。！？；]{0,8}?(?:就|的话|否则|不然)")


@dataclass(frozen=True)
class PersonRequest:
    """Where a message asks for a person.

    Attributes:
        start: Offset of the request in the text.
        end: Offset just after it.
        phrase: The words that ask.
    """

    start: int
    end: int
    phrase: str


def _clauses(text: str) -> list[tuple[int, str]]:
    """Split ``text`` into clauses, each with its offset."""
    found: list[tuple[int, str]] = []
    position = 0
    for match in _CLAUSE_BREAK.finditer(text):
        if match.start() > position:
            found.append((position, text[position : match.start()]))
        position = match.end()
    if position < len(text):
        found.append((position, text[position:]))
    return found


def _declined(clause: str, start: int, end: int) -> bool:
    """Whether the request at ``clause[start:end]`` is negated or reported."""
    before = clause[:start]
    if _REPORTED.search(before):
        return True
    if not _NEGATED.search(before):
        return False
    return not _CONDITION.search(clause[end:])


def find_person_request(text: str) -> PersonRequest | None:
    """Find the first explicit request for a person in normalised text.

    Args:
        text: A message after normalisation (simplified, half width, lower case).

    Returns:
        The request, or ``None`` if the message asks for no person.
    """
    for offset, clause in _clauses(text):
        if _WHOLE_CLAUSE.fullmatch(clause):
            return PersonRequest(offset, offset + len(clause), clause)
        patterns = [_INLINE, _CALL_BACK]
        if not _HOURS.search(clause):
            patterns.append(_AVAILABILITY)
        for pattern in patterns:
            for match in pattern.finditer(clause):
                if not _declined(clause, match.start(), match.end()):
                    return PersonRequest(
                        offset + match.start(), offset + match.end(), match.group()
                    )
    return None
