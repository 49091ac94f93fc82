"""``validate_support_request_form``: one validator per slot, a failure counter, acknowledgements.

Values given before their question, corrections and values inferred from a description are said
back in one line, so nothing is taken silently. After two answers that fit nothing the form moves
on (category → the fallback category, goal → the default goal; 跳过 takes them at once) or offers a
one-tap skip (order number, time).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import clock, knowledge
from actions.understanding import last_clause
from actions.request_form import reading
from actions.request_form.settings import (
    FAILURES_SLOT,
    FORM_SLOTS,
    MAX_FAILURES,
    NO_ORDER,
    PENDING_ORDER,
    SKIP,
    WORDS_SLOT,
    buttons,
    describe_category,
    describe_duration,
    date_fields,
    describe_value,
    entity_payload,
    facts,
    label,
    name_of,
    say,
    use_language,
)
from parsing import find_deadlines, find_durations, is_tracking_number, iso_duration, read_date, read_deadline, read_order_answer
from parsing.orders import ORDER_DIGITS
from parsing.vocabulary import words


@dataclass(frozen=True)
class ChoiceSlot:
    """How an answer to the category or goal question is settled when it names no option: a skip,
    or words that leave the choice to the assistant, take the default at once (said in
    ``default_line``); an answer that fits nothing is refused once (``unknown_line``), then the
    default is taken. A message that only refuses values (不换货) clears the goal (asked again)
    but keeps the category."""

    default_fact: str  # key of the guide's request_form facts
    default_line: str
    unknown_line: str
    left_open_words: Callable[[], List[str]]
    negation_clears: bool
    # Asked for and naming no option, a wish in the user's own words is taken (诉求是追回包裹).
    takes_own_words: bool


# Where each choice slot's options are listed in the guide's facts.
OPTION_FACTS = {"issue_category": "categories", "request_goal": "goals"}
CHOICES = {
    "issue_category": ChoiceSlot("fallback_category", "category_fallback", "category_unknown", list, False, False),
    "request_goal": ChoiceSlot("default_goal", "goal_default", "goal_unknown", lambda: words("vague_goals"), True, True),
}


class ValidateSupportRequestForm(FormValidationAction):
    """``validate_support_request_form``."""

    def name(self) -> Text:
        return "validate_support_request_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        lang = use_language(tracker)
        events = await super().run(dispatcher, tracker, domain)
        events += words_said_before(tracker, events)
        acknowledge(dispatcher, tracker, events)
        if lang != (tracker.get_slot("language") or "zh"):
            events.append(SlotSet("language", lang))  # the form may be the conversation's first answer
        return events

    # ---- the failure counter (slot ``support_form_failures``: {slot: count})
    def failed(
        self, slot: str, message: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[Text, Any]:
        """Refuse the value: say why, count the failure, and help from the second one on."""
        failures = dict(tracker.get_slot(FAILURES_SLOT) or {})
        failures[slot] = failures.get(slot, 0) + 1
        dispatcher.utter_message(text=message)
        if failures[slot] >= MAX_FAILURES:
            self.help_after_failures(slot, dispatcher)
        return {slot: None, FAILURES_SLOT: failures}

    @staticmethod
    def failures(slot: str, tracker: Tracker) -> int:
        return int((tracker.get_slot(FAILURES_SLOT) or {}).get(slot, 0))

    @staticmethod
    def succeeded(slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        """Accept the value and forget the slot's failures."""
        failures = dict(tracker.get_slot(FAILURES_SLOT) or {})
        if failures.pop(slot, None) is None:
            return {slot: value}
        return {slot: value, FAILURES_SLOT: failures or None}

    def help_after_failures(self, slot: str, dispatcher: CollectingDispatcher) -> None:
        """Order number and time: explain with an example and offer a one-tap skip or stop."""
        order = facts()["order_id"]
        skip = (say("skip_button"), entity_payload(slot, SKIP))
        stop = (say("stop_button"), "/deny")
        if slot == "order_id":
            text = say("help_order_id", example=order["example"], letter_example=order["letter_example"], where=order["where"])
        else:
            text = say("help_expected_time", default=describe_duration(facts()["expected_time"]["default"]))
        dispatcher.utter_message(text=text, buttons=buttons([skip, stop]))

    @staticmethod
    def keeps_earlier(slot: str, tracker: Tracker) -> Optional[Dict[Text, Any]]:
        """A value given before is changed only when asked for or when the user says so."""
        previous = reading.previous_value(tracker, slot)
        if previous is None or tracker.get_slot("requested_slot") in (slot, None):
            return None
        _, text = reading.latest_user(tracker)
        if reading.says_correction(text):
            return None
        return {slot: previous}

    # ---- validators
    def validate_order_id(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Digits (any width, Chinese numerals, spaces, #) or #ABC123; 没有订单号 for 账户安全."""
        if reading.answers_other_slot("order_id", tracker):
            return {"order_id": reading.previous_value(tracker, "order_id")}
        parse, text = reading.latest_user(tracker)
        if tracker.get_slot("requested_slot") is None and not reading.entities_of(parse, "order_id"):
            text = (reading.source_message(tracker, "order_id") or {}).get("text") or text
        raw = str(slot_value) if reading.is_button(text) else text
        order = facts()["order_id"]
        if reading.is_skip(raw):
            return self.succeeded("order_id", PENDING_ORDER, tracker)
        if reading.says_no_order(raw, order["none_phrases"]):
            category = tracker.get_slot("issue_category")
            # Asked first, before the problem: taken for now; a problem that needs one asks again.
            if category is None or category in order["none_allowed_for"]:
                return self.succeeded("order_id", NO_ORDER, tracker)
            message = say("order_needed", category=category or say("this_problem"), where=order["where"])
            return self.failed("order_id", message, dispatcher, tracker)
        if is_tracking_number(raw):
            return self.failed("order_id", say("tracking_not_order", text=raw.strip(), where=order["where"]), dispatcher, tracker)
        value = read_order_answer(raw)
        asked = None if reading.is_button(text) else form_question_line(tracker)
        if value is None and asked:
            dispatcher.utter_message(text=asked)  # a question, not a wrong answer: no failure
            return {"order_id": None}
        if value is None and not reading.is_button(text) and reading.asks_where_order_is(raw):
            # A question, not a wrong answer: say where to look, count no failure, ask again.
            dispatcher.utter_message(text=say("order_where", where=order["where"]))
            return {"order_id": None}
        described = reading.described_category(raw) if value is None and not tracker.get_slot("issue_category") else None
        if described is not None:
            # The problem told before its number (asked first): the category now, the number asked again.
            result = {"order_id": None, "issue_category": described}
            said = reading.own_words(reading.Reading(described, raw, reading.short_description(raw)))
            return {**result, WORDS_SLOT: said} if said else result
        if value is None:
            message = say(
                "order_invalid", text=reading.clean(raw), min_digits=ORDER_DIGITS[0], max_digits=ORDER_DIGITS[1],
                example=order["example"], letter_example=order["letter_example"],
            )
            return self.failed("order_id", message, dispatcher, tracker)
        return self.succeeded("order_id", value, tracker)

    def validate_choice(
        self, slot: str, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[Text, Any]:
        """A category or a goal, settled by its row of ``CHOICES``."""
        choice = CHOICES[slot]
        _, typed = reading.latest_user(tracker)
        asked = None if reading.is_button(typed) or tracker.get_slot("requested_slot") != slot else form_question_line(tracker)
        if asked:
            # "类别都有哪些": the options said, the question asked again (no failure counted).
            dispatcher.utter_message(text=asked)
            return {slot: reading.previous_value(tracker, slot)}
        own = self.own_words(slot, tracker)
        if reading.answers_other_slot(slot, tracker):
            # 诉求是追回包裹，一周内给答复: the time is taken by its own slot, the wish here.
            return self.succeeded(slot, own, tracker) if own else {slot: reading.previous_value(tracker, slot)}
        if reading.only_negated(slot, tracker):
            return {slot: None if choice.negation_clears else reading.previous_value(tracker, slot)}
        kept = self.keeps_earlier(slot, tracker)
        if kept is not None:
            return kept
        read = reading.read_choice(slot, slot_value, tracker)
        if read is None:
            return {slot: reading.previous_value(tracker, slot)}
        # "要退款 时间无所谓": the option named wins over words that leave something else open.
        left_open = read.value is None and (
            reading.is_skip(read.text) or reading.matches_phrase(read.text, choice.left_open_words())
        )
        if left_open or (read.value is None and self.failures(slot, tracker) + 1 >= MAX_FAILURES):
            default = facts()[choice.default_fact]
            dispatcher.utter_message(text=say(choice.default_line, value=default))
            return self.succeeded(slot, default, tracker)
        if read.value is None and own:
            return self.succeeded(slot, own, tracker)
        if read.value is None and slot == "issue_category" and reading.is_description(read.words):
            # A problem no category names (重复扣款): the fallback category beside the user's words,
            # never refused; a mumble (嗯嗯嗯) is not a description and is asked again.
            result = self.succeeded(slot, facts()[choice.default_fact], tracker)
            return {**result, WORDS_SLOT: read.words}
        if read.value is None:
            return self.failed(slot, say(choice.unknown_line, text=read.text), dispatcher, tracker)
        result = self.succeeded(slot, read.value, tracker)
        said = reading.own_words(read) if slot == "issue_category" else None
        # Words of an earlier category are cleared by validate_issue_category when it changes.
        return {**result, WORDS_SLOT: said} if said else result

    @staticmethod
    def own_words(slot: str, tracker: Tracker) -> Optional[str]:
        """The wish in the user's own words, for a slot that takes them and is the one asked."""
        if not CHOICES[slot].takes_own_words or tracker.get_slot("requested_slot") != slot:
            return None
        _, text = reading.latest_user(tracker)
        return None if reading.is_button(text) else reading.own_goal(text)

    def validate_issue_category(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """One of the categories, from a button, a name or an ordinary description."""
        result = self.validate_choice("issue_category", slot_value, dispatcher, tracker)
        category = result["issue_category"]
        changed = category is not None and category != reading.previous_value(tracker, "issue_category")
        if changed and WORDS_SLOT not in result and tracker.get_slot(WORDS_SLOT):
            result[WORDS_SLOT] = None  # words said for the earlier category
        if changed and tracker.get_slot("order_id") == NO_ORDER and category not in facts()["order_id"]["none_allowed_for"]:
            dispatcher.utter_message(text=say("order_needed_later", category=category))
            result["order_id"] = None
        return result

    def validate_request_goal(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """One of the goals; a goal left to the assistant (随便, 管一管, 跳过) is the default goal."""
        return self.validate_choice("request_goal", slot_value, dispatcher, tracker)

    def validate_expected_time(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A deadline as ``PT<n>H``/``PT<n>M``, or a day as ``YYYY-MM-DD`` (12月3日前); five minutes
        or less and a day gone by are refused; 跳过 is the default."""
        parse, text = reading.latest_user(tracker)
        said = reading.entities_of(parse, "expected_time")
        answer = deadline_clause(text)
        if not said and answer is not None:
            text = slot_value = answer  # "一般写多久合适 就写24小时吧": the question first, the answer last
        # An expected_time entity (a deadline the NLU read, or a button's payload) is meant for this
        # slot; only a bare duration in typed words can be the problem's description.
        if not said and any(not deadline for *_, deadline in find_durations(text)) and not find_deadlines(text):
            # 物流三周没更新: a duration that tells the problem; said so, the question comes again.
            if tracker.get_slot("requested_slot") == "expected_time":
                dispatcher.utter_message(text=say("time_is_the_problem"))
            return {"expected_time": reading.previous_value(tracker, "expected_time")}
        if reading.answers_other_slot("expected_time", tracker):
            return {"expected_time": reading.previous_value(tracker, "expected_time")}
        raw = str(said[-1]["value"]) if said else str(slot_value or "")
        settings = facts()["expected_time"]
        if reading.is_skip(raw):
            return self.succeeded("expected_time", settings["default"], tracker)
        now = clock.now_in_china()
        day = read_date(raw, now)
        if day is not None and day < now.date():
            message = say("time_passed", **date_fields(day))
            return self.failed("expected_time", message, dispatcher, tracker)
        if day is not None:
            return self.succeeded("expected_time", day.isoformat(), tracker)
        minutes = read_deadline(raw, now)
        if minutes is None:
            return self.failed("expected_time", say("time_unknown", text=reading.clean(raw)), dispatcher, tracker)
        if minutes <= settings["unrealistic_minutes"]:
            message = say("time_unrealistic", reply_time=knowledge.caution("reply_time")["rule"])
            return self.failed("expected_time", message, dispatcher, tracker)
        return self.succeeded("expected_time", iso_duration(minutes), tracker)


def form_question_line(tracker: Tracker) -> Optional[str]:
    """The form's answer to a question about its own question ("为什么要订单号", "类别都有哪些"), also
    when the NLU read the message as a digression and no validator sees it."""
    use_language(tracker)
    requested = tracker.get_slot("requested_slot")
    _, text = reading.latest_user(tracker)
    if requested == "order_id" and reading.matches_phrase(text, words("why_order_questions")):
        return say("why_order")
    if requested in OPTION_FACTS and reading.matches_phrase(text, words("options_questions")):
        options = "、".join(name_of(name) for name in facts()[OPTION_FACTS[requested]])
        return say("options", label=label(requested), options=options)
    return None


def deadline_clause(text: str) -> Optional[str]:
    """The last clause of a message whose whole reads as no deadline while that clause does."""
    now = clock.now_in_china()
    clause = last_clause(text)
    if clause == text or read_deadline(text, now) is not None or read_deadline(clause, now) is None:
        return None
    return clause


def words_said_before(tracker: Tracker, events: List[EventType]) -> List[EventType]:
    """At activation, the user's words for a category named before the form (商品破损 said in the
    question, the form started by the order number): Rasa filled the slot then, unvalidated."""
    category = tracker.get_slot("issue_category")
    said_now = any(event.get("name") == WORDS_SLOT for event in events if event.get("event") == "slot")
    if tracker.get_slot("requested_slot") is not None or not category or tracker.get_slot(WORDS_SLOT) or said_now:
        return []
    read = reading.read_choice("issue_category", category, tracker)
    said = reading.own_words(read) if read is not None and read.value == category else None
    return [SlotSet(WORDS_SLOT, said)] if said else []


def acknowledge(dispatcher: CollectingDispatcher, tracker: Tracker, events: List[EventType]) -> None:
    """Say in one line what was taken besides the answer asked for, what was changed, and which
    option a description was read as (the nearest option is confirmed, not refused).

    The values before the latest message are read from the events: Rasa's slot mappings have
    already set this turn's candidates on the tracker.
    """
    requested = tracker.get_slot("requested_slot")
    _, text = reading.latest_user(tracker)
    set_now = {event.get("name"): event.get("value") for event in events if event.get("event") == "slot"}
    words = set_now.get(WORDS_SLOT) if WORDS_SLOT in set_now else tracker.get_slot(WORDS_SLOT)
    taken, changed, inferred = [], [], []
    answer = []  # the value that answers the question asked, said only beside others
    for event in events:
        slot, value = event.get("name"), event.get("value")
        if event.get("event") != "slot" or slot not in FORM_SLOTS or value is None:
            continue
        previous = reading.previous_value(tracker, slot)
        if previous == value:
            continue
        shown_value = describe_category(value, words) if slot == "issue_category" else describe_value(slot, value)
        shown = say("value", label=label(slot), value=shown_value)
        described = slot in CHOICES and not reading.is_button(text) and str(value) not in reading.clean(text)
        if previous is not None:
            changed.append(shown)
        elif described and (slot == requested or slot == "issue_category" and requested is not None):
            # A description read as an option is confirmed in its own line, also when it answers
            # the order question that comes first (at activation all values are said in one line).
            if value not in (facts()["fallback_category"], facts()["default_goal"]):
                inferred.append((slot, shown_value))
        elif slot != requested:
            taken.append(shown)
        else:
            answer.append(shown)
    if taken:
        # Several values in one message ("订单#8066 1123… 坏了 要换新的 一周内"): each as it was read.
        taken = [*answer, *taken]
    separator = say("value_separator")
    if changed:
        dispatcher.utter_message(text=say("changed", values=separator.join(changed)))
    if taken:
        dispatcher.utter_message(text=say("taken", values=separator.join(taken)))
    for slot, value in inferred:
        dispatcher.utter_message(text=say("inferred", value=value, label=label(slot)))
