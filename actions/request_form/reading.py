"""Reading what the user said for each slot: entities first, then the free text, never a guess.

Only reads (no wording, no events). A value counts for a slot when it is meant for it: a value
after a negation (要退款不换货了: not 换货) is refused, a word that is both a category and a goal
(退款) is the goal once the category is known, and a value already given is changed only when the
message says so (不对 / 改成 / 其实 …) or the slot is the one asked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from rasa_sdk import Tracker

from parsing import find_durations
from parsing.text import half_width
from parsing.orders import words_of as order_words
from parsing.vocabulary import find_phrases, nearest, phrase_pattern, words
from actions.request_form.settings import ANSWER_ENTITIES, FORM_SLOTS, SKIP, facts

_PUNCT = re.compile(r"[\s，。,.!！?？、;；:：\"'“”‘’()（）【】\[\]<>《》~～-]+")
# Slots whose vocabulary words may also be a word of the other (退款: a category and a goal).
_RIVAL = {"issue_category": "request_goal", "request_goal": "issue_category"}
# A goal in the user's own words: long enough to say something, short enough for the request store.
OWN_GOAL_CHARS = (2, 20)
# A described problem this short is kept beside its category in the user's words (东西坏了).
OWN_WORDS_CHARS = 10


def own_words(read: Optional["Reading"]) -> Optional[str]:
    """The user's words for a category, when they say more than the category's name."""
    if read is None or read.value is None or not read.words:
        return None
    words = read.words.strip()
    if words.lower() in read.value.lower() or read.value in words:
        return None
    return words


def short_description(text: Any) -> Optional[str]:
    """A typed answer short enough to stand beside its category as the user's words (东西坏了)."""
    typed = clean(text)
    return typed if typed and not is_button(typed) and len(typed) <= OWN_WORDS_CHARS else None


def is_description(typed: Optional[str]) -> bool:
    """Typed words that describe something: two different characters at least that are not fillers
    (嗯嗯嗯, 哦, ok) or vague phrases (就是那个不太对劲), and no question."""
    bare = _PUNCT.sub("", clean(typed)).lower()
    for phrase in words("vague_phrases"):
        bare = bare.replace(phrase, "")
    fillers = set(words("fillers"))
    meaningful = {char for char in bare if char not in fillers and not char.isdigit()}
    return len(meaningful) >= 2 and bare not in fillers and not clean(typed).endswith(tuple(words("question_endings")))


def clean(text: Any) -> str:
    """Half-width and trimmed."""
    return half_width(str(text or "")).strip()


def is_button(text: str) -> bool:
    """A payload sent by a button (``/inform{...}``)."""
    return text.startswith("/")


def matches_phrase(text: Any, phrases: List[str]) -> bool:
    """The text is one of the phrases (punctuation aside), or contains one of three characters or more."""
    bare = _PUNCT.sub("", clean(text)).lower()
    flat = [_PUNCT.sub("", phrase).lower() for phrase in phrases]  # "what options" as typed without spaces too
    return any(bare == phrase or (len(phrase) >= 3 and phrase in bare) for phrase in flat)


def is_skip(text: Any) -> bool:
    """The answer skips the question: a skip phrase alone or said in it ("类别不知道 跳过")."""
    bare = _PUNCT.sub("", clean(text)).lower()
    return matches_phrase(text, [SKIP]) or any(str(phrase).lower() in bare for phrase in facts()["skip_phrases"])


def says_correction(text: str) -> bool:
    """The message changes an earlier answer (不对，… / 改成… / 我改主意了 …)."""
    return bool(re.search(phrase_pattern(words("corrections")), clean(text).lower()))


def _negated(text: str, start: Optional[int]) -> bool:
    if start is None:
        return False
    before = clean(text[max(0, start - 4):start]).lower()
    return bool(re.search(rf"(?:{phrase_pattern(words('negations'))})\s*$", before))


def entities_of(parse_data: Dict[str, Any], slot: str) -> List[Dict[str, Any]]:
    """The message's entities for ``slot`` in text order."""
    found = [e for e in parse_data.get("entities") or [] if e.get("entity") == slot]
    return sorted(found, key=lambda e: e.get("start") or 0)


def _overlaps(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    if a.get("start") is None or b.get("start") is None:
        return False
    return a["start"] < b["end"] and b["start"] < a["end"]


def meant_entities(parse_data: Dict[str, Any], slot: str, asked: bool, known: bool) -> List[Dict[str, Any]]:
    """The slot's entities that are meant for it: not negated, not the rival slot's word.

    A word that is both a category and a goal belongs to the longer phrase; with equal phrases
    (退款) it is also a category only when the category is the question (``asked``), or when it is
    the only category word and no category is ``known`` yet.
    """
    text = parse_data.get("text") or ""
    mine = [e for e in entities_of(parse_data, slot) if not _negated(text, e.get("start"))]
    rival = _RIVAL.get(slot)
    if rival is None:
        return mine
    theirs = entities_of(parse_data, rival)
    kept = []
    for entity in mine:
        other = next((o for o in theirs if _overlaps(entity, o)), None)
        if other is None:
            kept.append(entity)
            continue
        mine_len, their_len = entity["end"] - entity["start"], other["end"] - other["start"]
        if mine_len != their_len:
            if mine_len > their_len:
                kept.append(entity)
            continue
        if slot == "request_goal" or asked or (len(mine) == 1 and not known):
            kept.append(entity)
    return kept


def said_text(entity: Dict[str, Any], text: str) -> Optional[str]:
    """The words an entity was read from (None for a button payload)."""
    if entity.get("start") is None or is_button(text):
        return None
    return text[entity["start"]:entity["end"]]


def previous_bot_texts(tracker: Tracker) -> FrozenSet[str]:
    """The bubbles the bot sent in answer to the previous user message."""
    texts: List[str] = []
    users = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            users += 1
            if users == 2:
                break
        elif kind == "bot" and users == 1 and event.get("text"):
            texts.append(str(event["text"]))
    return frozenset(texts)


def latest_user(tracker: Tracker) -> Tuple[Dict[str, Any], str]:
    """The parse data and text of the latest user message."""
    parse = dict(tracker.latest_message or {})
    text = parse.get("text") or ""
    parse["text"] = text
    return parse, text


def source_message(tracker: Tracker, slot: str) -> Optional[Dict[str, Any]]:
    """The newest user message with an entity for ``slot`` that is not negated (pre-filled values at
    activation: "不想退货 想换个新的" names no category, the earlier "东西坏了" does)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            parse = dict(event.get("parse_data") or {})
            parse["text"] = event.get("text") or ""
            if any(not _negated(parse["text"], entity.get("start")) for entity in entities_of(parse, slot)):
                return parse
    return None


def previous_value(tracker: Tracker, slot: str) -> Optional[Any]:
    """The slot's value before the latest user message."""
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    value = None
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value


def set_this_turn(tracker: Tracker) -> Dict[str, Any]:
    """Form slots set since the latest user message (by Rasa's slot mappings)."""
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    return {
        e["name"]: e.get("value")
        for e in events[last_user + 1:]
        if e.get("event") == "slot" and e.get("name") in FORM_SLOTS
    }


def answers_other_slot(slot: str, tracker: Tracker) -> bool:
    """The latest message carries a new value for another question and none for ``slot``.

    A value the other slot already has is only restated (被盗号……没有单号 while the order number is
    asked for an 账户安全 request): the message is still the answer to ``slot``.
    """
    parse, _ = latest_user(tracker)
    if entities_of(parse, slot):
        return False
    return any(
        str(found.get("value")) != str(previous_value(tracker, other))
        for other in ANSWER_ENTITIES
        if other != slot
        for found in entities_of(parse, other)
    )


def says_no_order(text: Any, none_phrases: List[str]) -> bool:
    """The answer says there is no order: one of ``none_phrases``, or 没有/无 before an order word (没有单号)."""
    if matches_phrase(text, none_phrases):
        return True
    absent, keywords = phrase_pattern(order_words("absent_cues")), phrase_pattern(order_words("keywords"))
    return bool(re.search(rf"(?:{absent})\s*(?:{keywords})", clean(text).lower()))


def asks_where_order_is(text: Any) -> bool:
    """The answer to the order question asks where to find the order number (订单号在哪里看)."""
    return bool(re.search(phrase_pattern(order_words("where_cues")), clean(text).lower()))


def only_negated(slot: str, tracker: Tracker) -> bool:
    """Every value the latest message has for ``slot`` is refused (不换货)."""
    parse, text = latest_user(tracker)
    found = entities_of(parse, slot)
    return bool(found) and all(_negated(text, e.get("start")) for e in found)


def fallback_at(text: str) -> Optional[int]:
    """Where a fallback begins (要求补发，不行就退款: at 不行就), None when the message has none."""
    found = re.search(phrase_pattern(words("goal_fallbacks")), text.lower())
    return found.start() if found else None


def wished_first(candidates: List[Tuple[int, str]], text: str) -> Optional[str]:
    """Of several goals (start, value): the last said before a fallback, else the last of all
    (要换货……算了，退款吧 changes the wish; 要求补发，不行就退款 keeps 补发)."""
    if not candidates:
        return None
    cut = fallback_at(text)
    before = [value for start, value in candidates if cut is not None and start < cut]
    return before[-1] if before else candidates[-1][1]


def own_goal(text: Any) -> Optional[str]:
    """A wish in the user's own words (诉求是追回包裹 → 追回包裹), when no option fits it.

    Only a clause that starts with a wish word (goal_wishes) and holds no duration counts, so that a
    question or a mumble is never taken as the goal; at most a short phrase (the request's length).
    """
    wishes, joiners = phrase_pattern(words("goal_wishes")), phrase_pattern(words("goal_wish_joiners"))
    questions = re.compile(rf"(?:{phrase_pattern(words('question_endings'))})$")
    for clause in re.split(r"[，,。.;；!！\n]+", clean(text)):
        found = re.match(rf"\s*(?:{wishes})\s*(?:{joiners})?\s*(.+)$", clause, re.I)
        if not found or find_durations(clause):
            continue
        wish = found.group(1).strip()
        if OWN_GOAL_CHARS[0] <= len(wish) <= OWN_GOAL_CHARS[1] and not questions.search(wish):
            return wish
    return None


def concrete_first(values: List[str]) -> int:
    """Which of several categories a message names is meant: the first concrete problem, else the first."""
    generic = set(words("generic_categories"))
    return next((index for index, value in enumerate(values) if value not in generic), 0)


def described_category(text: Any) -> Optional[str]:
    """The category a free description reads as (账户让人给盗了 → 账户安全), None when none is near."""
    free = clean(text)
    if not free or is_button(free):
        return None
    phrases = find_phrases("issue_category", free)
    return phrases[concrete_first([p[2] for p in phrases])][2] if phrases else nearest("issue_category", free)


@dataclass(frozen=True)
class Reading:
    """What one message says for a category or goal: the value (None: not understood), the words."""

    value: Optional[str]
    text: str
    # The user's words the value was read from (商品破损 → 商品质量问题); None for a button.
    words: Optional[str] = None


def read_choice(slot: str, slot_value: Any, tracker: Tracker) -> Optional[Reading]:
    """A category or goal: the meant entity, else the free text's phrases, else the nearest option.

    None when the message's words for the slot are not meant for it (negated, or the goal's word).
    Entities come from the latest message; at activation (nothing asked yet) from the message
    that said them. Several categories: the first concrete one (the problem comes before the wish); several
    goals: the last (要换货……算了，退款吧).
    """
    parse, text = latest_user(tracker)
    requested = tracker.get_slot("requested_slot")
    if requested is None and not entities_of(parse, slot):
        parse = source_message(tracker, slot) or parse
        text = parse["text"]
    meant = meant_entities(parse, slot, requested == slot, bool(previous_value(tracker, slot)))
    if meant:
        if slot == "issue_category":
            chosen = meant[concrete_first([str(e["value"]) for e in meant])]
            return Reading(str(chosen["value"]), text, said_text(chosen, text))
        return Reading(wished_first([(int(e.get("start") or 0), str(e["value"])) for e in meant], text), text)
    if entities_of(parse, slot):
        return None
    free = clean(text if not is_button(text) else slot_value)
    phrases = find_phrases(slot, free)
    if phrases:
        if slot == "issue_category":
            start, end, value = phrases[concrete_first([p[2] for p in phrases])]
            return Reading(value, free, None if is_button(text) else free[start:end])
        return Reading(wished_first([(p[0], p[2]) for p in phrases], free), free)
    typed = free if free and not is_button(text) else None
    return Reading(nearest(slot, free) if typed else None, free, short_description(typed))
