"""The support-request form: validation of its four slots, the summary, submission and reset.

Content (categories, goals, synonyms, evidence, time words) lives in ``knowledge/guide.yml``
(``request_form:`` plus the guide facts it reuses); this module only decides.
"""
from __future__ import annotations

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
from actions.handoff import HandoffConfig, deliver_pending
from actions.request_store import SupportRequest, get_store

FORM_NAME = "support_request_form"
FORM_SLOTS = ("order_id", "issue_category", "request_goal", "expected_time")
FAILURES_SLOT = "support_form_failures"
NO_ORDER = "无"  # order_id for account problems without an order
PENDING_ORDER = "待补充"  # order_id the user chose to skip
SKIP = "跳过"  # entity value sent by the skip buttons
MAX_FAILURES = 2

SLOT_LABELS = {
    "order_id": "订单号",
    "issue_category": "问题类别",
    "request_goal": "诉求",
    "expected_time": "期望回复时间",
}


# --------------------------------------------------------------------------- knowledge
def form_knowledge() -> Dict[str, Any]:
    """The ``request_form:`` section of the guide file."""
    return knowledge.guide()["request_form"]


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
    knowledge = form_knowledge()
    if _matches_phrase(text, [SKIP] + knowledge["skip_phrases"]):
        return OrderParse("skip", PENDING_ORDER)
    if _matches_phrase(text, knowledge["order_id"]["none_phrases"]):
        return OrderParse("none", NO_ORDER)
    digits = "".join(str(_CN_DIGITS[c]) if c in _CN_DIGITS else c for c in text)
    compact = re.sub(r"[\s\-_#＃]+", "", digits)
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
        return "无订单号"
    if order_id == PENDING_ORDER:
        return "订单号待补充"
    return f"订单#{order_id}"


def format_summary(order_id: str, category: str, goal: str, expected_time: str) -> str:
    """The guide's template: 【订单编号】+【问题类别】+【诉求目标】+【期望解决时间】."""
    return f"{describe_order(order_id)}，{category}，{goal}，希望{describe_duration(expected_time)}内回复。"


# --------------------------------------------------------------------------- validation
def _latest_entity(tracker: Tracker, slot: str) -> Optional[Any]:
    values = [e.get("value") for e in tracker.latest_message.get("entities", []) if e.get("entity") == slot]
    return values[-1] if values else None


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

    def name(self) -> Text:  # pragma: no cover - subclasses name themselves
        raise NotImplementedError

    def failed(
        self, slot: str, message: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[Text, Any]:
        failures = dict(tracker.get_slot(FAILURES_SLOT) or {})
        failures[slot] = failures.get(slot, 0) + 1
        dispatcher.utter_message(text=message)
        if failures[slot] >= MAX_FAILURES:
            self.help_after_failures(slot, dispatcher)
        return {slot: None, FAILURES_SLOT: failures}

    def succeeded(self, slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        failures = dict(tracker.get_slot(FAILURES_SLOT) or {})
        if failures.pop(slot, None) is None:
            return {slot: value}
        return {slot: value, FAILURES_SLOT: failures}

    def help_after_failures(self, slot: str, dispatcher: CollectingDispatcher) -> None:
        """Explain the slot with an example and offer to skip it (when that makes sense) or stop."""
        raise NotImplementedError


class ValidateSupportRequestForm(CountingFormValidationAction):
    """``validate_support_request_form``: one validator per slot."""

    def name(self) -> Text:
        return "validate_support_request_form"

    # ---- helpers
    @staticmethod
    def _candidate(slot: str, slot_value: Any, tracker: Tracker) -> Any:
        """Prefer the entity of the latest message (a button payload or NLU) over raw text."""
        entity = _latest_entity(tracker, slot)
        return entity if entity is not None else slot_value

    @staticmethod
    def _is_answer_for_other_slot(slot: str, slot_value: Any, tracker: Tracker) -> bool:
        """Free text taken for the asked slot, while the message really corrects another slot."""
        if slot_value != tracker.latest_message.get("text") or _latest_entity(tracker, slot) is not None:
            return False
        return any(_latest_entity(tracker, other) is not None for other in FORM_SLOTS if other != slot)

    @staticmethod
    def _acknowledge_change(slot: str, shown: str, tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
        """Say so when a value given earlier was corrected."""
        requested = tracker.get_slot("requested_slot")
        previous = _previous_value(tracker, slot)
        if requested and requested != slot and previous not in (None, shown):
            dispatcher.utter_message(text=f"好的，{SLOT_LABELS[slot]}已改为「{shown}」。")

    def help_after_failures(self, slot: str, dispatcher: CollectingDispatcher) -> None:
        example = knowledge.tip("describe_precisely")["example"]
        knowledge = form_knowledge()
        stop = ("不填了", "/deny")
        if slot == "order_id":
            order = knowledge["order_id"]
            text = (
                f"订单号是一串数字，如 {order['example']}，或字母加数字，如 {order['letter_example']}。"
                f"{order['where']}暂时找不到可以先跳过。"
            )
            buttons = [("先跳过", _entity_payload(slot, SKIP)), stop]
        elif slot == "expected_time":
            default = describe_duration(knowledge["expected_time"]["default"])
            text = f"期望时间写成「24小时内」「3天内」这样就行。跳过的话按{default}内填写。"
            buttons = [("先跳过", _entity_payload(slot, SKIP)), stop]
        else:
            # Category and goal are chosen from buttons; 其他问题 / 咨询解答 are the "skip".
            text = f"从按钮里选一个最接近的就行（都不符合就选最后一个）。完整示例：「{example}」"
            buttons = [stop]
        dispatcher.utter_message(text=text, buttons=_buttons(buttons))

    # ---- validators
    def validate_order_id(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Digits (any width, Chinese numerals, spaces, #) or #ABC123; 没有订单号 for 账户安全."""
        if self._is_answer_for_other_slot("order_id", slot_value, tracker):
            return {"order_id": None}
        raw = self._candidate("order_id", slot_value, tracker)
        parsed = parse_order_id(raw)
        order = form_knowledge()["order_id"]
        if parsed.kind == "skip":
            return self.succeeded("order_id", PENDING_ORDER, tracker)
        if parsed.kind == "none":
            category = normalize_category(tracker.get_slot("issue_category"))
            if category in order["none_allowed_for"]:
                return self.succeeded("order_id", NO_ORDER, tracker)
            what = category or "这类问题"
            return self.failed(
                "order_id",
                f"{what}需要订单号，客服要靠它查订单。{order['where']}",
                dispatcher,
                tracker,
            )
        if parsed.kind == "invalid":
            return self.failed(
                "order_id",
                f"「{clean(raw)}」不像订单号。订单号是10–20位数字（如 {order['example']}），"
                f"或字母加数字（如 {order['letter_example']}）。",
                dispatcher,
                tracker,
            )
        self._acknowledge_change("order_id", parsed.value, tracker, dispatcher)
        return self.succeeded("order_id", parsed.value, tracker)

    def validate_issue_category(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """One of the eight categories (buttons, names or synonyms)."""
        if self._is_answer_for_other_slot("issue_category", slot_value, tracker):
            return {"issue_category": None}
        raw = self._candidate("issue_category", slot_value, tracker)
        category = normalize_category(raw)
        if category is None:
            return self.failed(
                "issue_category",
                f"没看出「{clean(raw)}」属于哪类问题，请点一个按钮，或说「物流问题」「退款问题」这样的类别。",
                dispatcher,
                tracker,
            )
        self._acknowledge_change("issue_category", category, tracker, dispatcher)
        result = self.succeeded("issue_category", category, tracker)
        order_rules = form_knowledge()["order_id"]
        if tracker.get_slot("order_id") == NO_ORDER and category not in order_rules["none_allowed_for"]:
            dispatcher.utter_message(text=f"{category}需要订单号，稍后请补上。")
            result["order_id"] = None
        return result

    def validate_request_goal(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """One of the seven goals (buttons, names or synonyms)."""
        if self._is_answer_for_other_slot("request_goal", slot_value, tracker):
            return {"request_goal": None}
        raw = self._candidate("request_goal", slot_value, tracker)
        goal = normalize_goal(raw)
        if goal is None:
            return self.failed(
                "request_goal",
                f"没看出「{clean(raw)}」想要什么结果，请点一个按钮，或说「要求退款」「补发或换货」这样的诉求。",
                dispatcher,
                tracker,
            )
        self._acknowledge_change("request_goal", goal, tracker, dispatcher)
        return self.succeeded("request_goal", goal, tracker)

    def validate_expected_time(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A duration normalized to ``PT<n>H``/``PT<n>M``; five minutes or less is refused."""
        if self._is_answer_for_other_slot("expected_time", slot_value, tracker):
            return {"expected_time": None}
        raw = self._candidate("expected_time", slot_value, tracker)
        settings = form_knowledge()["expected_time"]
        if _matches_phrase(clean(raw), [SKIP] + form_knowledge()["skip_phrases"]):
            return self.succeeded("expected_time", settings["default"], tracker)
        minutes = duration_minutes(raw)
        if minutes is None:
            return self.failed(
                "expected_time",
                f"没看懂「{clean(raw)}」是多长时间，可以说「24小时内」「3天内」或「尽快」。",
                dispatcher,
                tracker,
            )
        if minutes <= settings["unrealistic_minutes"]:
            reply_time = knowledge.caution("reply_time")["rule"]
            return self.failed(
                "expected_time",
                f"{reply_time}几分钟内回复不现实，建议选「24小时内」。",
                dispatcher,
                tracker,
            )
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


def evidence_for(category: str) -> List[str]:
    """What to attach for this category (knowledge file)."""
    return form_knowledge()["categories"][category]["evidence"]


def follow_up_timeline() -> str:
    """催办 after 24 h, 消费者保护中心 after 48 h (the guide's section 04)."""
    ticket, protection = knowledge.scenario("ticket"), knowledge.scenario("consumer_protection")
    return (
        f"之后：{ticket['chase_after_hours']}小时没进展，在工单页点「催办」；"
        f"{protection['escalate_after_hours']}小时仍未处理且影响权益，可去「{protection['name']}」投诉，"
        f"平台{protection['intervene_within_hours']}小时内介入。"
    )


def where_to_send(role: Optional[str], device: Optional[str], category: str, now: datetime) -> str:
    """The best place to send this request for the user's role, device and category, at ``now``."""
    clock_text = f"现在北京时间{now:%H:%M}。"
    email = knowledge.channel("email")
    if role == "seller":
        seller = knowledge.channel("seller_channel")
        if clock.is_open(seller, now):
            return f"{clock_text}卖家专属客服在线（{seller.hours.label}）：{seller['how']}链接：{seller['url']}"
        opening = clock.next_opening(seller, now)
        return (
            f"{clock_text}卖家专属客服已下班（{seller.hours.label}），{opening:%m月%d日 %H:%M}后再去："
            f"{seller['url']}；需要附件可先发邮件到 {email['address']}。"
        )
    chat = knowledge.channel("alixiaomi_web" if device == "web" else "alixiaomi_app")
    if category == "账户安全":
        urgent = knowledge.scenario("account_security")
        return (
            f"{clock_text}账户问题请同时用在线聊天和邮件：{chat['how']}另发邮件到 {email['address']}，"
            f"主题写「{urgent['subject_keyword']}」。"
        )
    return f"{clock_text}发给阿里小蜜：{chat['how']}附件多的话可发邮件到 {email['address']}。"


class ActionSummarizeSupportRequest(Action):
    """Show the request in the guide's format and ask for confirmation."""

    def name(self) -> Text:
        return "action_summarize_support_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        values = _filled(tracker)
        if values is None:
            dispatcher.utter_message(text="信息还不完整，这份请求没法整理。需要时说「帮我整理问题」重新开始。")
            return reset_events()
        summary = format_summary(**values)
        dispatcher.utter_message(
            text=f"整理好了，请确认：\n{summary}",
            buttons=_buttons([("确认提交", "/affirm"), ("不对，不提交", "/deny")]),
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
            dispatcher.utter_message(text="信息还不完整，这份请求没法提交。需要时说「帮我整理问题」重新开始。")
            return reset_events()
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
        dispatcher.utter_message(text=f"已保存，编号 {saved.reference}。发给客服时复制这句：\n{saved.summary}")
        device = tracker.get_slot("device")
        dispatcher.utter_message(text=where_to_send(role, device, values["issue_category"], now))
        dispatcher.utter_message(text="请一并附上：" + "、".join(evidence_for(values["issue_category"])) + "。")
        dispatcher.utter_message(text=follow_up_timeline())
        config = HandoffConfig.from_env()
        if config is not None:
            await loop.run_in_executor(None, deliver_pending, store, config)
            stored = await loop.run_in_executor(None, store.get, saved.reference)
            if stored is not None and stored.delivered:
                dispatcher.utter_message(text="这份请求也已转给人工客服团队。")
        return reset_events()


class ActionResetSupportRequest(Action):
    """Leave the form (stop confirmed or summary rejected): nothing is saved, slots are cleared."""

    def name(self) -> Text:
        return "action_reset_support_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(text="好的，已停止，这次填的内容已清空。需要时说「帮我整理问题」重新开始。")
        return reset_events()
