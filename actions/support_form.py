"""The support-request form: validation of its four slots, the summary, submission and reset.

Content (categories, goals, synonyms, evidence, time words) lives in ``knowledge/guide.yml``
(``request_form:`` plus the guide facts it reuses); this module only decides.
"""
from __future__ import annotations

import abc
import asyncio
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import clock, knowledge
from actions.handoff import HandoffConfig, deliver_and_record, deliver_pending
from actions.request_store import SupportRequest, get_store

FORM_SLOTS = ("order_id", "issue_category", "request_goal", "expected_time")
FAILURES_SLOT = "support_form_failures"
# Entities that answer a question of their own; free text carrying one of them is not taken
# as the answer to a different form slot (e.g. 「订单号错了，是…」 while the time is asked).
ANSWER_ENTITIES = FORM_SLOTS + ("role", "device")
NO_ORDER = "无"  # order_id for account problems without an order
PENDING_ORDER = "待补充"  # order_id the user chose to skip
SKIP = "跳过"  # entity value sent by the skip buttons
MAX_FAILURES = 2


# --------------------------------------------------------------------------- knowledge
def form_knowledge() -> Dict[str, Any]:
    """The ``request_form:`` section of the guide file."""
    return knowledge.guide()["request_form"]


def msg(key: str, **values: Any) -> str:
    """A line of the form's wording (``request_form.messages``) with its {names} filled in."""
    return str(form_knowledge()["messages"][key]).format(**values)


# --------------------------------------------------------------------------- normalizing
_CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_PUNCT = re.compile(r"[\s，。,.!！?？、;；:：\"'“”‘’()（）【】\[\]<>《》~～-]+")


def clean(text: Any) -> str:
    """Full-width → half-width (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def chinese_number(token: str) -> Optional[int]:
    """``48`` / ``四十八`` / ``一百六十八`` / ``两`` → int; None when it is not a number."""
    if token.isdigit():
        return int(token)
    total = current = 0
    for char in token:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def _matches_phrase(text: str, phrases: List[str]) -> bool:
    bare = _PUNCT.sub("", text)
    return any(bare == p or (len(p) >= 3 and p in bare) for p in phrases)


@dataclass(frozen=True)
class OrderParse:
    """The outcome of reading an order number: kind is ok / none / skip / invalid."""

    kind: str
    value: Optional[str] = None


def parse_order_id(raw: Any) -> OrderParse:
    """Normalize an order number (full-width or Chinese-numeral digits, spaces, ``#``)."""
    text = clean(raw)
    settings = form_knowledge()
    if _matches_phrase(text, [SKIP] + settings["skip_phrases"]):
        return OrderParse("skip", PENDING_ORDER)
    if _matches_phrase(text, settings["order_id"]["none_phrases"]):
        return OrderParse("none", NO_ORDER)
    # Chinese numerals are digits only in an order written wholly in them (八一二三…); next to
    # Arabic digits they are words (8123456789012345一直没收到).
    if not re.search(r"\d", text):
        text = "".join(str(_CN_DIGITS[c]) if c in _CN_DIGITS else c for c in text)
    compact = re.sub(r"[\s\-_#＃]+", "", text)
    candidates = re.findall(r"[A-Za-z0-9]+", compact)
    candidates = [c for c in candidates if re.search(r"\d", c)]
    if not candidates:
        return OrderParse("invalid")
    best = max(candidates, key=len)
    if best.isdigit():
        return OrderParse("ok", best) if 10 <= len(best) <= 20 else OrderParse("invalid")
    # The guide's letter style (#ABC123): letters then digits, or mixed, 4–20 characters.
    if re.fullmatch(r"[A-Za-z]{1,6}\d{2,18}", best) and 4 <= len(best) <= 20:
        return OrderParse("ok", best.upper())
    return OrderParse("invalid")


def _canonical(text: Any, table: Dict[str, List[str]]) -> Optional[str]:
    """The canonical name whose name or longest synonym occurs in ``text``."""
    value = clean(text)
    if not value:
        return None
    if value in table:
        return value
    best: Tuple[int, Optional[str]] = (0, None)
    for name, synonyms in table.items():
        for word in [name, *synonyms]:
            if word in value and len(word) > best[0]:
                best = (len(word), name)
    return best[1]


def normalize_category(text: Any) -> Optional[str]:
    """Free text or an entity value → one of the eight categories, or None."""
    categories = form_knowledge()["categories"]
    return _canonical(text, {k: v["synonyms"] for k, v in categories.items()})


def normalize_goal(text: Any) -> Optional[str]:
    """Free text or an entity value → one of the seven goals, or None."""
    return _canonical(text, form_knowledge()["goals"])


_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")
_NUM = r"(\d+|[零〇一二两三四五六七八九十百]+)"
_UNITS = [
    (re.compile(_NUM + r"\s*个?\s*(半)?\s*(?:小时|钟头|hours?|hrs?|h)", re.I), 60),
    (re.compile(_NUM + r"\s*个?\s*(半)?\s*(?:分钟|分|minutes?|mins?)", re.I), 1),
    (re.compile(_NUM + r"\s*个?\s*(半)?\s*(?:天|日|days?)", re.I), 24 * 60),
    (re.compile(_NUM + r"\s*个?\s*(半)?\s*(?:周|星期|礼拜|weeks?)", re.I), 7 * 24 * 60),
]


def duration_minutes(raw: Any, now: Optional[datetime] = None) -> Optional[int]:
    """A wished reply time in minutes (``PT24H``, ``48小时内``, ``三天``, ``尽快``, ``今天``)."""
    text = clean(raw)
    iso = _ISO.match(text.upper())
    if iso and any(iso.groups()):
        days, hours, minutes = (int(g or 0) for g in iso.groups())
        return days * 1440 + hours * 60 + minutes
    settings = form_knowledge()["expected_time"]
    if any(word in text for word in settings["immediate"]):
        return 0
    for pattern, unit in _UNITS:
        match = pattern.search(text)
        if match:
            number = chinese_number(match.group(1))
            if number is not None:
                return int(number * unit + (unit // 2 if match.group(2) else 0))
    if re.search(r"半\s*个?\s*(小时|钟头)", text):
        return 30
    if "半天" in text:
        return 12 * 60
    for word, hours in sorted(settings["words"].items(), key=lambda kv: -len(kv[0])):
        if word in text:
            return hours * 60
    if "今天" in text or "今日" in text or "当天" in text:
        now = now or clock.now_in_china()
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return max(60, int((midnight - now).total_seconds() // 60))
    return None


def iso_duration(minutes: int) -> str:
    """Minutes → the contract's ISO form: whole hours from one hour up, else minutes."""
    if minutes >= 60:
        return f"PT{math.ceil(minutes / 60)}H"
    return f"PT{minutes}M"


def describe_duration(iso: str) -> str:
    """``PT48H`` → ``48小时``, ``PT168H`` → ``7天``, ``PT30M`` → ``30分钟``."""
    minutes = duration_minutes(iso) or 0
    hours, rest = divmod(minutes, 60)
    if rest:
        return f"{minutes}分钟"
    if hours >= 72 and hours % 24 == 0:
        return f"{hours // 24}天"
    return f"{hours}小时"


def describe_order(order_id: str) -> str:
    """The order part of the summary."""
    if order_id == NO_ORDER:
        return msg("no_order_label")
    if order_id == PENDING_ORDER:
        return msg("pending_order_label")
    return msg("order_label", order_id=order_id)


def format_summary(order_id: str, issue_category: str, request_goal: str, expected_time: str) -> str:
    """The guide's template: 【订单编号】+【问题类别】+【诉求目标】+【期望解决时间】."""
    return msg(
        "summary",
        order=describe_order(order_id),
        category=issue_category,
        goal=request_goal,
        duration=describe_duration(expected_time),
    )


# --------------------------------------------------------------------------- validation
def _entities_of(parse_data: Dict[str, Any], slot: str) -> List[Any]:
    entities = sorted(parse_data.get("entities") or [], key=lambda e: e.get("start") or 0)
    return [e.get("value") for e in entities if e.get("entity") == slot]


def _latest_entity(tracker: Tracker, slot: str, first: bool = False) -> Optional[Any]:
    """The slot's entity in the latest message (the last one, or the first one mentioned)."""
    values = _entities_of(tracker.latest_message, slot)
    if not values:
        return None
    return values[0] if first else values[-1]


def _source_message(tracker: Tracker, slot: str) -> Tuple[List[Any], str]:
    """The newest user message with an entity for ``slot``: its values (in order) and its text."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            values = _entities_of(event.get("parse_data") or {}, slot)
            if values:
                return values, event.get("text") or ""
    return [], tracker.latest_message.get("text") or ""


def _previous_value(tracker: Tracker, slot: str) -> Optional[Any]:
    """The slot's value before the latest user message (for correction notices)."""
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    value = None
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value


def _buttons(pairs: List[Tuple[str, str]]) -> List[Dict[str, str]]:
    return [{"title": title, "payload": payload} for title, payload in pairs]


def _entity_payload(slot: str, value: str) -> str:
    return f'/inform{{"{slot}":"{value}"}}'


class CountingFormValidationAction(FormValidationAction):
    """Counts failed validations per slot (slot ``support_form_failures``, financial-demo style).

    ``failed`` returns the slot reset to None plus the new count; from the second failure on a
    slot, ``help_after_failures`` explains with an example and offers to skip or stop.
    """

    @abc.abstractmethod
    def name(self) -> Text:
        """Subclasses name themselves (abstract, so the action server skips this base)."""

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
    def succeeded(slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        """Accept the value and forget the slot's failures."""
        failures = dict(tracker.get_slot(FAILURES_SLOT) or {})
        if failures.pop(slot, None) is None:
            return {slot: value}
        return {slot: value, FAILURES_SLOT: failures or None}

    def help_after_failures(self, slot: str, dispatcher: CollectingDispatcher) -> None:
        """Explain the slot with an example and offer to skip it (when that makes sense) or stop."""
        raise NotImplementedError


class ValidateSupportRequestForm(CountingFormValidationAction):
    """``validate_support_request_form``: one validator per slot."""

    def name(self) -> Text:
        return "validate_support_request_form"

    # ---- helpers
    @staticmethod
    def _candidate(slot: str, slot_value: Any, tracker: Tracker, first: bool = False) -> Tuple[Any, str]:
        """The value to check and the text it came from.

        The entity of the latest message (a button payload or NLU) wins over raw text; at
        activation (nothing asked yet) pre-filled values are taken from the message that said them.
        """
        values = _entities_of(tracker.latest_message, slot)
        text = tracker.latest_message.get("text") or ""
        if not values and tracker.get_slot("requested_slot") is None:
            values, text = _source_message(tracker, slot)
        if not values:
            return slot_value, text
        return (values[0] if first else values[-1]), text

    def _order_candidate(self, slot_value: Any, tracker: Tracker) -> Any:
        """The order entity, unless it does not occur in its message (then re-read that text)."""
        value, text = self._candidate("order_id", slot_value, tracker)
        text = clean(text)
        if value is None or text.startswith("/"):
            return value
        compact = re.sub(r"[\s\-_#]+", "", text).upper()
        if str(value).upper() in compact:
            return value
        reread = parse_order_id(text)
        return reread.value if reread.kind == "ok" else value

    @staticmethod
    def _is_answer_for_other_slot(slot: str, slot_value: Any, tracker: Tracker) -> bool:
        """Free text taken for the asked slot, while the message really answers something else."""
        if slot_value != tracker.latest_message.get("text") or _latest_entity(tracker, slot) is not None:
            return False
        others = [name for name in ANSWER_ENTITIES if name != slot]
        return any(_latest_entity(tracker, other) is not None for other in others)

    @staticmethod
    def _acknowledge_change(slot: str, value: str, tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
        """Say so when a value given earlier is corrected while another slot is being asked."""
        requested = tracker.get_slot("requested_slot")
        previous = _previous_value(tracker, slot)
        if requested and requested != slot and previous not in (None, value):
            label = form_knowledge()["messages"]["slot_labels"][slot]
            dispatcher.utter_message(text=msg("corrected", label=label, value=value))

    def help_after_failures(self, slot: str, dispatcher: CollectingDispatcher) -> None:
        stop = (msg("stop_button"), "/deny")
        skip = (msg("skip_button"), _entity_payload(slot, SKIP))
        order = form_knowledge()["order_id"]
        if slot == "order_id":
            text = msg("help_order_id", example=order["example"], letter_example=order["letter_example"], where=order["where"])
            buttons = [skip, stop]
        elif slot == "expected_time":
            default = describe_duration(form_knowledge()["expected_time"]["default"])
            text = msg("help_expected_time", default=default)
            buttons = [skip, stop]
        else:
            # Category and goal are chosen from buttons; 其他问题 / 咨询解答 already are the "skip".
            text = msg("help_choice", example=knowledge.tip("describe_precisely")["example"])
            buttons = [stop]
        dispatcher.utter_message(text=text, buttons=_buttons(buttons))

    @staticmethod
    def _is_skip(raw: Any) -> bool:
        return _matches_phrase(clean(raw), [SKIP] + form_knowledge()["skip_phrases"])

    # ---- validators
    def validate_order_id(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Digits (any width, Chinese numerals, spaces, #) or #ABC123; 没有订单号 for 账户安全."""
        if self._is_answer_for_other_slot("order_id", slot_value, tracker):
            return {"order_id": None}
        raw = self._order_candidate(slot_value, tracker)
        parsed = parse_order_id(raw)
        order = form_knowledge()["order_id"]
        if parsed.kind == "skip":
            return self.succeeded("order_id", PENDING_ORDER, tracker)
        if parsed.kind == "none":
            category = normalize_category(tracker.get_slot("issue_category"))
            if category in order["none_allowed_for"]:
                return self.succeeded("order_id", NO_ORDER, tracker)
            text = msg("order_needed", category=category or "这类问题", where=order["where"])
            return self.failed("order_id", text, dispatcher, tracker)
        if parsed.kind == "invalid":
            text = msg("order_invalid", text=clean(raw), example=order["example"], letter_example=order["letter_example"])
            return self.failed("order_id", text, dispatcher, tracker)
        self._acknowledge_change("order_id", parsed.value, tracker, dispatcher)
        return self.succeeded("order_id", parsed.value, tracker)

    def validate_issue_category(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """One of the eight categories (buttons, names or synonyms)."""
        if self._is_answer_for_other_slot("issue_category", slot_value, tracker):
            return {"issue_category": None}
        # Several categories in one message (没收到货，想退款): the problem comes before the wish.
        raw, _ = self._candidate("issue_category", slot_value, tracker, first=True)
        category = normalize_category(raw)
        if category is None:
            return self.failed("issue_category", msg("category_unknown", text=clean(raw)), dispatcher, tracker)
        self._acknowledge_change("issue_category", category, tracker, dispatcher)
        result = self.succeeded("issue_category", category, tracker)
        if tracker.get_slot("order_id") == NO_ORDER and category not in form_knowledge()["order_id"]["none_allowed_for"]:
            dispatcher.utter_message(text=msg("order_needed_later", category=category))
            result["order_id"] = None
        return result

    def validate_request_goal(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """One of the seven goals (buttons, names or synonyms)."""
        if self._is_answer_for_other_slot("request_goal", slot_value, tracker):
            return {"request_goal": None}
        raw, _ = self._candidate("request_goal", slot_value, tracker)
        goal = normalize_goal(raw)
        if goal is None:
            return self.failed("request_goal", msg("goal_unknown", text=clean(raw)), dispatcher, tracker)
        self._acknowledge_change("request_goal", goal, tracker, dispatcher)
        return self.succeeded("request_goal", goal, tracker)

    def validate_expected_time(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A duration normalized to ``PT<n>H``/``PT<n>M``; five minutes or less is refused."""
        if self._is_answer_for_other_slot("expected_time", slot_value, tracker):
            return {"expected_time": None}
        raw, _ = self._candidate("expected_time", slot_value, tracker)
        settings = form_knowledge()["expected_time"]
        if self._is_skip(raw):
            return self.succeeded("expected_time", settings["default"], tracker)
        minutes = duration_minutes(raw)
        if minutes is None:
            return self.failed("expected_time", msg("time_unknown", text=clean(raw)), dispatcher, tracker)
        if minutes <= settings["unrealistic_minutes"]:
            text = msg("time_unrealistic", reply_time=knowledge.caution("reply_time")["rule"])
            return self.failed("expected_time", text, dispatcher, tracker)
        value = iso_duration(minutes)
        self._acknowledge_change("expected_time", value, tracker, dispatcher)
        return self.succeeded("expected_time", value, tracker)


# --------------------------------------------------------------------------- result
def reset_events() -> List[EventType]:
    """Clear the four form slots and the failure counts so nothing stale reaches a later form."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet(FAILURES_SLOT, None)]


def _filled(tracker: Tracker) -> Optional[Dict[str, str]]:
    values = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
    return values if all(values.values()) else None


def _incomplete(dispatcher: CollectingDispatcher) -> List[EventType]:
    """Say the form is incomplete and reset it (nothing stale comes back later)."""
    dispatcher.utter_message(text=msg("incomplete"))
    return reset_events()


def evidence_for(category: str) -> List[str]:
    """What to attach for this category (knowledge file)."""
    return form_knowledge()["categories"][category]["evidence"]


def follow_up_timeline() -> str:
    """催办 after 24 h, 消费者保护中心 after 48 h (the guide's section 04)."""
    ticket, protection = knowledge.scenario("ticket"), knowledge.scenario("consumer_protection")
    return msg(
        "timeline",
        chase_hours=ticket["chase_after_hours"],
        escalate_hours=protection["escalate_after_hours"],
        center=protection["name"],
        intervene_hours=protection["intervene_within_hours"],
    )


def where_to_send(role: Optional[str], device: Optional[str], category: str, now: datetime) -> str:
    """The best place to send this request for the user's role, device and category, at ``now``."""
    now_text = msg("now", time=f"{now:%H:%M}")
    email = knowledge.channel("email")["address"]
    if role == "seller":
        seller = knowledge.channel("seller_channel")
        if clock.is_open(seller, now):
            return msg("send_seller_open", now=now_text, hours=seller.hours.label, how=seller["how"], url=seller["url"])
        opening = f"{clock.next_opening(seller, now):%m月%d日 %H:%M}"
        return msg(
            "send_seller_closed", now=now_text, hours=seller.hours.label, opening=opening, url=seller["url"], email=email
        )
    chat = knowledge.channel("alixiaomi_web" if device == "web" else "alixiaomi_app")
    if category in form_knowledge()["order_id"]["none_allowed_for"]:
        keyword = knowledge.scenario("account_security")["subject_keyword"]
        return msg("send_account", now=now_text, how=chat["how"], email=email, keyword=keyword)
    return msg("send_buyer", now=now_text, how=chat["how"], email=email)


class ActionSummarizeSupportRequest(Action):
    """Show the request in the guide's format and ask for confirmation."""

    def name(self) -> Text:
        return "action_summarize_support_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        values = _filled(tracker)
        if values is None:
            return _incomplete(dispatcher)
        dispatcher.utter_message(
            text=msg("confirm", summary=format_summary(**values)),
            buttons=_buttons([(msg("confirm_button"), "/affirm"), (msg("reject_button"), "/deny")]),
        )
        return []


class ActionSubmitSupportRequest(Action):
    """Save the confirmed request, give its reference, where to send it, evidence and timeline."""

    def name(self) -> Text:
        return "action_submit_support_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        values = _filled(tracker)
        if values is None:
            return _incomplete(dispatcher)
        now = clock.now_in_china()
        role = tracker.get_slot("role")
        request = SupportRequest(
            sender_id=tracker.sender_id,
            summary=format_summary(**values),
            created_at=now.isoformat(),
            role=role,
            **values,
        )
        loop = asyncio.get_running_loop()
        store = get_store()
        saved = await loop.run_in_executor(None, store.save, request)
        category = values["issue_category"]
        dispatcher.utter_message(text=msg("saved", reference=saved.reference, summary=saved.summary))
        dispatcher.utter_message(text=where_to_send(role, tracker.get_slot("device"), category, now))
        dispatcher.utter_message(text=msg("evidence", items="、".join(evidence_for(category))))
        dispatcher.utter_message(text=follow_up_timeline())
        config = HandoffConfig.from_env()
        if config is not None:
            if await loop.run_in_executor(None, deliver_and_record, store, saved, config):
                dispatcher.utter_message(text=msg("handed_off"))
            # Earlier requests that could not be delivered are retried in the background.
            loop.run_in_executor(None, deliver_pending, store, config, {saved.reference})
        return reset_events()


class ActionResetSupportRequest(Action):
    """Leave the form (stop confirmed or summary rejected): nothing is saved, slots are cleared."""

    def name(self) -> Text:
        return "action_reset_support_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(text=msg("stopped"))
        return reset_events()


# --------------------------------------------------------------------------- questions
class AskSlotAction(Action):
    """The form's question for one slot (``action_ask_<slot>``), with buttons where a choice follows."""

    slot: str = ""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    def question(self, tracker: Tracker) -> Tuple[str, List[Tuple[str, str]]]:
        """The text and the (title, payload) buttons."""
        raise NotImplementedError

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        text, buttons = self.question(tracker)
        dispatcher.utter_message(text=text, buttons=_buttons(buttons))
        return []


class ActionAskIssueCategory(AskSlotAction):
    slot = "issue_category"

    def question(self, tracker: Tracker) -> Tuple[str, List[Tuple[str, str]]]:
        names = list(form_knowledge()["categories"])
        return msg("ask_issue_category"), [(n, _entity_payload(self.slot, n)) for n in names]


class ActionAskOrderId(AskSlotAction):
    slot = "order_id"

    def question(self, tracker: Tracker) -> Tuple[str, List[Tuple[str, str]]]:
        order = form_knowledge()["order_id"]
        if normalize_category(tracker.get_slot("issue_category")) in order["none_allowed_for"]:
            button = (msg("no_order_button"), _entity_payload(self.slot, msg("no_order_button")))
            return msg("ask_order_id_account", example=order["example"]), [button]
        return msg("ask_order_id", example=order["example"], letter_example=order["letter_example"]), []


class ActionAskRequestGoal(AskSlotAction):
    slot = "request_goal"

    def question(self, tracker: Tracker) -> Tuple[str, List[Tuple[str, str]]]:
        names = list(form_knowledge()["goals"])
        return msg("ask_request_goal"), [(n, _entity_payload(self.slot, n)) for n in names]


class ActionAskExpectedTime(AskSlotAction):
    slot = "expected_time"

    def question(self, tracker: Tracker) -> Tuple[str, List[Tuple[str, str]]]:
        choices = form_knowledge()["expected_time"]["choices"]
        buttons = [(msg("time_button", duration=describe_duration(c)), _entity_payload(self.slot, c)) for c in choices]
        return msg("ask_expected_time"), buttons
