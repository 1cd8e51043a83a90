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
- a request for a call back, alone or after a word that asks (``打我电话``,
  ``请给我回个电话``, ``让客服联系我``), not a report of one (``客服给我打电话说…``).

A match directly after a negation (``不用``, ``别``, ``无需`` …) is no request,
unless the clause goes on with a condition (``不给我转人工我就投诉``); nor is one
that reports the past (``刚和人工客服说了``, ``被转到客服``) or a failed attempt
(``打10010转人工都没人接``).
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
            # 找你们主管, 联系一下负责售后的专员, 叫你们领导来: someone above
            # the bot (not 经理: 客户经理 are often named in reports)
            r"(?:找|联系|叫|让|要|换)(?:一下|个|一个)?(?:你们)?"
            r"(?:[^,.!?;，。！？；]{0,8}的)?(?:专员|主管|负责人|领导)",
            # 叫个人来, 换个人来 (not 叫人来修: a repairman)
            r"(?:叫|找|换)(?:个|1个|一个)人来(?![修装送])",
            # 转3号客服, 转工号1024的客服: an agent by number (not 我昨天找3号客服
            # 退款了, a report; not 618的客服, a date)
            r"转(?:接|给|到)?(?:(?:\d{1,5}|[一二三四五六七八九十]{1,3})号|工号\d{1,8}的?)"
            r"客服(?!说|的|聊天|记录)",
            # 转回刚才那个客服, 找之前的客服: the agent the shopper talked to (not
            # 找之前的客服聊天记录, 刚才那个客服说…)
            r"(?:转|转回|转给|转到|找|换回)(?:刚才|刚刚|之前|上次|前面)(?:那个|那位|的)?"
            r"客服(?!说|的|聊天|记录|对话)",
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

#: A call back. Most mentions of a call report one (客服给我打电话说…, 别人打我电话
#:打不通, 7月3日客服联系我): it is a request only as a whole clause (打我电话吧)
#: or after a word that asks (请, 麻烦, 希望, 让, 尽快, 可以 …).
_CALL = (
    r"(?:(?<!拨)打(?:给)?我(?:的)?(?:电话|手机)"
    r"|(?:给|帮)我(?:回|打|来)?(?:个|1个|一个|一下)?电话"
    r"|(?:回|打)(?:个|1个|一个)?电话给我"
    r"|(?:电话|客服|人工|专员|工作人员)(?:尽快|马上)?联系我(?!们)"
    # 赶紧联系我, 请尽快联系我: only after a word that asks (_CALL_BACK); not
    # 请联系我的手机 (how to reach the shopper, given for a pickup or delivery)
    r"|(?<![人员])联系我(?!们|了|说|过|的)"
    # 打13800000000联系我, 打这个号码找我: a number to call back on
    r"|打(?:这个|我这个|我的)?(?:号码|号|电话|手机)?(?:\d{5,})?(?:这个号)?(?:联系|找)我(?!们))"
)
_CALL_CLAUSE = re.compile(
    rf"(?:请|麻烦)?(?:你们|你)?(?:客服)?{_CALL}(?:吧|谢谢|好吗|可以吗)?"
)
_CALL_BACK = re.compile(
    r"(?:请(?!问)|麻烦|希望|让|叫|要求|务必|尽快|赶紧|马上|直接|可以|可|能否|能不能"
    r"|可不可以)"
    rf"(?:(?!不|别|勿|刚|已)[^,.!?;，。！？；]){{0,8}}?{_CALL}"
)

_CLAUSE_BREAK = re.compile(r"[\s,.!?;:~、，。！？；：…()\[\]【】<>《》\"'“”‘’@#]+")
#: A negation right before the request (the gap holds only auxiliaries).
_NEGATED = re.compile(
    r"(?:不|别|甭|勿|无需|无须|不必|没必要|用不着)[用要需想必帮给我再去转找接把]{0,4}$"
)
#: A report of a promise, of the past or of what did not happen (答应给我回电话,
#: 还没给我回电话, 被转到客服, 好不容易转到人工, 刚和人工客服说了).
_REPORTED = re.compile(
    r"(?:答应|说好|说要|说会|承诺|说了|不是说|好不容易|刚|刚才|刚刚|已|之前|上次|还得)"
    r"[^,.!?;，。！？；]{0,8}$"
    r"|(?:没|没有|无法|没法|(?<!能)不能|被|才)$"
)
#: What follows says the attempt failed (打10010转人工都没人接, 人工一直忙): a
#: complaint about reaching a person, not a request for one.
_FAILED = re.compile(
    r"^[^,.!?;，。！？；]{0,4}?(?:没人|没有人|全忙|都忙|在忙|忙|打不通|接不通|难|"
    r"不了|不上|才知道|也是|正常|显示|关机|无法)"
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


#: How the public corpora mask a number, where it names an agent (转[数字x]号客服);
#: elsewhere the brackets still split clauses as before.
_NUMBER_MASK = re.compile(r"\[数字x\](?=号)")


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


def _failed(text: str, end: int) -> bool:
    """Whether what follows ``text[:end]`` (across spaces) says the attempt failed."""
    return bool(_FAILED.search(text[end:].lstrip()))


def _declined(text: str, clause: tuple[int, str], start: int, end: int) -> bool:
    """Whether the request at ``clause[start:end]`` is negated, reported or failed.

    Args:
        text: The whole message.
        clause: The clause's offset in ``text`` and its text.
        start: Where the request starts in the clause.
        end: Where it ends in the clause.
    """
    offset, words = clause
    before = words[:start]
    if _REPORTED.search(before) or _failed(text, offset + end):
        return True
    if not _NEGATED.search(before):
        return False
    return not _CONDITION.search(words[end:])


#: A person declined: a negation before a request verb and a person (不用转人工,
#: 别给我转人工, 不需要真人), or the person first (人工就不用了, 人工客服先不用).
_REFUSAL = re.compile(
    rf"(?:不|别|甭|勿|无需|无须|不必|没必要|用不着)[用要需想必帮给我再去转找接把叫]{{0,4}}"
    rf"{_ONE}{_PERSON}"
    rf"|{_PERSON}{_STAFF}(?:就|也|先|暂时|还是)?(?:不用|不要|不需要|不必|算了|免了)"
)


def refuses_person(text: str) -> bool:
    """Whether normalised text declines a person and asks for none.

    ``不用转人工`` and ``人工就不用了`` decline; ``不给我转人工我就投诉`` is a
    threat (the clause goes on with a condition) and ``我要转人工`` a request.

    Args:
        text: A message after normalisation.

    Returns:
        ``True`` if a clause declines a person and no request is found.
    """
    if find_person_request(text) is not None:
        return False
    for _, clause in _clauses(text):
        for match in _REFUSAL.finditer(clause):
            if not _CONDITION.search(clause[match.end() :]):
                return True
    return False


def find_person_request(text: str) -> PersonRequest | None:
    """Find the first explicit request for a person in normalised text.

    Args:
        text: A message after normalisation (simplified, half width, lower case).

    Returns:
        The request, or ``None`` if the message asks for no person.
    """
    # A masked number reads as digits of the same length, so its brackets do
    # not split a clause (转[数字x]号客服); what is returned is the text's own.
    masked = _NUMBER_MASK.sub(lambda found: "9" * len(found.group()), text)
    for offset, clause in _clauses(masked):
        end = offset + len(clause)
        whole = _WHOLE_CLAUSE.fullmatch(clause) or _CALL_CLAUSE.fullmatch(clause)
        if whole and not _failed(masked, end):
            return PersonRequest(offset, end, text[offset:end])
        patterns = [_INLINE, _CALL_BACK]
        if not _HOURS.search(clause):
            patterns.append(_AVAILABILITY)
        for pattern in patterns:
            for match in pattern.finditer(clause):
                if not _declined(masked, (offset, clause), match.start(), match.end()):
                    start, stop = offset + match.start(), offset + match.end()
                    return PersonRequest(start, stop, text[start:stop])
    return None
