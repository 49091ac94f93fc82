"""Guidance actions: map each intent to the guide's channels and tips, tailored to the user.

What is true comes from knowledge/guide.yml and the wording from knowledge/replies.yml; this
module only decides which parts fit the situation: buyer or seller (asked once, with buttons,
when it matters), app or web, the time in China (is the seller channel open?) and the problem.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import clock
from actions.knowledge import (
    Channel,
    caution,
    channel,
    mask_placeholders,
    reply,
    responsible_methods,
    scenario,
    ticket_path,
    tip,
)

ROLES = ("buyer", "seller")
DEVICES = ("app", "web")
PROBLEM_INTENTS = ("refund", "not_received", "damaged_item", "ticket_followup", "file_complaint")
# Topics whose answer differs so much between buyers and sellers that the role is asked first.
ROLE_DEPENDENT_TOPICS = ("ask_contact_channels", "request_human")
PENDING_TOPIC_SLOT = "pending_topic"
ROLE_ASKED_SLOT = "role_asked"


@dataclass(frozen=True)
class Reply:
    """One chat bubble: text plus optional buttons (title, payload)."""

    text: str
    buttons: Tuple[Tuple[str, str], ...] = ()


@dataclass
class Answer:
    """What an action says and the events it returns."""

    replies: List[Reply]
    events: List[EventType] = field(default_factory=list)


@dataclass(frozen=True)
class Situation:
    """Everything the answer is tailored to."""

    role: Optional[str]
    device: Optional[str]
    now: datetime
    intent: Optional[str] = None
    role_asked: bool = False

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> "Situation":
        """The situation of the conversation in `tracker`, at the current China time."""
        role = tracker.get_slot("role")
        device = tracker.get_slot("device")
        return cls(
            role=role if role in ROLES else None,
            device=device if device in DEVICES else None,
            now=clock.now_in_china(),
            intent=(tracker.latest_message.get("intent") or {}).get("name"),
            role_asked=bool(tracker.get_slot(ROLE_ASKED_SLOT)),
        )


# --- small helpers ---------------------------------------------------------------------------


def _r(key: str, **values: Any) -> str:
    """A line of replies.yml with its {placeholders} filled."""
    return str(reply(key)).format(**values)


def button(intent: str, title: Optional[str] = None) -> Tuple[str, str]:
    """A button that sends `/intent`, titled from replies.yml unless `title` is given."""
    return (title or str(reply("button_titles")[intent]), f"/{intent}")


def topic_buttons() -> Tuple[Tuple[str, str], ...]:
    """The main topics, offered when the user may choose what to do next."""
    return tuple(button(intent) for intent in reply("topic_buttons"))


def role_buttons() -> Tuple[Tuple[str, str], ...]:
    """Buttons that answer the buyer/seller question with an `inform` carrying the role."""
    titles = reply("role_buttons")
    return tuple((titles[role], f'/inform{{"role":"{role}"}}') for role in ROLES)


def clock_time(moment: datetime) -> str:
    """9:00, 22:30 …"""
    return f"{moment.hour}:{moment.minute:02d}"


def now_label(now: datetime) -> str:
    """北京时间22:30"""
    return _r("now_label", time=clock_time(now))


def opening_label(opening: datetime, now: datetime) -> str:
    """今天 9:00 / 明天 9:00 / 11月28日 9:00"""
    words = reply("day_words")
    days = (opening.date() - now.date()).days
    if days == 0:
        day = words["today"]
    elif days == 1:
        day = words["tomorrow"]
    else:
        day = str(words["other"]).format(month=opening.month, day=opening.day)
    return f"{day} {clock_time(opening)}"


def hours_label(staffed: Channel) -> str:
    """每周一至周日 9:00–18:00 (the guide's wording of a channel's hours)."""
    if staffed.hours is None:
        raise ValueError(f"channel {staffed.id} has no opening hours in the guide")
    return staffed.hours.label


def seller_status(now: datetime) -> str:
    """Whether the seller channel is staffed now; when closed, when it opens and what to do."""
    seller = channel("seller_channel")
    if clock.is_open(seller, now):
        return _r("seller_open_now", now=now_label(now))
    return _r(
        "seller_closed_now",
        now=now_label(now),
        next_open=opening_label(clock.next_opening(seller, now), now),
        email=channel("email")["address"],
        ticket_path=ticket_path(),
    )


def seller_channel_text(now: datetime) -> str:
    """The seller channel (URL, 向我提问, hours) and its status right now."""
    seller = channel("seller_channel")
    intro = _r(
        "seller_channel",
        url=seller["url"],
        position=seller["entry_position"],
        entry=seller["entry"],
        hours=hours_label(seller),
    )
    return f"{intro}\n{seller_status(now)}"


def alixiaomi_lines(device: Optional[str]) -> List[str]:
    """How to open 阿里小蜜: on the user's device, or on both when unknown."""
    lines = reply("alixiaomi_line")
    devices = (device,) if device in DEVICES else DEVICES
    return [str(lines[name]).format(how=channel(f"alixiaomi_{name}")["how"]) for name in devices]


def transfer_line() -> str:
    """Typing 人工客服 transfers to a human."""
    return _r("transfer_line", keyword=channel("transfer_keyword")["keyword"])


def order_page_line() -> str:
    """The order page's 联系卖家 button and its queue notice."""
    return _r("order_page_line", how=channel("order_page")["how"])


def email_line() -> str:
    """E-mail for complex cases and attachments."""
    return _r("email_line", address=channel("email")["address"])


def ask_role(topic: str) -> Answer:
    """Ask once whether the user is a buyer or a seller, remembering what to answer after."""
    return Answer(
        [Reply(_r("ask_role"), role_buttons())],
        [SlotSet(PENDING_TOPIC_SLOT, topic), SlotSet(ROLE_ASKED_SLOT, True)],
    )


# --- answers per topic (pure functions of the situation) ------------------------------------


def buyer_channels(sit: Situation) -> Reply:
    """阿里小蜜 on the right device, the transfer keyword, the order page and e-mail."""
    lines = [_r("channels_buyer_intro"), *alixiaomi_lines(sit.device), transfer_line()]
    lines += [order_page_line(), email_line()]
    return Reply("\n".join(lines))


def channels_answer(sit: Situation) -> List[Reply]:
    """ask_contact_channels: the channels for this role, with the seller channel's status."""
    follow_up = (button("communication_tips"), button("start_support_request"))
    if sit.role == "buyer":
        return [Reply(buyer_channels(sit).text, follow_up)]
    seller_other = _r("seller_other_channels", email=channel("email")["address"])
    if sit.role == "seller":
        return [Reply(seller_channel_text(sit.now)), Reply(seller_other, follow_up)]
    return [buyer_channels(sit), Reply(seller_channel_text(sit.now), follow_up)]


def request_human_answer(sit: Situation, intro_key: str = "request_human_intro") -> List[Reply]:
    """request_human: the fastest documented ways to a human for this role."""
    intro = _r(intro_key)
    buyer_lines = [*alixiaomi_lines(sit.device), transfer_line(), order_page_line()]
    if sit.role == "buyer":
        return [Reply("\n".join([intro, *buyer_lines]), (button("communication_tips"),))]
    if sit.role == "seller":
        return [Reply(intro), Reply(seller_channel_text(sit.now), (button("email_support"),))]
    return [Reply("\n".join([intro, *buyer_lines])), Reply(seller_channel_text(sit.now))]


def seller_support_answer(sit: Situation) -> List[Reply]:
    """seller_support: the seller channel and whether it is open now."""
    return [Reply(seller_channel_text(sit.now), (button("email_support"),))]


def email_answer(sit: Situation) -> List[Reply]:
    """email_support: the address, what it is good for, and how to write the mail."""
    email = channel("email")
    text = _r("email_support", address=email["address"], use_for=email["use_for"])
    template = _r("email_template", template=tip("describe_precisely")["template"])
    return [Reply(f"{text}\n{template}", (button("start_support_request"),))]


def working_hours_answer(sit: Situation) -> List[Reply]:
    """working_hours: the seller channel's hours, its status now, and reply times elsewhere."""
    lines = [
        _r("working_hours_seller", hours=hours_label(channel("seller_channel"))),
        seller_status(sit.now),
        _r("working_hours_other"),
    ]
    return [Reply("\n".join(lines))]


def tips_answer(sit: Situation) -> List[Reply]:
    """communication_tips: the four-part template, what to prepare, when to contact."""
    describe = tip("describe_precisely")
    prepare = tip("prepare_information")
    if sit.role in ROLES:
        to_prepare = str(prepare[sit.role])
    else:
        to_prepare = f"{prepare['buyer']}{prepare['seller']}"
    return [
        Reply(_r("tips_template", template=describe["template"], example=describe["example"])),
        Reply(
            "\n".join(
                [_r("tips_prepare", prepare=to_prepare), _r("tips_timing", off_peak=tip("timing")["off_peak"])]
            ),
            (button("start_support_request"),),
        ),
    ]


def not_transferring_answer(sit: Situation) -> List[Reply]:
    """bot_not_transferring: keywords, keep asking (auto transfer), switch the entry."""
    transfer = tip("transfer_to_human")
    text = _r(
        "not_transferring",
        keywords=transfer["keywords"],
        auto_transfer=transfer["auto_transfer"],
        switch_entry=transfer["switch_entry"],
    )
    return [Reply(text, (button("ask_contact_channels"),))]


def slow_response_answer(sit: Situation) -> List[Reply]:
    """slow_response: queueing is normal, reply times, smart queue, no flooding, 催办."""
    text = _r(
        "slow_response",
        queue=channel("order_page")["queue_notice"],
        reply_time=caution("reply_time")["rule"],
        smart_queue=tip("timing")["smart_queue_2024"],
        no_flooding=caution("no_flooding")["rule"],
    )
    replies = [Reply(text)]
    if sit.role == "seller" and not clock.is_open(channel("seller_channel"), sit.now):
        replies.append(Reply(seller_status(sit.now)))
    ticket_line = _r("slow_response_ticket", hours=scenario("ticket")["chase_after_hours"])
    replies.append(Reply(ticket_line, (button("ticket_followup"), button("email_support"))))
    return replies


def urgent_answer(sit: Situation) -> List[Reply]:
    """urgent_request: the urgent tag (limits) and the account-security rule."""
    urgent = scenario("urgent_tag")
    security = scenario("account_security")
    return [
        Reply(_r("urgent", what=urgent["what"], limits=urgent["limits"])),
        Reply(_r("urgent_security", keyword=security["subject_keyword"]), (button("account_security"),)),
    ]


def responsible_answer(sit: Situation) -> List[Reply]:
    """find_responsible_person: the ways that fit the role (sellers: seller center first)."""
    methods = responsible_methods()
    if sit.role == "seller":
        methods = sorted(methods, key=lambda method: method.id != "seller_center")
    elif sit.role == "buyer":
        methods = [method for method in methods if "buyer" in method.audience]
    numbers = "①②③④⑤⑥"
    lines = [_r("responsible_intro")]
    lines += [
        _r("responsible_line", n=numbers[index], title=method.title, how=method.how)
        for index, method in enumerate(methods)
    ]
    return [Reply("\n".join(lines)), Reply(_r("responsible_placeholder_note"))]


def contact_seller_answer(sit: Situation) -> List[Reply]:
    """contact_seller: the order page button and store homepage; what if the seller is silent."""
    order_page = channel("order_page")
    first = _r("contact_seller", button=order_page["button"], queue=order_page["queue_notice"])
    second = _r(
        "contact_seller_no_reply",
        keyword=channel("transfer_keyword")["keyword"],
        ticket_path=ticket_path(),
    )
    return [Reply(first), Reply(second, (button("find_responsible_person"),))]


def offer_form() -> Reply:
    """Offer the support request form (the form itself is started by /start_support_request)."""
    return Reply(
        _r("offer_form", template=tip("describe_precisely")["template"]),
        (button("start_support_request", str(reply("offer_form_accept"))), button("deny")),
    )


def problem_answer(sit: Situation, problem: str) -> List[Reply]:
    """A problem intent: the 工单 path, evidence to prepare, the follow-up timeline, the form."""
    wording = reply("problems")[problem]
    ticket = scenario("ticket")
    center = scenario("consumer_protection")
    if "ticket_line" in wording:
        ticket_text = str(wording["ticket_line"]).format(
            lead=wording["lead"], after_submit=ticket["after_submit"], path=ticket_path()
        )
    else:
        ticket_text = _r("problem_ticket", lead=wording["lead"], path=ticket_path(), case=wording["case"])
    first = f"{ticket_text}\n{_r('problem_evidence', items='、'.join(wording['evidence']))}"
    timeline = _r(
        "problem_timeline",
        chase=ticket["chase_after_hours"],
        escalate=center["escalate_after_hours"],
        center=center["name"],
        intervene=center["intervene_within_hours"],
    )
    return [Reply(first), Reply(timeline), offer_form()]


def account_security_answer(sit: Situation) -> List[Reply]:
    """account_security: every channel at once, 紧急 in the subject, privacy."""
    text = _r(
        "account_security",
        email=channel("email")["address"],
        keyword=scenario("account_security")["subject_keyword"],
        privacy=caution("privacy")["rule"],
    )
    replies = [Reply(text)]
    if sit.role == "seller":
        replies.append(Reply(seller_channel_text(sit.now)))
    replies.append(offer_form())
    return replies


def eu_answer(sit: Situation) -> List[Reply]:
    """eu_responsible_person: what it is, where to ask, what to prepare (seller channel)."""
    eu = scenario("eu_responsible_person")
    text = _r("eu_responsible_person", what=eu["what"], how=eu["how"], prepare=eu["prepare"])
    return [Reply(text), Reply(seller_channel_text(sit.now), (button("email_support"),))]


def scam_answer(sit: Situation) -> List[Reply]:
    """scam_check: official agents have no fixed names, no 内部通道, privacy, verify officially."""
    text = _r(
        "scam_check",
        official=caution("official_agents")["rule"],
        scam=caution("internal_channel_scam")["rule"],
        privacy=caution("privacy")["rule"],
        email=channel("email")["address"],
    )
    return [Reply(text, (button("ask_contact_channels"),))]


TOPIC_ANSWERS = {
    "ask_contact_channels": channels_answer,
    "request_human": request_human_answer,
    "seller_support": seller_support_answer,
    "email_support": email_answer,
    "working_hours": working_hours_answer,
    "communication_tips": tips_answer,
    "bot_not_transferring": not_transferring_answer,
    "slow_response": slow_response_answer,
    "urgent_request": urgent_answer,
    "find_responsible_person": responsible_answer,
    "contact_seller": contact_seller_answer,
    "account_security": account_security_answer,
    "eu_responsible_person": eu_answer,
    "scam_check": scam_answer,
}


def answer_topic(topic: str, sit: Situation, pending: Optional[str]) -> Answer:
    """The answer to `topic`: asks the role first when it matters and is still unknown."""
    if topic in ROLE_DEPENDENT_TOPICS and sit.role is None and not sit.role_asked:
        return ask_role(topic)
    if topic in PROBLEM_INTENTS:
        replies = problem_answer(sit, topic)
    else:
        replies = TOPIC_ANSWERS[topic](sit)
    # A pending topic stays pending through other questions until it is answered itself.
    events: List[EventType] = [SlotSet(PENDING_TOPIC_SLOT, None)] if pending == topic else []
    return Answer(replies, events)


def say(dispatcher: CollectingDispatcher, replies: Sequence[Reply]) -> None:
    """Send the bubbles, never letting a placeholder contact of the guide through."""
    for item in replies:
        buttons = [{"title": title, "payload": payload} for title, payload in item.buttons]
        dispatcher.utter_message(text=mask_placeholders(item.text), buttons=buttons)


# --- actions ------------------------------------------------------------------------------------


class GuidanceAction(Action, abc.ABC):
    """An action that answers one topic for the current situation."""

    topic: str = ""
    # The role that asking about this topic reveals, used only while the role is unknown.
    implied_role: Optional[str] = None

    @abc.abstractmethod
    def name(self) -> Text:
        """The action's name in domain.yml."""

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        sit = Situation.from_tracker(tracker)
        events: List[EventType] = []
        if self.implied_role and sit.role is None:
            sit = replace(sit, role=self.implied_role)
            events.append(SlotSet("role", self.implied_role))
        answer = answer_topic(self.topic, sit, tracker.get_slot(PENDING_TOPIC_SLOT))
        say(dispatcher, answer.replies)
        return events + answer.events


class ActionContactChannels(GuidanceAction):
    topic = "ask_contact_channels"

    def name(self) -> Text:
        return "action_contact_channels"


class ActionRequestHuman(GuidanceAction):
    topic = "request_human"

    def name(self) -> Text:
        return "action_request_human"


class ActionSellerSupport(GuidanceAction):
    topic = "seller_support"

    def name(self) -> Text:
        return "action_seller_support"

    implied_role = "seller"


class ActionEmailSupport(GuidanceAction):
    topic = "email_support"

    def name(self) -> Text:
        return "action_email_support"


class ActionWorkingHours(GuidanceAction):
    topic = "working_hours"

    def name(self) -> Text:
        return "action_working_hours"


class ActionCommunicationTips(GuidanceAction):
    topic = "communication_tips"

    def name(self) -> Text:
        return "action_communication_tips"


class ActionBotNotTransferring(GuidanceAction):
    topic = "bot_not_transferring"

    def name(self) -> Text:
        return "action_bot_not_transferring"


class ActionSlowResponse(GuidanceAction):
    topic = "slow_response"

    def name(self) -> Text:
        return "action_slow_response"


class ActionUrgentRequest(GuidanceAction):
    topic = "urgent_request"

    def name(self) -> Text:
        return "action_urgent_request"


class ActionFindResponsiblePerson(GuidanceAction):
    topic = "find_responsible_person"

    def name(self) -> Text:
        return "action_find_responsible_person"


class ActionContactSeller(GuidanceAction):
    topic = "contact_seller"

    def name(self) -> Text:
        return "action_contact_seller"

    implied_role = "buyer"


class ActionAccountSecurity(GuidanceAction):
    topic = "account_security"

    def name(self) -> Text:
        return "action_account_security"


class ActionEuResponsiblePerson(GuidanceAction):
    topic = "eu_responsible_person"

    def name(self) -> Text:
        return "action_eu_responsible_person"


class ActionScamCheck(GuidanceAction):
    topic = "scam_check"

    def name(self) -> Text:
        return "action_scam_check"


class ActionProblemGuidance(Action):
    """refund / not_received / damaged_item / ticket_followup / file_complaint → 工单 guidance."""

    def name(self) -> Text:
        return "action_problem_guidance"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        sit = Situation.from_tracker(tracker)
        problem = sit.intent if sit.intent in PROBLEM_INTENTS else "refund"
        answer = answer_topic(problem, sit, tracker.get_slot(PENDING_TOPIC_SLOT))
        say(dispatcher, answer.replies)
        return answer.events


FORM_DETAIL_SLOTS = ("order_id", "issue_category", "request_goal", "expected_time")


class ActionHandleInform(Action):
    """`inform` outside the form: finish a pending topic, or acknowledge and offer the form."""

    def name(self) -> Text:
        return "action_handle_inform"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        sit = Situation.from_tracker(tracker)
        pending = tracker.get_slot(PENDING_TOPIC_SLOT)
        entities = {entity.get("entity") for entity in tracker.latest_message.get("entities", [])}
        if pending in TOPIC_ANSWERS and sit.role is not None:
            answer = answer_topic(pending, sit, pending)
            say(dispatcher, answer.replies)
            return answer.events
        if entities & set(FORM_DETAIL_SLOTS):
            say(
                dispatcher,
                [
                    Reply(
                        f"{_r('inform_details')}{_r('inform_offer_form')}",
                        (button("start_support_request", str(reply("offer_form_accept"))), button("deny")),
                    )
                ],
            )
            return []
        noted = []
        if "role" in entities and sit.role:
            noted.append(reply("role_noted")[sit.role])
        if "device" in entities and sit.device:
            noted.append(reply("device_noted")[sit.device])
        text = "".join([*noted, _r("anything_else")])
        say(dispatcher, [Reply(text, topic_buttons())])
        return []
