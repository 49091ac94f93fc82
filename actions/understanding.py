"""What a message says beyond its intent, from the word lists in knowledge/cues.yml.

The NLU gives the intent; these pure functions read the text for what the intent cannot carry:
the role the user states, what a follow-up asks about (hours, how long, where), a clear problem
inside an unsure message, direct questions with a fixed answer, and the message's language.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import opencc

from actions.knowledge import cues
from parsing.durations import find_durations

_SPACES = re.compile(r"\s+")
# Traditional → simplified, as the NLU's normalizer does (the action server does not load Rasa).
_T2S = opencc.OpenCC("t2s")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


# Cached: every action call normalizes the same few hundred cue words of cues.yml again (about
# 300 conversions per call, most of the action server's time).
@lru_cache(maxsize=8192)
def normalized(text: str) -> str:
    """Simplified, lower case, without spaces: cue words match however the user wrote them."""
    return _SPACES.sub("", _T2S.convert(text or "").lower())


@lru_cache(maxsize=256)
def _pattern(expression: str) -> "re.Pattern[str]":
    return re.compile(expression)


class _CueList(NamedTuple):
    """One list of cues.yml ready to match: its words normalized, its {re: …} items compiled."""

    words: Tuple[str, ...]
    patterns: Tuple["re.Pattern[str]", ...]


# id of a cues.yml list -> (the list, its _CueList). An action call reads a few hundred cue words
# (most of the action server's time when each was normalized and matched one call at a time); the
# entry holds the list itself, so the id cannot be reused while it is kept, and cues.yml read
# again (knowledge.clear_cache) gives new lists.
_cue_lists: Dict[int, Tuple[Sequence[Any], _CueList]] = {}


def _cue_list(cues_list: Sequence[Any]) -> _CueList:
    entry = _cue_lists.get(id(cues_list))
    if entry is None:
        compiled = _CueList(
            tuple(normalized(str(cue)) for cue in cues_list if not isinstance(cue, dict)),
            tuple(_pattern(str(cue["re"])) for cue in cues_list if isinstance(cue, dict)),
        )
        entry = _cue_lists[id(cues_list)] = (cues_list, compiled)
    return entry[1]


def _has_any(text: str, words: Sequence[Any]) -> bool:
    """A cue word is a substring of the normalized text, or a {re: …} cue's pattern is found in it."""
    flat = normalized(text)
    cue_list = _cue_list(words)
    return any(word in flat for word in cue_list.words) or any(
        pattern.search(flat) is not None for pattern in cue_list.patterns)


# A message longer than this is a story; its question is the last clause or two.
LONG_MESSAGE = 40
ASKED_CHARS = 20
_CLAUSE_END = re.compile(r"[，,。.!！?？;；\n]+")
# Spaces end a clause too in a short message typed without punctuation ("你说9点上班 我现在去哪找").
_CLAUSE_OR_SPACE = re.compile(r"[，,。.!！?？;；\s]+")


def asked_part(text: str) -> str:
    """What a long message asks: its last clauses up to ASKED_CHARS (the whole of a short one)."""
    if len(text) <= LONG_MESSAGE:
        return text
    clauses = [clause for clause in _CLAUSE_END.split(text) if clause.strip()]
    asked = ""
    while clauses and (not asked or len(asked) + len(clauses[-1]) <= ASKED_CHARS):
        asked = f"{clauses.pop()}，{asked}" if asked else clauses.pop()
    return asked


def last_clause(text: str) -> str:
    """The message's last clause, where a question usually is."""
    clauses = [clause for clause in _CLAUSE_OR_SPACE.split(text or "") if clause]
    return clauses[-1] if clauses else ""


def has_cue(text: str, name: str) -> bool:
    """The message contains one of the words of the top-level list `name` of cues.yml."""
    return _has_any(text, cues()[name])


def says_scam_paid(text: str) -> bool:
    """The user says money or a code already went to the scammer; a payment only asked for
    ("他让我先交200保证金") is not one."""
    if not has_cue(text, "scam_paid"):
        return False
    return not has_cue(text, "scam_demanded") or has_cue(text, "scam_done")


def facet(text: str, name: str) -> bool:
    """The message asks about `name` (hours, night, weekend, how_long, where, email, phone …)."""
    return _has_any(text, cues()["facets"][name])


def _occurrences(flat: str, cue: Any) -> List[Tuple[int, int]]:
    """Where a cue word (or a {re: …} cue) occurs in the normalized text: (start, end) pairs."""
    if isinstance(cue, dict):
        return [match.span() for match in _pattern(cue["re"]).finditer(flat)]
    word = normalized(str(cue))
    spans, start = [], flat.find(word)
    while start >= 0:
        spans.append((start, start + len(word)))
        start = flat.find(word, start + 1)
    return spans


def stated_role(text: str) -> Optional[str]:
    """buyer/seller when the words of the message say so, else None (both: the first one said).
    A negated role word ("我不是卖家") and a reference ("这是买家的吧") state no role."""
    flat = normalized(text)
    negations = _cue_list(cues()["role_negations"]).words
    references = _cue_list(cues()["role_references"]).words
    found = {}
    for role, words in cues()["role"].items():
        positions = []
        for word in words:
            for start, end in _occurrences(flat, word):
                negated = any(flat[:start].endswith(negation) for negation in negations)
                if not negated and not flat[end:].startswith(references):
                    positions.append(start)
                    break
        if positions:
            found[role] = min(positions)
    if not found:
        return None
    return min(found, key=found.get)


def problem_named(text: str) -> Optional[str]:
    """The problem or topic whose clear word the message contains (物流 → not_received …).

    In a long message the problem said last is the one meant ("快递送来…拆开一看碎了" is a
    broken item), so the match that ends latest wins (the longer word of two that start together:
    海关专员 is a scam, not 海关); on a tie the earlier list in cues.yml.
    """
    return problem_among(text, cues()["problems"])


def names_problem(text: str, problem: str) -> bool:
    """The message contains one of the clear words of `problem` (the lists of cues.yml's problems)."""
    return _has_any(text, cues()["problems"][problem])


def problem_among(text: str, problems: Iterable[str]) -> Optional[str]:
    """The one of `problems` whose word ends latest in the message (a rant's problem, not its
    "who do I contact"), else None; on a tie the first of `problems`."""
    flat = normalized(text)
    best: Optional[str] = None
    best_at = -1
    for problem in problems:
        at = _last_end(flat, _cue_list(cues()["problems"].get(problem, ())))
        if at > best_at:
            best, best_at = problem, at
    return best


def _last_end(flat: str, cue_list: _CueList) -> int:
    """Where the last occurrence of any cue word (or {re: …} pattern) ends in the text, else -1."""
    ends = [at + len(word) for word in cue_list.words for at in (flat.rfind(word),) if at >= 0]
    ends += [match.end() for pattern in cue_list.patterns for match in pattern.finditer(flat)]
    return max(ends, default=-1)


def other_platform(text: str) -> Optional[str]:
    """The other shopping platform the message names (淘宝, 京东 …), if any."""
    flat = normalized(text)
    for name in cues()["other_platforms"]:
        if normalized(str(name)) in flat:
            return str(name)
    return None


def first_named(text: str, table: str) -> Optional[str]:
    """The first key of the cues.yml mapping `table` one of whose words the message contains."""
    for key, words in cues()[table].items():
        if _has_any(text, words):
            return str(key)
    return None


def asked_to_do(text: str) -> Optional[str]:
    """transfer / lookup / chase when the message asks the assistant itself to do it."""
    return first_named(text, "assistant_can_do")


def language_of(text: str) -> Optional[str]:
    """"en" for an English message, "zh" for one with Chinese characters, None when unclear.

    Button payloads (/intent) and emoji say nothing about the language. Pinyin is Latin but has
    none of the common English words of cues.yml, so it is not taken for English.
    """
    if not text or text.startswith("/"):
        return None
    if _CJK.search(text):
        return "zh"
    english = set(_LATIN_WORD.findall(text.lower())) & {str(word) for word in cues()["english_words"]}
    # "ok" or "hi" alone is typed in any language; two English words, or one long one, are not.
    if len(english) >= 2 or any(len(word) >= 4 for word in english):
        return "en"
    return None


def tried_steps(text: str, ladder: Sequence[str]) -> FrozenSet[str]:
    """The steps of `ladder` the user says they already tried ("邮件也发了", "输了人工客服也没人"),
    with the steps those come after (a complaint to the 消费者保护中心 follows the 工单)."""
    tried = cues()["tried"]
    if _has_any(text, tried["everything"]):
        return frozenset(ladder)
    if not _has_any(text, tried["marks"]) or _has_any(text, tried["hypothetical"]):
        return frozenset()
    found = {step for step, words in tried["steps"].items() if step in ladder and _has_any(text, words)}
    for step in list(found):
        found |= set(tried["requires"].get(step, ())) & set(ladder)
    return frozenset(found)


# Cached: read in follow_up and again in respond when no follow-up matched.
@lru_cache(maxsize=256)
def waited_minutes(text: str) -> Optional[int]:
    """How long the user says they have waited ("都十天了", "才一天"): the longest duration of the
    message that is not a deadline they wish for."""
    waits = [minutes for _, _, minutes, deadline in find_durations(text) if not deadline]
    return max(waits, default=None)


def time_zone_named(text: str) -> Optional[str]:
    """The IANA time zone of a country or city the message names (cues.yml `time_zones`), if any."""
    return first_named(text, "time_zones")


def term_asked(text: str) -> Optional[str]:
    """The term of the guide the message asks about ("阿里小蜜是啥"), if it asks what one is."""
    return first_named(text, "terms") if has_cue(text, "what_is") else None


def numbered_questions(text: str) -> List[str]:
    """The questions of a message that numbers two or more of them, or joins two ("另外", "and is
    there"), in order; [] otherwise."""
    marks = list(_pattern(str(cues()["enumeration"])).finditer(text or ""))
    if len(marks) < 2:
        joined = _pattern(str(cues()["question_joins"])).split(text or "", maxsplit=1)
        parts = [joined[0].strip(" ,，;；:：。?？"), joined[-1].strip(" ,，;；:：。?？")] if len(joined) == 3 else []
        # Joined, each side must ask about something ("我另外买了一个碗" joins no questions).
        asks = all(problem_named(part) or any(facet(part, name) for name in cues()["facets"]) for part in parts)
        return parts if parts and asks else []
    ends = [mark.start() for mark in marks[1:]] + [len(text)]
    # Each question ends at its question mark (what follows, such as a thanks, is not asked).
    parts = [re.split(r"[?？]", text[mark.end():end])[0].strip(" ,，;；:：。") for mark, end in zip(marks, ends)]
    return [part for part in parts if part]


def seller_topic(text: str) -> Optional[str]:
    """A problem only the seller desk handles that the message names (bad_review, payout), if any."""
    return first_named(text, "seller_topics")
