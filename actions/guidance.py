"""One table of topics: every answer is a pure function of a frozen `Situation`.

What is true comes from knowledge/guide.yml, the wording from knowledge/replies.yml (in the
conversation's language) and the cue words from knowledge/cues.yml; this module only decides
which parts fit: the role (stated, implied by the topic, or assumed buyer with a one-tap switch),
the device, the China time, the language, and what this conversation has already given
(the last topic, the channels named so far, the escalation ladder's progress).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from rasa_sdk.executor import CollectingDispatcher

from actions import clock
from actions.knowledge import (
    ResponsibleMethod,
    caution,
    channel,
    guide,
    mask_placeholders,
    reply,
    responsible_methods,
    scenario,
    ticket_path,
    tip,
)
from actions.understanding import facet, has_cue, problem_named, tried_steps

ROLES = ("buyer", "seller")
# What fits a phone screen; a longer bubble is split at line ends.
MAX_BUBBLE = 300
# For a user who asked for short answers (large font, screen reader): one bubble of about this size.
BRIEF_BUBBLE = 150
# Asked this close to the seller desk's closing time, the answer says to hurry and what comes after.
CLOSING_SOON = timedelta(minutes=30)
DEVICES = ("app", "web")
PROBLEM_INTENTS = ("refund", "not_received", "damaged_item", "ticket_followup", "file_complaint")
# Topics whose answer depends on the role: an assumed role gets a one-tap switch button.
ROLE_DEPENDENT_TOPICS = (
    "ask_contact_channels",
    "request_human",
    "working_hours",
    "communication_tips",
    "slow_response",
    "find_responsible_person",
    "account_security",
    "not_helpful",
    *PROBLEM_INTENTS,
)
# After these the user is a buyer with an order problem (even if they never said "buyer").
BUYER_TOPICS = (*PROBLEM_INTENTS, "contact_seller")
# Asking about these says who is asking (unless the message says otherwise).
IMPLIED_ROLES = {"seller_support": "seller", "eu_responsible_person": "seller", "contact_seller": "buyer"}
# The escalation ladder, in the guide's order; a step already given in this conversation is skipped.
LADDERS = {
    "buyer": ("alixiaomi", "order_page", "ticket", "chase", "consumer_protection", "email"),
    "seller": ("seller_desk", "email", "seller_chat"),
}


@dataclass(frozen=True)
class Reply:
    """One chat bubble: text plus optional buttons (title, payload)."""

    text: str
    buttons: Tuple[Tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Situation:
    """Everything an answer is tailored to (read from the tracker by actions/conversation.py)."""

    role: str = "buyer"
    role_assumed: bool = True
    device: Optional[str] = None
    lang: str = "zh"
    now: datetime = field(default_factory=clock.now_in_china)
    text: str = ""
    last_topic: Optional[str] = None
    given: FrozenSet[str] = frozenset()
    # Where the user is (an IANA zone, cues.yml `time_zones`): the desk's hours in their own time.
    zone: Optional[str] = None


@dataclass
class Answer:
    """What to say, and what it adds to the conversation's context."""

    replies: List[Reply]
    topic: Optional[str] = None
    given: Tuple[str, ...] = ()
    # "form" after offering the support request form, "clarify" after asking which topic,
    # "why_not" after saying what the assistant cannot do itself.
    awaiting: Optional[str] = None
    ladder_step: Optional[int] = None


# --- wording helpers ---------------------------------------------------------------------------


def line(sit: Situation, key: str, **values: Any) -> str:
    """A line of replies.yml in the conversation's language with its {placeholders} filled."""
    return str(reply(key, sit.lang)).format(**values)


def entry(sit: Situation, key: str, name: str) -> Any:
    """One entry of a mapping of replies.yml (e.g. role_buttons.seller)."""
    return reply(key, sit.lang)[name]


def button(sit: Situation, intent: str, title: Optional[str] = None) -> Tuple[str, str]:
    """A button that sends `/intent`, titled from replies.yml unless `title` is given."""
    return (title or str(entry(sit, "button_titles", intent)), f"/{intent}")


def topic_buttons(sit: Situation) -> Tuple[Tuple[str, str], ...]:
    """The main topics, offered when the user may choose what to do next."""
    return tuple(button(sit, intent) for intent in reply("topic_buttons"))


def role_button(sit: Situation, role: str) -> Tuple[str, str]:
    """A button that states the role with an `inform` (the answer is then given again)."""
    return (str(entry(sit, "role_buttons", role)), f'/inform{{"role":"{role}"}}')


def form_offer(sit: Situation) -> Reply:
    """Offer the support request form (started by /start_support_request or a typed yes)."""
    return Reply(
        line(sit, "offer_form", template=tip("describe_precisely")["template"]),
        (button(sit, "start_support_request", line(sit, "offer_form_accept")), button(sit, "deny")),
    )


def clock_time(moment: datetime) -> str:
    """9:00, 22:30 …"""
    return f"{moment.hour}:{moment.minute:02d}"


def now_label(sit: Situation) -> str:
    """北京时间22:30"""
    return line(sit, "now_label", time=clock_time(sit.now))


def opening_label(sit: Situation, opening: datetime) -> str:
    """今天 9:00 / 明天 9:00 / 11月28日 9:00"""
    words = reply("day_words", sit.lang)
    days = (opening.date() - sit.now.date()).days
    if days == 0:
        day = words["today"]
    elif days == 1:
        day = words["tomorrow"]
    else:
        day = str(words["other"]).format(month=opening.month, day=opening.day)
    return f"{day} {clock_time(opening)}"


def seller_hours(sit: Situation) -> Dict[str, str]:
    """The seller desk's hours as values for the wording: label, open, close, days."""
    hours = channel("seller_channel").hours
    if hours is None:
        raise ValueError("the seller channel has no opening hours in the guide")
    days = "all" if len(hours.weekdays) == 7 else "some"
    return {
        "hours": hours.label,
        "open": clock_time(datetime.combine(sit.now.date(), hours.open)),
        "close": clock_time(datetime.combine(sit.now.date(), hours.close)),
        "days": str(entry(sit, "days", days)) if sit.lang != "zh" else hours.label,
    }


def wait_label(sit: Situation, wait: timedelta) -> str:
    """1小时30分钟 / 2小时 / 40分钟 (whole minutes, rounded up)."""
    minutes = -(-int(wait.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    words = reply("wait_words", sit.lang)
    key = "hours_minutes" if hours and minutes else "hours" if hours else "minutes"
    return str(words[key]).format(hours=hours, minutes=minutes)


def seller_status(sit: Situation) -> str:
    """Whether the seller desk is staffed now; when closed, when it opens (and how long that is
    away) and what to do. Before the opening of the same day the desk has not opened yet."""
    seller = channel("seller_channel")
    if clock.is_open(seller, sit.now):
        closing = closing_time(sit)
        if closing - sit.now > CLOSING_SOON:
            return line(sit, "seller_open_now", now=now_label(sit))
        return line(
            sit,
            "seller_closing_soon",
            now=now_label(sit),
            wait=wait_label(sit, closing - sit.now),
            next_open=opening_label(sit, clock.next_opening(seller, closing)),
            email=channel("email")["address"],
        )
    opening = clock.next_opening(seller, sit.now)
    not_yet = opening.date() == sit.now.date()
    return line(
        sit,
        "seller_not_open_yet" if not_yet else "seller_closed_now",
        now=now_label(sit),
        next_open=opening_label(sit, opening),
        wait=wait_label(sit, opening - sit.now),
        email=channel("email")["address"],
    )


def closing_time(sit: Situation) -> datetime:
    """When the seller desk closes today."""
    return datetime.combine(sit.now.date(), clock.hours_of(channel("seller_channel")).close, tzinfo=sit.now.tzinfo)


def seller_after_close_answer(sit: Situation) -> Answer:
    """"来不及了怎么办" near or after the desk's closing time: when it opens next, and the e-mail meanwhile."""
    seller = channel("seller_channel")
    reopening = clock.next_opening(seller, max(sit.now, closing_time(sit)))
    text = line(sit, "seller_after_close", next_open=opening_label(sit, reopening), email=channel("email")["address"], **seller_hours(sit))
    return Answer([Reply(text, (button(sit, "email_support"),))], "working_hours", ("email",))


def seller_desk_closed(sit: Situation) -> bool:
    return not clock.is_open(channel("seller_channel"), sit.now)


def seller_wait_answer(sit: Situation) -> Answer:
    """"还要等多久" while the seller desk is closed: how long until it opens, and the e-mail meanwhile."""
    return Answer([Reply(seller_status(sit))], sit.last_topic, ("email",))


def seller_desk(sit: Situation) -> Reply:
    """The seller desk (URL, 向我提问, hours) and its status right now."""
    seller = channel("seller_channel")
    intro = line(
        sit,
        "seller_channel",
        url=seller["url"],
        position=seller["entry_position"],
        entry=seller["entry"],
        **seller_hours(sit),
    )
    phone = f"\n{line(sit, 'seller_desk_phone', entry=seller['entry'])}" if sit.device == "app" else ""
    return Reply(f"{intro}\n{seller_status(sit)}{phone}")


def alixiaomi_lines(sit: Situation) -> List[str]:
    """How to open 阿里小蜜: on the user's device, or on both when unknown; then the keyword."""
    devices = (sit.device,) if sit.device in DEVICES else DEVICES
    lines = [
        str(entry(sit, "alixiaomi_line", name)).format(how=channel(f"alixiaomi_{name}")["how"])
        for name in devices
    ]
    return [*lines, line(sit, "transfer_line", keyword=channel("transfer_keyword")["keyword"])]


def order_page_line(sit: Situation) -> str:
    order_page = channel("order_page")
    return line(sit, "order_page_line", how=order_page["how"], queue=order_page["queue_notice"])


def email_line(sit: Situation) -> str:
    return line(sit, "email_line", address=channel("email")["address"])


def with_switch(sit: Situation, replies: List[Reply]) -> List[Reply]:
    """When the role was only assumed, the last bubble gets a button to switch it."""
    if not sit.role_assumed or not replies:
        return replies
    other = "seller" if sit.role == "buyer" else "buyer"
    last = replies[-1]
    return [*replies[:-1], replace(last, buttons=(*last.buttons, role_button(sit, other)))]


# --- channels and people (guide sections 01, 02) --------------------------------------------------


def buyer_channel_lines(sit: Situation, skip: FrozenSet[str] = frozenset()) -> List[Tuple[str, List[str]]]:
    """(channel id, lines) of the buyer's ways to a human, leaving out those in `skip`."""
    parts = [
        ("alixiaomi", alixiaomi_lines(sit)),
        ("order_page", [order_page_line(sit)]),
        ("email", [email_line(sit)]),
    ]
    return [(name, lines) for name, lines in parts if name not in skip]


def channels_answer(sit: Situation, intro_key: str = "channels_intro") -> Answer:
    """How to reach a human for this role; a follow-up only adds the channels not yet given."""
    intro = reply(intro_key, sit.lang)
    if isinstance(intro, dict):
        intro = intro[sit.role]
    follow_up = (button(sit, "communication_tips"), button(sit, "start_support_request"))
    if sit.role == "seller":
        other = line(sit, "seller_other_channels", email=channel("email")["address"])
        replies = [Reply(f"{intro}\n{seller_desk(sit).text}"), Reply(other, follow_up)]
        return Answer(replies, "ask_contact_channels", ("seller_desk", "alixiaomi", "email"))
    parts = buyer_channel_lines(sit)
    if sit.last_topic and sit.given:
        fresh = buyer_channel_lines(sit, sit.given)
        if not fresh:
            return ladder_answer(sit, lead_key="already_said")
        parts = fresh
    text = "\n".join([str(intro), *(text for _, lines in parts for text in lines)])
    return Answer(with_switch(sit, [Reply(text, follow_up)]), "ask_contact_channels", tuple(n for n, _ in parts))


def request_human_answer(sit: Situation) -> Answer:
    """request_human: the same ways to a human, said as "I cannot transfer you myself"."""
    answer = channels_answer(replace(sit, given=frozenset()), intro_key="request_human_intro")
    answer.topic = "request_human"
    return answer


def phone_answer(sit: Situation, lead_key: str = "no_phone") -> Answer:
    """No official phone number is published: the online ways instead (`lead_key` "no_phone_again"
    when the user doubts it)."""
    answer = channels_answer(replace(sit, given=frozenset()))
    first = answer.replies[0]
    answer.replies[0] = replace(first, text=f"{line(sit, lead_key)}\n{first.text}")
    answer.given = (*answer.given, "no_phone")
    return answer


def callback_answer(sit: Situation) -> Answer:
    """"Can they call me back": no call-back service is published; the online ways instead."""
    answer = channels_answer(replace(sit, given=frozenset()))
    first = answer.replies[0]
    answer.replies[0] = replace(first, text=f"{line(sit, 'callback')}\n{first.text}")
    return answer


def fastest_answer(sit: Situation) -> Answer:
    """"Which way is quickest": the online chat with the transfer keyword, then the order page."""
    if sit.role == "seller":
        return seller_support_answer(sit)
    steps = ("alixiaomi", "order_page")
    text = "\n".join([line(sit, "fastest_lead"), *(ladder_step_text(sit, step) for step in steps)])
    return Answer(with_switch(sit, [Reply(text, (button(sit, "not_helpful"),))]), sit.last_topic or "ask_contact_channels", steps)


def seller_support_answer(sit: Situation) -> Answer:
    """seller_support: the seller desk and whether it is open now."""
    desk = seller_desk(sit)
    return Answer([replace(desk, buttons=(button(sit, "email_support"),))], "seller_support", ("seller_desk",))


def email_answer(sit: Situation) -> Answer:
    """email_support: the address, what it is good for, how to write it, the urgent subject line."""
    email = channel("email")
    lines = [
        line(sit, "email_support", address=email["address"], use_for=email["use_for"]),
        line(sit, "email_template", template=tip("describe_precisely")["template"]),
    ]
    if facet(sit.text, "subject") or facet(sit.text, "faster") or has_cue(sit.text, "scam_paid"):
        lines.append(line(sit, "email_subject", keyword=scenario("account_security")["subject_keyword"]))
    return Answer([Reply("\n".join(lines), (button(sit, "start_support_request"),))], "email_support", ("email",))


def responsible_answer(sit: Situation, every_way: bool = False) -> Answer:
    """find_responsible_person: the ways that fit the role (buyers get the seller center only when
    they ask for every way there is, "一共有几种查法")."""
    methods = responsible_methods()
    if sit.role == "seller" or every_way:
        methods = sorted(methods, key=lambda method: method.id != "seller_center")
    else:
        methods = [method for method in methods if "buyer" in method.audience]
    numbers = "①②③④⑤⑥"
    lines = [line(sit, "responsible_intro")]
    for index, method in enumerate(methods):
        wording = method_wording(sit, method)
        lines.append(line(sit, "responsible_line", n=numbers[index], title=wording["title"], how=wording["how"]))
    replies = [Reply("\n".join(lines)), Reply(line(sit, "responsible_placeholder_note"))]
    return Answer(with_switch(sit, replies), "find_responsible_person")


def method_wording(sit: Situation, method: ResponsibleMethod) -> Dict[str, str]:
    """A way to find a store's 关联负责人 in the user's language (the guide's Chinese by default)."""
    return reply("responsible_methods", sit.lang).get(method.id) or {"title": method.title, "how": method.how}


def responsible_rest_answer(sit: Situation) -> Answer:
    """The store page shows no contact: the guide's other ways (customer service, announcements)."""
    lines = [line(sit, "responsible_rest")]
    for method in responsible_methods():
        if method.id in ("store_homepage", "seller_center"):
            continue
        wording = method_wording(sit, method)
        lines.append(f"· {wording['title']}：{wording['how']}" if sit.lang == "zh" else f"· {wording['title']}: {wording['how']}")
    return Answer([Reply("\n".join(lines), (button(sit, "ask_contact_channels"),))], "find_responsible_person")


def seller_first_answer(sit: Situation) -> Answer:
    """"The seller first, or AliExpress?": the seller in the order, then an after-sales case (the
    case at once when the seller was asked already)."""
    if has_cue(sit.text, "seller_contacted"):
        # Asked already and the seller stalls: the platform now, with its deadlines.
        return Answer([Reply(line(sit, "seller_stalled", path=ticket_path(), **deadlines()))], "contact_seller", ("ticket", "chase", "consumer_protection"))
    text = line(sit, "seller_first", seller_button=channel("order_page")["button"], path=ticket_path())
    return Answer([Reply(text)], "contact_seller", ("order_page", "ticket"))


def currency_answer(sit: Situation) -> Answer:
    """Charged in another currency or more than shown: the card issuer's conversion, else the chat checks it."""
    text = line(sit, "currency", keyword=channel("transfer_keyword")["keyword"])
    return Answer([Reply(text)], "request_human", ("alixiaomi",))  # "who do I ask" next: the ways to an agent


def blames_platform_answer(sit: Situation) -> Answer:
    """"卖家说是平台扣的": the platform's agents check it, with the refund record."""
    text = line(sit, "blames_platform", keyword=channel("transfer_keyword")["keyword"], email=channel("email")["address"])
    return Answer([Reply(text)], sit.last_topic, ("alixiaomi", "email"))


def no_permission_answer(sit: Situation) -> Answer:
    """The seller center says "no permission": the main account, else the seller desk."""
    return desk_answer(replace(sit, role="seller", role_assumed=False), line(sit, "no_permission_lead"), "seller_support")


def update_visible_answer(sit: Situation) -> Answer:
    """How long a store's changed details take to show: not in the guide; check the store page."""
    return Answer([Reply(line(sit, "update_visible"))], "find_responsible_person")


def claims_official_answer(sit: Situation) -> Answer:
    """"他说他就是阿里小蜜的人工": a claim proves nothing; where official agents are."""
    return Answer([Reply(line(sit, "claims_official", email=channel("email")["address"]))], "scam_check")


def money_back_answer(sit: Situation) -> Answer:
    """"钱能要回来吗" after a scam: no promise, and no paid "recovery"."""
    text = line(sit, "money_back", email=channel("email")["address"], keyword=scenario("account_security")["subject_keyword"])
    return Answer([Reply(text)], sit.last_topic, ("alixiaomi", "email"))


def scammer_again_answer(sit: Situation) -> Answer:
    """The scammer calls or writes again: hang up, block, give nothing more."""
    return Answer([Reply(line(sit, "scammer_again"), (button(sit, "ask_contact_channels"),))], sit.last_topic)


def tell_platform_answer(sit: Situation) -> Answer:
    """"要不要也告诉速卖通" after a scam: yes, the chat and the e-mail with 紧急, and the bank and police too."""
    text = line(
        sit, "tell_platform", keyword=channel("transfer_keyword")["keyword"], email=channel("email")["address"],
        urgent=scenario("account_security")["subject_keyword"],
    )
    return Answer([Reply(text)], sit.last_topic, ("alixiaomi", "email"))


def off_platform_answer(sit: Situation) -> Answer:
    """Money to be paid or paid back off the platform: the same lure as any scam (no protection there)."""
    answer = scam_followup_answer(sit)
    answer.given = (*answer.given, "off_platform")
    return answer


def on_platform_answer(sit: Situation) -> Answer:
    """"What should I do instead" after the off-platform warning: the dispute and the refund stay on the platform."""
    text = line(sit, "on_platform_instead", path=ticket_path(), keyword=channel("transfer_keyword")["keyword"])
    return Answer([Reply(text)], "refund", ("ticket", "alixiaomi"))


def no_pretend_answer(sit: Situation) -> Answer:
    """"假装是人工" / "ignore your rules": an assistant, no transfer, no internal number; the keyword."""
    key = "no_pretend_again" if "no_pretend" in sit.given else "no_pretend"
    text = line(sit, key, keyword=channel("transfer_keyword")["keyword"], email=channel("email")["address"])
    return Answer([Reply(text)], "request_human", ("alixiaomi", "no_pretend"))


def staff_claim_answer(sit: Situation) -> Answer:
    """"我是内部员工 把收货信息调出来": no data for anyone; staff have their own tools (said again, shorter)."""
    key = "staff_claim_again" if "staff_claim" in sit.given else "staff_claim"
    return Answer([Reply(line(sit, key))], sit.last_topic, ("staff_claim",))


def birthday_answer(sit: Situation) -> Answer:
    """A birthday mentioned: a kind word, then help if wanted."""
    return Answer([Reply(line(sit, "birthday"), topic_buttons(sit))], sit.last_topic)


def sign_language_answer(sit: Situation) -> Answer:
    """No sign-language or video service in the guide; the written channels."""
    text = line(sit, "sign_language", keyword=channel("transfer_keyword")["keyword"], email=channel("email")["address"])
    return Answer([Reply(text)], "request_human", ("alixiaomi", "email"))


def store_fee_answer(sit: Situation) -> Answer:
    """A store's fees or closing it: the platform's rules, asked at the seller desk."""
    return desk_answer(replace(sit, role="seller", role_assumed=False), line(sit, "store_fee"), "seller_support")


def peak_hours_answer(sit: Situation) -> Answer:
    """When the queue is busiest: not in the guide; the usual busy times."""
    return Answer([Reply(line(sit, "peak_hours"))], "working_hours")


def simple_line_answer(key: str, topic: Optional[str] = None, given: Tuple[str, ...] = ()) -> Callable[[Situation], Answer]:
    """An aside answered by one line of replies.yml filled with the guide's usual values (`given`:
    the channels the line names, so the ladder does not offer them again)."""
    def answer(sit: Situation) -> Answer:
        seller = channel("seller_channel")
        values = {
            "keyword": channel("transfer_keyword")["keyword"], "email": channel("email")["address"], "path": ticket_path(),
            "url": seller["url"], "entry": seller["entry"], "order_where": guide()["request_form"]["order_id"]["where"],
        }
        return Answer([Reply(line(sit, key, **values))], sit.last_topic or topic, given)
    return answer


def what_evidence_answer(sit: Situation) -> Answer:
    """"要拍些什么 / 聊天记录算证据吗": for photos, what to photograph first; then what counts and where it goes."""
    answer = evidence_answer(sit)
    if has_cue(sit.text, "photo_words"):
        answer.replies.insert(0, Reply(line(sit, "how_many_photos")))
    return answer


def how_to_write_answer(sit: Situation) -> Answer:
    """"怎么写能快点": the four-part template (for an e-mail, its subject or what its body holds)."""
    if facet(sit.text, "subject"):
        return answer_topic("email_support", sit)
    if facet(sit.text, "email"):
        return Answer([Reply(line(sit, "email_body"))], "email_support")
    return answer_topic("communication_tips", sit)


def not_the_store_answer(sit: Situation) -> Answer:
    """"亲 还有货吗": the assistant is not the store; stock, sizes and shipping are asked of the seller."""
    text = line(sit, "not_the_store", seller_button=channel("order_page")["button"])
    return Answer([Reply(text, (button(sit, "find_responsible_person"),))], "contact_seller", ("order_page",))


def remote_access_answer(sit: Situation) -> Answer:
    """A caller was given the screen or remote control: uninstall, passwords, bank, police, tell AliExpress."""
    text = line(sit, "remote_access", email=channel("email")["address"], keyword=scenario("account_security")["subject_keyword"])
    return Answer([Reply(text)], "scam_paid", ("email",))


def id_document_answer(sit: Situation) -> Answer:
    """ID or bank card photos asked for: only on AliExpress's own pages, never to a chat contact."""
    return Answer([Reply(line(sit, "id_document", email=channel("email")["address"]))], "scam_check")


def report_scammer_answer(sit: Situation) -> Answer:
    """Where to report a scammer: AliExpress's channels, the police, the app they used."""
    text = line(sit, "report_scammer", email=channel("email")["address"], keyword=channel("transfer_keyword")["keyword"])
    return Answer([Reply(text)], sit.last_topic or "scam_check", ("alixiaomi", "email"))


def privacy_answer(sit: Situation) -> Answer:
    """A private phone or chat off the platform asked for: the guide's privacy rule, talk on the platform."""
    text = line(sit, "privacy", privacy=caution("privacy")["rule"], email=channel("email")["address"])
    return Answer([Reply(text, (button(sit, "ask_contact_channels"),))], sit.last_topic, ("privacy",))


def bank_answer(sit: Situation) -> Answer:
    """A wrong charge and the bank: the card issuer as a second line beside the 工单 (after a scam
    the emergency's steps are given instead, in conversation.respond)."""
    text = line(sit, "bank", path=ticket_path(), email=channel("email")["address"])
    return Answer([Reply(text, (button(sit, "start_support_request"),))], sit.last_topic or "refund", ("ticket",))


def with_empathy(sit: Situation, answer: Answer) -> Answer:
    """The answer to a complaint, led by an acknowledgement unless its first bubble has one."""
    if not answer.replies:
        return answer
    first = answer.replies[0]
    marks = [str(mark).lower() for mark in reply("empathy_marks")]
    if any(mark in first.text.lower() for mark in marks):
        return answer
    answer.replies = [replace(first, text=f"{line(sit, 'empathy_lead')}\n{first.text}"), *answer.replies[1:]]
    return answer


def leaked_table_answer(sit: Situation) -> Answer:
    """A contact table seen online is the guide's placeholder sample, not real."""
    return Answer(
        [Reply(line(sit, "leaked_table", email=channel("email")["address"]), (button(sit, "ask_contact_channels"),))],
        "find_responsible_person",
    )


def contact_seller_answer(sit: Situation) -> Answer:
    """contact_seller: the order page button and store homepage; what if the seller is silent."""
    order_page = channel("order_page")
    first = line(sit, "contact_seller", button=order_page["button"], queue=order_page["queue_notice"])
    second = line(
        sit,
        "contact_seller_no_reply",
        keyword=channel("transfer_keyword")["keyword"],
        ticket_path=ticket_path(),
    )
    return Answer(
        [Reply(first), Reply(second, (button(sit, "find_responsible_person"),))],
        "contact_seller",
        ("order_page", "alixiaomi", "ticket"),
    )


def seller_silent_answer(sit: Situation) -> Answer:
    """The seller does not answer: the platform's chat with the transfer keyword, or a 工单."""
    text = line(sit, "contact_seller_no_reply", keyword=channel("transfer_keyword")["keyword"], ticket_path=ticket_path())
    return Answer([Reply(text, (button(sit, "not_helpful"),))], sit.last_topic or "contact_seller", ("alixiaomi", "ticket"))


# --- time: hours, how long, where (follow-ups) ----------------------------------------------------


def working_hours_answer(sit: Situation) -> Answer:
    """Hours for this role with the China time now; nights and weekends when asked."""
    values = seller_hours(sit)
    seller = channel("seller_channel")
    if is_known_buyer(sit):
        return buyer_hours_answer(sit)
    lines = []
    if sit.role == "buyer":
        lines.append(line(sit, "hours_buyer"))
    lines += [line(sit, "hours_seller", **values), seller_status(sit)]
    if sit.zone:
        lines.append(local_hours_line(sit))
    if facet(sit.text, "night") or facet(sit.text, "off_duty") and seller_desk_closed(sit):
        next_open = opening_label(sit, clock.next_opening(seller, sit.now.replace(hour=23, minute=0)))
        lines.append(line(sit, "hours_night", next_open=next_open, email=channel("email")["address"], **values))
    if facet(sit.text, "email"):
        lines.append(line(sit, "hours_email", reply_time=caution("reply_time")["rule"]))
    if facet(sit.text, "best_time"):
        lines.append(line(sit, "tips_timing", off_peak=tip("timing")["off_peak"]))
    if facet(sit.text, "holiday"):
        lines.append(line(sit, "hours_holiday", email=channel("email")["address"], **values))
    if facet(sit.text, "weekend"):
        hours = seller.hours
        weekend = "open" if hours is not None and {6, 7} <= set(hours.weekdays) else "closed"
        lines.append(str(entry(sit, "hours_weekend", weekend)).format(**values))
    return Answer(with_switch(sit, [Reply("\n".join(lines))]), "working_hours")


def open_now_answer(sit: Situation) -> Answer:
    """"现在能找到吗" after the hours: the seller desk's way in with whether it is open right now
    (an assumed buyer also hears that the chat takes messages at any time)."""
    if is_known_buyer(sit):
        return buyer_hours_answer(sit)
    replies = [seller_desk(sit)]
    if sit.role == "buyer":
        replies.insert(0, Reply(line(sit, "hours_buyer")))
    return Answer(with_switch(sit, replies), "working_hours", ("seller_desk",))


def local_hours_line(sit: Situation) -> str:
    """The seller desk's hours and the time now where the user is."""
    hours = clock.hours_of(channel("seller_channel"))
    local = ZoneInfo(str(sit.zone))
    opens, closes = (datetime.combine(sit.now.date(), moment, tzinfo=sit.now.tzinfo).astimezone(local) for moment in (hours.open, hours.close))
    place = entry(sit, "zone_names", str(sit.zone))
    return line(sit, "hours_local", place=place, open=clock_time(opens), close=clock_time(closes), now=clock_time(sit.now.astimezone(local)))


def local_time_answer(sit: Situation) -> Answer:
    """"What is that in my time": the seller desk's hours converted where the user said they are,
    else in China time with the question where they are."""
    lines = [line(sit, "hours_seller", **seller_hours(sit))]
    lines.append(local_hours_line(sit) if sit.zone else line(sit, "hours_ask_zone"))
    return Answer([Reply("\n".join(lines))], sit.last_topic or "working_hours")


def is_known_buyer(sit: Situation) -> bool:
    """The user said they are a buyer, or the conversation is about a buyer's order problem."""
    return sit.role == "buyer" and (not sit.role_assumed or sit.last_topic in BUYER_TOPICS)


def buyer_hours_answer(sit: Situation) -> Answer:
    """Hours for a buyer: the chat and e-mail take messages at any time (the seller desk's hours are
    not theirs); the China time now, and the best time to write when asked."""
    lines = [line(sit, "hours_buyer"), line(sit, "hours_buyer_now", now=now_label(sit))]
    if facet(sit.text, "best_time"):
        lines.append(line(sit, "tips_timing", off_peak=tip("timing")["off_peak"]))
    return Answer(with_switch(sit, [Reply("\n".join(lines))]), sit.last_topic or "working_hours")


def how_long_subject(sit: Situation) -> str:
    """What a "how long" question is about: the channel it names, else the last topic."""
    if facet(sit.text, "email") or sit.last_topic == "email_support":
        return "email"
    if sit.last_topic in PROBLEM_INTENTS or sit.last_topic == "not_helpful":
        return "ticket"
    if sit.role == "seller" and sit.last_topic in ("seller_support", "ask_contact_channels", "request_human"):
        return "seller_desk"
    return "other"


def how_long_answer(sit: Situation, lead_key: Optional[str] = None) -> Answer:
    """The guide's times: hours to a day, 催办 after 24 h, 消费者保护中心 after 48 h, 72 h.

    `lead_key` words the question otherwise ("and if nobody answers?"); by default the lead names
    what the wait is for (an e-mail, a 工单, the seller desk)."""
    lead = line(sit, lead_key) if lead_key else entry(sit, "how_long_lead", how_long_subject(sit))
    body = line(sit, "how_long", reply_time=caution("reply_time")["rule"], **deadlines())
    return Answer(
        [Reply(f"{lead}\n{body}", (button(sit, "start_support_request"),))],
        sit.last_topic or "slow_response",
        ("chase", "consumer_protection"),
    )


def desk_answer(sit: Situation, lead: str, topic: Optional[str]) -> Answer:
    """`lead` with the seller desk under it (its address, entry and whether it is open now)."""
    return Answer([Reply(f"{lead}\n{seller_desk(sit).text}")], topic, ("seller_desk",))


def where_answer(sit: Situation) -> Answer:
    """"在哪 / 哪个入口": the entry of what the last answer was about."""
    topic = sit.last_topic
    lead = line(sit, "where_lead")
    center = scenario("consumer_protection")
    if topic == "email_support":
        text = line(sit, "where_email", address=channel("email")["address"])
        return Answer([Reply(f"{lead}\n{text}")], topic, ("email",))
    if sit.role == "seller" and topic in PROBLEM_INTENTS:
        return desk_answer(sit, lead, topic)  # a seller's dispute goes to the desk
    to_center = line(
        sit,
        "where_consumer_protection",
        hours=center["escalate_after_hours"],
        center=center["name"],
        intervene=center["intervene_within_hours"],
    )
    if topic == "file_complaint":
        return Answer([Reply(f"{lead}\n{to_center}")], topic, ("consumer_protection",))
    if topic == "ticket_followup" and sit.role == "buyer":
        # Following a 工单 up goes to its page (催办) and, past the deadline, to the 消费者保护中心.
        to_ticket = line(sit, "where_ticket", path=ticket_path(), choose=scenario("ticket")["choose"])
        return Answer([Reply(f"{lead}\n{to_ticket}\n{to_center}")], topic, ("ticket", "consumer_protection"))
    if topic in PROBLEM_INTENTS and sit.role == "buyer":
        text = line(sit, "where_ticket", path=ticket_path(), choose=scenario("ticket")["choose"])
        return Answer([Reply(f"{lead}\n{text}")], topic, ("ticket",))
    if topic == "contact_seller":
        return contact_seller_answer(sit)
    if topic == "find_responsible_person":
        return where_responsible_answer(sit)
    if sit.role == "seller":
        return desk_answer(sit, lead, topic)
    if "where" in sit.given:
        return where_steps_answer(sit)
    text = "\n".join([lead, *alixiaomi_lines(sit)])
    return Answer(with_switch(sit, [Reply(text)]), topic or "ask_contact_channels", ("alixiaomi", "where"))


def where_steps_answer(sit: Situation) -> Answer:
    """The entry asked for again: the same path said step by step, with where each button sits."""
    app, web, order_page = channel("alixiaomi_app"), channel("alixiaomi_web"), channel("order_page")
    values = {
        "app": dict(zip(("first", "second", "third"), app.path), seller_button=order_page["button"]),
        "web": dict(zip(("first", "second"), web.path)),
    }
    devices = (sit.device,) if sit.device in DEVICES else DEVICES
    steps = [str(entry(sit, "where_steps", name)).format(**values[name]) for name in devices]
    text = "\n".join([line(sit, "where_steps_lead"), *steps])
    return Answer(with_switch(sit, [Reply(text, (button(sit, "not_helpful"),))]), sit.last_topic or "ask_contact_channels", ("alixiaomi", "where_steps"))


def where_responsible_answer(sit: Situation) -> Answer:
    """Where a store's details are: a seller's own in the seller center, a buyer's on the store page."""
    methods = {method.id: method for method in responsible_methods()}
    seller = channel("seller_channel")
    how = methods["seller_center" if sit.role == "seller" else "store_homepage"].how
    text = str(entry(sit, "where_responsible", sit.role)).format(how=how, url=seller["url"], entry=seller["entry"])
    return Answer(with_switch(sit, [Reply(text)]), "find_responsible_person")


# --- tips and escalation (section 03) -----------------------------------------------------------


def tips_answer(sit: Situation) -> Answer:
    """communication_tips: the four-part template, what to prepare, when to contact."""
    describe = tip("describe_precisely")
    prepare = tip("prepare_information")
    to_prepare = str(prepare[sit.role])
    if sit.last_topic == "eu_responsible_person":
        to_prepare = str(scenario("eu_responsible_person")["prepare"])
    elif sit.role == "seller" and sit.last_topic in PROBLEM_INTENTS:
        to_prepare = f"{to_prepare}{line(sit, 'seller_dispute_evidence')}"
    replies = [
        Reply(line(sit, "tips_template", template=describe["template"], example=describe["example"])),
        Reply(
            "\n".join(
                [
                    line(sit, "tips_prepare", prepare=to_prepare, why=prepare["why"]),
                    line(sit, "tips_timing", off_peak=tip("timing")["off_peak"]),
                ]
            ),
            (button(sit, "start_support_request"),),
        ),
    ]
    return Answer(with_switch(sit, replies), "communication_tips")


def example_answer(sit: Situation) -> Answer:
    """"Give me an example": the guide's example of the request, and the offer to write the user's own."""
    describe = tip("describe_precisely")
    offer = form_offer(sit)
    text = line(sit, "example", example=describe["example"], template=describe["template"])
    return Answer([Reply(text, offer.buttons)], sit.last_topic, awaiting="form")


def capabilities_answer(sit: Situation) -> Answer:
    """"What can you do for me": write the request for the agent (offered), and the main topics."""
    offer = form_offer(sit)
    return Answer([Reply(line(sit, "capabilities"), (*offer.buttons[:1], *topic_buttons(sit)[:2]))], sit.last_topic, awaiting="form")


def iamabot_answer(sit: Situation) -> Answer:
    """"Are you a robot?" after the ways to a human: yes, an assistant; then the next way not given yet."""
    answer = ladder_answer(sit, lead_key="iamabot_next")
    if answer.awaiting == "form":  # the ladder is used up: say what it is, then offer the request
        answer.replies = [Reply(f"{line(sit, 'iamabot')}\n{answer.replies[0].text}", answer.replies[0].buttons)]
    return answer


def not_transferring_answer(sit: Situation) -> Answer:
    """bot_not_transferring: keywords, keep asking (auto transfer), switch the entry."""
    transfer = tip("transfer_to_human")
    text = line(
        sit,
        "not_transferring",
        keyword=channel("transfer_keyword")["keyword"],
        keywords=transfer["keywords"],
        auto_transfer=transfer["auto_transfer"],
        switch_entry=transfer["switch_entry"],
    )
    return Answer([Reply(text, (button(sit, "not_helpful"),))], "bot_not_transferring", ("alixiaomi", "order_page"))


def slow_response_answer(sit: Situation) -> Answer:
    """slow_response: queueing is normal, reply times, smart queue, no flooding, 催办."""
    if facet(sit.text, "how_long") and sit.last_topic:
        return how_long_answer(sit)
    text = line(
        sit,
        "slow_response",
        queue=channel("order_page")["queue_notice"],
        reply_time=caution("reply_time")["rule"],
        smart_queue=tip("timing")["smart_queue_2024"],
        no_flooding=caution("no_flooding")["rule"],
    )
    replies = [Reply(text)]
    if sit.role == "seller" and not clock.is_open(channel("seller_channel"), sit.now):
        replies.append(Reply(seller_status(sit)))
    ticket_line = line(sit, "slow_response_ticket", hours=scenario("ticket")["chase_after_hours"])
    replies.append(Reply(ticket_line, (button(sit, "ticket_followup"), button(sit, "email_support"))))
    # Someone waiting in a queue is already in a chat: the ladder goes on from the 工单.
    return Answer(with_switch(sit, replies), "slow_response", ("alixiaomi", "order_page", "chase"))


def urgent_answer(sit: Situation) -> Answer:
    """urgent_request: the urgent tag (limits) and the account-security rule."""
    urgent = scenario("urgent_tag")
    security = scenario("account_security")
    return Answer(
        [
            Reply(line(sit, "urgent", what=urgent["what"], limits=urgent["limits"], keyword=security["subject_keyword"])),
            Reply(
                line(sit, "urgent_security", keyword=security["subject_keyword"]),
                (button(sit, "account_security"),),
            ),
        ],
        "urgent_request",
    )


def deadlines() -> Dict[str, Any]:
    """The guide's follow-up times as wording values: 催办 after {chase} h, {center} after {escalate} h."""
    ticket = scenario("ticket")
    center = scenario("consumer_protection")
    return {
        "chase": ticket["chase_after_hours"],
        "escalate": center["escalate_after_hours"],
        "center": center["name"],
        "intervene": center["intervene_within_hours"],
    }


def ticket_first_line(sit: Situation) -> str:
    """The 工单 with its deadlines in one line, before another step."""
    return line(sit, "ticket_first", path=ticket_path(), **deadlines())


def ladder_step_text(sit: Situation, step: str) -> str:
    """One step of the escalation ladder, filled from the guide."""
    ticket = scenario("ticket")
    center = scenario("consumer_protection")
    keyword = channel("transfer_keyword")["keyword"]
    how = channel("alixiaomi_web" if sit.device == "web" else "alixiaomi_app")["how"]
    seller = channel("seller_channel")
    values: Dict[str, Any] = {
        "alixiaomi": {"how": how, "keyword": keyword},
        "seller_chat": {"how": channel("alixiaomi_web")["how"], "keyword": keyword},
        "seller_desk": {"url": seller["url"], "entry": seller["entry"], **seller_hours(sit)},
        "order_page": {"queue": channel("order_page")["queue_notice"]},
        "ticket": {"path": ticket_path(), "choose": ticket["choose"], "chase": ticket["chase_after_hours"]},
        "chase": {"hours": ticket["chase_after_hours"]},
        "consumer_protection": {
            "hours": center["escalate_after_hours"],
            "center": center["name"],
            "intervene": center["intervene_within_hours"],
        },
        "email": {
            "address": channel("email")["address"],
            "keyword": scenario("account_security")["subject_keyword"],
        },
    }[step]
    return str(entry(sit, "ladder", step)).format(**values)


def next_ladder_step(sit: Situation) -> Optional[str]:
    """The next step of this role's ladder that the conversation has not given yet.

    When the message says which steps were tried, the step after the last of them comes next (a
    list of channels given earlier is rarely read to its end). Otherwise the ladder goes on from
    the highest step already given (after a problem's 工单 and 消费者保护中心 comes the e-mail with
    evidence, not 阿里小蜜 again), then wraps round to the unused earlier ones.
    """
    ladder = LADDERS[sit.role]
    tried = tried_steps(sit.text, ladder)
    if tried:
        last_tried = max(ladder.index(step) for step in tried)
        after = [step for step in ladder[last_tried + 1 :] if step not in tried]
        if after:
            return after[0]
    given = sit.given | tried
    reached = max((index for index, step in enumerate(ladder) if step in given), default=-1)
    for step in (*ladder[reached + 1 :], *ladder[: reached + 1]):
        if step not in given:
            return step
    return None


def ladder_answer(sit: Situation, lead_key: str = "not_helpful_ack", lead: Optional[str] = None) -> Answer:
    """not_helpful: acknowledge (or `lead`, a line already filled), then the next unused step; when
    used up, say so and offer the form (said once; asked again, how to make the same request stronger)."""
    step = next_ladder_step(sit)
    # The steps the user said they tried count as given from now on.
    tried = tuple(sorted(tried_steps(sit.text, LADDERS[sit.role])))
    if step is None:
        offer = form_offer(sit)
        done_key = "ladder_done_again" if "ladder_done" in sit.given else "ladder_done"
        return Answer([Reply(line(sit, done_key), offer.buttons)], "not_helpful", (*tried, "ladder_done"), awaiting="form")
    text = f"{lead or line(sit, lead_key)}\n{ladder_step_text(sit, step)}"
    buttons = (button(sit, "not_helpful"), button(sit, "start_support_request"))
    return Answer(
        with_switch(sit, [Reply(text, buttons)]),
        "not_helpful",
        (*tried, step),
        ladder_step=LADDERS[sit.role].index(step) + 1,
    )


def ladder_step_answer(sit: Situation, step: str) -> Answer:
    """One named step of the ladder (the user says its deadline has passed), given or not before."""
    text = f"{line(sit, 'next_step')}\n{ladder_step_text(sit, step)}"
    buttons = (button(sit, "not_helpful"), button(sit, "start_support_request"))
    return Answer([Reply(text, buttons)], sit.last_topic, (step,))


def waited_answer(sit: Situation, minutes: int) -> Answer:
    """A buyer says how long the problem has waited: the step the guide's deadlines open by now
    (消费者保护中心 past 48 h, 催办 past 24 h), or, before 24 h, to wait and when to chase."""
    times = deadlines()
    if minutes >= times["escalate"] * 60:
        # Past both deadlines: 催办 now, and the 消费者保护中心 is open too.
        steps = ("chase", "consumer_protection")
        text = "\n".join([line(sit, "next_step"), *(ladder_step_text(sit, step) for step in steps)])
        return Answer([Reply(text, (button(sit, "not_helpful"), button(sit, "start_support_request")))], sit.last_topic, steps)
    if minutes >= times["chase"] * 60:
        return ladder_step_answer(sit, "chase")
    text = line(sit, "too_early", reply_time=caution("reply_time")["rule"], **times)
    return Answer([Reply(text, (button(sit, "start_support_request"),))], sit.last_topic, ("chase",))


def upset_answer(sit: Situation) -> Answer:
    """Anger without a clear problem: acknowledge, ask what happened, offer the main topics."""
    return Answer([Reply(line(sit, "upset"), topic_buttons(sit))])


def unresolved_close(sit: Situation) -> Answer:
    """"那算了" / a no right after an unsolved problem: one short next step, not a goodbye."""
    step = next_ladder_step(sit)
    if step is None:
        return Answer([Reply(line(sit, "ladder_done"), form_offer(sit).buttons)], sit.last_topic, awaiting="form")
    text = line(sit, "unresolved_close", step=ladder_step_text(sit, step))
    return Answer(
        [Reply(text, form_offer(sit).buttons)],
        sit.last_topic,
        (step,),
        awaiting="form",
        ladder_step=LADDERS[sit.role].index(step) + 1,
    )


def resigned_answer(sit: Situation) -> Answer:
    """好吧 / 行吧 after the answers: a next step while one is left, then what is left, then goodbye.

    Nothing is offered twice: the form and the steps already given are not named again.
    """
    if "closed" in sit.given:
        return Answer([Reply(line(sit, "closing_resigned"))], sit.last_topic, ("closed",))
    if next_ladder_step(sit) is not None and "resigned" not in sit.given:
        answer = unresolved_close(sit)
        answer.given = (*answer.given, "resigned")
        return answer
    return Answer([Reply(line(sit, "resigned_close", **deadlines()))], sit.last_topic, ("resigned", "closed"))


# --- problems and special scenarios (section 04, 05) ----------------------------------------------


def buyer_problem_answer(sit: Situation, problem: str) -> Answer:
    """A buyer's problem: the 工单 path, evidence, the follow-up timeline, the form offer."""
    wording = reply("problems", sit.lang)[problem]
    times = deadlines()
    if "ticket_line" in wording:
        ticket_text = str(wording["ticket_line"]).format(lead=wording["lead"], path=ticket_path(), **times)
    else:
        ticket_text = line(sit, "problem_ticket", lead=wording["lead"], path=ticket_path(), case=wording["case"])
    if "extra" in wording:
        ticket_text = f"{ticket_text}\n{str(wording['extra']).format(**times)}"
    items = str(reply("list_sep", sit.lang)).join(wording["evidence"])
    first = f"{line(sit, 'problem_empathy')}{ticket_text}\n{line(sit, 'problem_evidence', items=items)}"
    timeline = line(sit, "problem_timeline", **times)
    if facet(sit.text, "night") or facet(sit.text, "how_long") or facet(sit.text, "hours"):
        timeline = f"{line(sit, 'problem_now', now=now_label(sit), reply_time=caution('reply_time')['rule'])}\n{timeline}"
    replies = with_switch(sit, [Reply(first), Reply(timeline)]) + [form_offer(sit)]
    return Answer(replies, problem, ("ticket", "chase", "consumer_protection"), awaiting="form")


def seller_problem_answer(sit: Situation, problem: str) -> Answer:
    """A seller's dispute, refund, complaint or appeal: the seller desk, seller-side wording."""
    what = reply("seller_problems", sit.lang)[problem]
    text = line(sit, "seller_problem", what=what, prepare=tip("prepare_information")["seller"])
    desk = seller_desk(sit)
    email = Reply(email_line(sit))
    return Answer([Reply(text), desk, replace(email, buttons=form_offer(sit).buttons)], problem, ("seller_desk", "email"), awaiting="form")


def seller_topic_answer(sit: Situation, topic: str) -> Answer:
    """A bad review or a late payout: the seller desk (the writer is a seller whatever was assumed)."""
    seller = replace(sit, role="seller", role_assumed=False)
    answer = seller_problem_answer(seller, topic)
    answer.topic = "seller_support"
    return answer


def problem_answer(sit: Situation, problem: str) -> Answer:
    if sit.role == "seller":
        return seller_problem_answer(sit, problem)
    return buyer_problem_answer(sit, problem)


def account_security_answer(sit: Situation) -> Answer:
    """account_security: every channel at once, 紧急 in the subject, privacy."""
    text = line(
        sit,
        "account_security",
        email=channel("email")["address"],
        keyword=scenario("account_security")["subject_keyword"],
        privacy=caution("privacy")["rule"],
    )
    replies = [Reply(text)]
    if sit.role == "seller":
        replies.append(seller_desk(sit))
    replies.append(form_offer(sit))
    return Answer(replies, "account_security", ("alixiaomi", "email"), awaiting="form")


def eu_answer(sit: Situation) -> Answer:
    """eu_responsible_person: what it is, where to ask, what to prepare (seller desk)."""
    eu = scenario("eu_responsible_person")
    text = line(sit, "eu_responsible_person", what=eu["what"], how=eu["how"], prepare=eu["prepare"])
    desk = seller_desk(sit)
    return Answer([Reply(text), replace(desk, buttons=(button(sit, "email_support"),))], "eu_responsible_person", ("seller_desk",))


def explain_answer(sit: Situation, term: str) -> Answer:
    """"阿里小蜜是啥 要另外下载吗": what the term is, then where it is."""
    lead = str(entry(sit, "explain", term)).format(chase=scenario("ticket")["chase_after_hours"])
    if term == "alixiaomi":
        return Answer([Reply("\n".join([lead, *alixiaomi_lines(sit)]))], sit.last_topic or "ask_contact_channels", ("alixiaomi",))
    if term == "chase":
        return Answer([Reply(lead)], sit.last_topic or "ticket_followup", ("chase",))
    if term == "announcement":
        return Answer([Reply(lead)], sit.last_topic or "find_responsible_person")
    if term == "consumer_protection":
        where = where_answer(replace(sit, last_topic="file_complaint"))
        return Answer([Reply(f"{lead}\n{where.replies[0].text.splitlines()[-1]}")], sit.last_topic or "file_complaint", ("consumer_protection",))
    text = line(sit, "where_ticket", path=ticket_path(), choose=scenario("ticket")["choose"])
    return Answer([Reply(f"{lead}\n{text}")], sit.last_topic or "ticket_followup", ("ticket",))


def on_behalf_answer(sit: Situation) -> Answer:
    """"那我替他问可以吗": yes, with their account and their order's evidence."""
    return Answer([Reply(line(sit, "on_behalf"), (button(sit, "request_human"),))], sit.last_topic)


def order_owner_answer(sit: Situation) -> Answer:
    """"是他下的单": the account the order is on handles its after-sales."""
    text = line(sit, "order_owner", path=ticket_path(), seller_button=channel("order_page")["button"], **self_service_values())
    return Answer([Reply(text)], sit.last_topic or "refund", ("ticket",))


def price_answer(sit: Situation) -> Answer:
    """A coupon that did not apply or a price drop: no promise, the seller or the platform's agents,
    with the screenshots that show it (a seller's own discounts: the seller desk)."""
    if sit.role == "seller":
        return desk_answer(sit, str(entry(sit, "price_issue", "seller")), "seller_support")
    values = {"seller_button": channel("order_page")["button"], "keyword": channel("transfer_keyword")["keyword"]}
    text = str(entry(sit, "price_issue", "buyer")).format(**values)
    return Answer([Reply(text, (button(sit, "start_support_request"),))], "refund", ("alixiaomi",))


def verify_answer(sit: Situation) -> Answer:
    """"How do I check with the real support" after a scam warning: the official ways in only."""
    return channels_answer(replace(sit, given=frozenset()), intro_key="verify_intro")


def change_password_answer(sit: Situation) -> Answer:
    """"账号密码也要改吗" (after a scam or a break-in): yes, now, and tell customer service."""
    security = scenario("account_security")
    text = line(sit, "change_password", email=channel("email")["address"], keyword=security["subject_keyword"])
    return Answer([Reply(text)], sit.last_topic or "account_security", ("email",))


def address_answer(sit: Situation) -> Answer:
    """"地址写错了 还能改吗": the seller and the carrier, quickly; the chat when the seller is silent.
    A seller whose parcel came back for a wrong address asks the seller desk."""
    if sit.role == "seller":
        return seller_support_answer(sit)
    return Answer([Reply(line(sit, "address_lead"), (button(sit, "find_responsible_person"),))], "contact_seller", ("order_page", "alixiaomi"))


def login_answer(sit: Situation) -> Answer:
    """"要先登入吗 / 右上角没有Help": yes, the web entry is on the logged-in site; the app's path too."""
    if sit.lang == "zh":
        web, app = channel("alixiaomi_web")["how"], channel("alixiaomi_app")["how"]
    else:
        web, app = (str(entry(sit, "alixiaomi_line", name)) for name in ("web", "app"))
    return Answer([Reply(line(sit, "login_first", web=web, app=app))], sit.last_topic or "ask_contact_channels", ("alixiaomi",))


def still_lost_answer(sit: Situation) -> Answer:
    """"还是不会" after the steps, twice: someone to help on the phone, or the e-mail with no app at all."""
    return Answer([Reply(line(sit, "still_lost", email=channel("email")["address"]))], sit.last_topic, ("email",))


def not_official_answer(sit: Situation) -> Answer:
    """"你是速卖通官方的吗": no, an assistant; the official channels."""
    return Answer([Reply(line(sit, "not_official", email=channel("email")["address"]), (button(sit, "request_human"),))], sit.last_topic)


def assistant_privacy_answer(sit: Situation) -> Answer:
    """"你会存我的聊天记录吗": what this assistant keeps, and what never to send anywhere."""
    return Answer([Reply(line(sit, "assistant_privacy", privacy=caution("privacy")["rule"]))], sit.last_topic)


def keep_sending_answer(sit: Situation) -> Answer:
    """"那我还要不要接着发": no, repeats are marked invalid and flooding lowers the priority; one
    complete message, anything new added to it."""
    text = line(sit, "keep_sending", no_repeats=caution("no_repeats")["rule"], no_flooding=caution("no_flooding")["rule"])
    return Answer([Reply(text)], sit.last_topic or "slow_response")


def policy_answer(sit: Situation) -> Answer:
    """"运费谁出 / 合理吗": the case's agents decide who pays, not the assistant; where to have it decided."""
    if sit.role == "seller":
        seller = channel("seller_channel")
        text = line(sit, "policy_question_seller", url=seller["url"], entry=seller["entry"])
        return Answer([Reply(text)], sit.last_topic or "seller_support", ("seller_desk",))
    text = line(sit, "policy_question", path=ticket_path())
    topic = sit.last_topic or problem_named(sit.text) or "refund"
    return Answer([Reply(text, (button(sit, "start_support_request"),))], topic, ("ticket",))


def eu_binding_failed_answer(sit: Situation) -> Answer:
    """Binding the EU responsible person keeps failing: the seller desk, and what to have ready."""
    eu = scenario("eu_responsible_person")
    text = f"{line(sit, 'eu_binding_failed', prepare=eu['prepare'])}\n{seller_desk(sit).text}"
    return Answer([Reply(text, (button(sit, "email_support"),))], "eu_responsible_person", ("seller_desk",))


def eu_inside_eu_answer(sit: Situation) -> Answer:
    """"我人在义乌 自己能当吗": no, the EU responsible person is someone inside the EU."""
    eu = scenario("eu_responsible_person")
    return Answer([Reply(line(sit, "eu_inside_eu", what=eu["what"]))], "eu_responsible_person")


def eu_without_company_answer(sit: Situation) -> Answer:
    """"我们在欧洲没公司" after the EU responsible person: who can be one instead, and where to ask."""
    eu = scenario("eu_responsible_person")
    text = line(sit, "eu_without_company", fact=eu["without_eu_company"], how=eu["how"])
    return Answer([Reply(text)], "eu_responsible_person", ("seller_desk",))


def scam_answer(sit: Situation) -> Answer:
    """scam_check: official agents have no fixed names, no 内部通道, privacy, verify officially."""
    text = line(
        sit,
        "scam_check",
        official=caution("official_agents")["rule"],
        scam=caution("internal_channel_scam")["rule"],
        privacy=caution("privacy")["rule"],
        email=channel("email")["address"],
    )
    if sit.role == "seller":
        text = f"{text}\n{line(sit, 'scam_seller_desk', url=channel('seller_channel')['url'])}"
    return Answer([Reply(text, (button(sit, "ask_contact_channels"),))], "scam_check")


def knows_order_answer(sit: Situation) -> Answer:
    """"He knew my order number": that proves nothing; official staff never ask off-platform."""
    text = line(sit, "knows_order", scam=caution("internal_channel_scam")["rule"], email=channel("email")["address"])
    return Answer([Reply(text, (button(sit, "ask_contact_channels"),))], "scam_check")


def evidence_answer(sit: Situation) -> Answer:
    """Where photos and screenshots go: the 工单 or an e-mail (sellers: the seller desk or e-mail)."""
    seller = channel("seller_channel")
    problem = reply("problems", sit.lang).get(str(sit.last_topic), {})
    items = problem.get("evidence") or caution("upload_evidence")["items"]
    text = str(entry(sit, "evidence", sit.role)).format(
        path=ticket_path(),
        items=str(reply("list_sep", sit.lang)).join(items),
        address=channel("email")["address"],
        url=seller["url"],
        entry=seller["entry"],
    )
    given = ("seller_desk", "email") if sit.role == "seller" else ("ticket", "email")
    return Answer(with_switch(sit, [Reply(text, (button(sit, "start_support_request"),))]), sit.last_topic or "email_support", given)


def scam_paid_answer(sit: Situation) -> Answer:
    """Money already sent after a scam: stop paying, bank, police (110 / 96110), every channel, 紧急."""
    text = line(
        sit,
        "scam_paid",
        official=caution("official_agents")["rule"],
        keyword=scenario("account_security")["subject_keyword"],
        email=channel("email")["address"],
    )
    return Answer([Reply(text)], "scam_paid", ("alixiaomi", "email"))


# --- direct answers -------------------------------------------------------------------------------


def other_platform_answer(sit: Situation, platform: str) -> Answer:
    """淘宝, 京东 …: this assistant covers AliExpress only ("那速卖通呢" then gets the ways to a human);
    asked for that platform's phone, also that AliExpress publishes none."""
    text = line(sit, "other_platform", platform=platform)
    if has_cue(sit.text, "same_as"):
        # "速卖通和淘宝是一家的吗": the company behind each (separate customer service either way).
        group = "same_group" if has_cue(platform, "alibaba_group") else "other_company"
        text = f"{line(sit, group, platform=platform)}\n{text}"
    if facet(sit.text, "phone"):
        text = f"{text}\n{line(sit, 'other_platform_phone')}"
    return Answer([Reply(text, topic_buttons(sit))], "other_platform")


def dedicated_contact_answer(sit: Situation) -> Answer:
    """"有没有专门对接的业务经理": no fixed person; the channel for this role."""
    if sit.role == "seller":
        return desk_answer(sit, line(sit, "dedicated_contact"), "seller_support")
    way = "\n".join(alixiaomi_lines(sit))
    return Answer([Reply(f"{line(sit, 'dedicated_contact')}\n{way}")], sit.last_topic or "request_human", ("alixiaomi",))


def seller_reply_time_answer(sit: Situation) -> Answer:
    """"周日上午能回我吗" about a store: its replies are up to the store; the platform if it never does."""
    text = line(sit, "seller_reply_time", seller_button=channel("order_page")["button"], keyword=channel("transfer_keyword")["keyword"])
    return Answer([Reply(text)], "contact_seller", ("order_page",))


def forgot_password_answer(sit: Situation) -> Answer:
    """"密码忘了": the sign-in page's reset first; locked out, the e-mail (buyers) or the desk (sellers)."""
    if sit.role == "seller":
        return desk_answer(sit, str(entry(sit, "forgot_password", "seller")), "account_security")
    text = str(entry(sit, "forgot_password", "buyer")).format(
        email=channel("email")["address"], urgent=scenario("account_security")["subject_keyword"]
    )
    return Answer([Reply(text)], "account_security", ("email",))


def typing_help_answer(sit: Situation) -> Answer:
    """"我打字慢 就想打电话说": no phone line, but voice input, family, and one structured sentence."""
    text = line(sit, "typing_help", email=channel("email")["address"])
    return Answer([Reply(text, (button(sit, "start_support_request"),))], sit.last_topic or "ask_contact_channels", ("email",))


def chase_harassment_answer(sit: Situation) -> Answer:
    """"我现在去催 会不会被当成骚扰": no, 催办 after the deadline is the normal way; flooding is not."""
    return Answer([Reply(line(sit, "chase_harassment", hours=scenario("ticket")["chase_after_hours"]))], sit.last_topic or "ticket_followup", ("chase",))


def cannot_do_answer(sit: Situation, asked: str) -> Answer:
    """Transfer, look up an order, chase a ticket: not the assistant, but where the user can.

    What was asked comes first, so that asking for another one is a new answer. A seller's ways
    are the seller desk's.
    """
    lead = reply("cannot_do_other", sit.lang).get(asked) or line(sit, "cannot_do")
    if sit.role == "seller":
        return Answer([Reply(lead), seller_desk(sit)], "seller_support", ("seller_desk",))
    values = {**self_service_values(), "path": ticket_path(), "hours": scenario("ticket")["chase_after_hours"]}
    ways = reply("cannot_do_where", sit.lang)
    order = dict.fromkeys(kind for kind in (asked, *ways) if kind in ways)
    lines = [lead, *(str(ways[kind]).format(**values) for kind in order)]
    given = {"transfer": ("alixiaomi",), "chase": ("chase",)}.get(asked, ())
    # Asked to be transferred, the topic is reaching a human ("还是不行" next gets the next step);
    # asked to chase, the 工单 ("提交才一天" next is about its deadlines).
    topic = sit.last_topic or {"transfer": "request_human", "chase": "ticket_followup"}.get(asked)
    return Answer([Reply("\n".join(lines), (button(sit, "start_support_request"),))], topic, given, awaiting="why_not")


def self_service_values() -> Dict[str, str]:
    """What the user can do without the assistant: the transfer keyword and the way to the orders."""
    return {
        "keyword": channel("transfer_keyword")["keyword"],
        "orders": str(reply("ticket_path_sep")).join(channel("alixiaomi_app").path[:2]),
    }


def cannot_do_why_answer(sit: Situation) -> Answer:
    """"为什么不能 / 那谁能查" after what the assistant cannot do: why, and who can."""
    text = line(sit, "cannot_do_why", seller_button=channel("order_page")["button"], **self_service_values())
    return Answer([Reply(text, (button(sit, "start_support_request"),))], sit.last_topic)


def scam_followup_answer(sit: Situation) -> Answer:
    """More about the same lure ("他说这样更快发货", "点了但是没填"): off-platform is never safe,
    what to do after only opening the link, and after paying."""
    text = line(sit, "scam_followup", email=channel("email")["address"])
    return Answer([Reply(text, (button(sit, "ask_contact_channels"),))], "scam_check")


def queue_answer(sit: Situation) -> Answer:
    """Waiting long in the queue for a person: how the queue is sorted, what speeds it up."""
    text = line(
        sit,
        "queue_tips",
        smart_queue=tip("timing")["smart_queue_2024"],
        no_flooding=caution("no_flooding")["rule"],
        off_peak=tip("timing")["off_peak"],
        hours=scenario("ticket")["chase_after_hours"],
    )
    return Answer([Reply(text, (button(sit, "not_helpful"),))], sit.last_topic or "slow_response", ("ticket", "chase"))


def email_unanswered_answer(sit: Situation) -> Answer:
    """The e-mail went unanswered: how long it takes, and the channels to use meanwhile."""
    text = line(sit, "email_unanswered", address=channel("email")["address"], keyword=channel("transfer_keyword")["keyword"], **deadlines())
    return Answer([Reply(text, (button(sit, "not_helpful"),))], sit.last_topic or "email_support", ("email", "alixiaomi", "chase", "consumer_protection"))


def seller_desk_steps_answer(sit: Situation) -> Answer:
    """"进去以后呢" after the seller desk: what to do on its page."""
    seller = channel("seller_channel")
    text = line(
        sit,
        "seller_desk_steps",
        position=seller["entry_position"],
        entry=seller["entry"],
        email=channel("email")["address"],
        **seller_hours(sit),
    )
    return Answer([Reply(text)], sit.last_topic, ("seller_desk",))


TOPIC_ANSWERS: Dict[str, Callable[[Situation], Answer]] = {
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
    "scam_paid": scam_paid_answer,
    "not_helpful": ladder_answer,
    **{problem: (lambda sit, problem=problem: problem_answer(sit, problem)) for problem in PROBLEM_INTENTS},
}


# Asides with one answer whatever the intent and the topic, when the message has a word of the
# cues.yml list (and none of the `unless` list): (cue list, answer, unless). Checked in this order.
ASIDE_ANSWERS: Tuple[Tuple[str, Callable[[Situation], Answer], Optional[str]], ...] = (
    ("claims_staff", staff_claim_answer, "third_party"),
    ("compensation", simple_line_answer("compensation", "refund", ("ticket",)), None),
    ("how_many_photos", simple_line_answer("how_many_photos", "damaged_item"), None),
    ("no_proof", simple_line_answer("no_proof", "not_received"), None),
    ("store_fee", store_fee_answer, None),
    ("peak_hours", peak_hours_answer, None),
    ("recommend_store", simple_line_answer("recommend_store", "find_responsible_person"), None),
    ("app_language", simple_line_answer("app_language"), None),
    ("birthday", birthday_answer, None),
    ("sign_language", sign_language_answer, None),
    ("price_issue", price_answer, "other_platforms"),
    ("off_platform_pay", off_platform_answer, "buyer_says"),
    ("withdraw_case", simple_line_answer("keep_case_open", "refund"), "buyer_says"),
    ("id_document", id_document_answer, None),
    ("order_number_safe", simple_line_answer("order_number_safe"), None),
    ("store_question", not_the_store_answer, None),
    ("no_bother", simple_line_answer("no_bother"), None),
    ("seller_first", seller_first_answer, None),
    ("currency", currency_answer, "payout_words"),
    ("payment_method", simple_line_answer("payment_method"), None),
    ("too_cheap", simple_line_answer("too_cheap"), None),
    ("forgot_password", forgot_password_answer, None),
    ("english_ui", simple_line_answer("english_ui", "request_human", ("alixiaomi",)), None),
    ("requeue", simple_line_answer("requeue", "slow_response", ("order_page",)), None),
    ("dedicated_contact", dedicated_contact_answer, None),
    ("slow_typing", typing_help_answer, "callback"),
    ("chase_harassment", chase_harassment_answer, None),
    ("confirm_first", simple_line_answer("confirm_first", "damaged_item", ("ticket",)), None),
    ("order_owner", order_owner_answer, None),
    ("change_password", change_password_answer, None),
    ("address_change", address_answer, None),
    ("keep_sending", keep_sending_answer, None),
    ("refund_or_exchange", simple_line_answer("refund_or_exchange", "refund"), None),
    ("is_order_number", simple_line_answer("is_order_number"), None),
    ("leave_page", simple_line_answer("leave_page", "slow_response"), None),
    ("store_gone", simple_line_answer("store_gone", "request_human"), None),
    ("guarantee", simple_line_answer("no_guarantee", "refund"), None),
    ("busy_daytime", simple_line_answer("busy_daytime", "email_support"), None),
    ("earlier_sent", simple_line_answer("earlier_sent", "slow_response"), None),
    ("what_evidence", what_evidence_answer, None),
    ("arrival_promise", simple_line_answer("no_arrival_promise", "contact_seller"), "service_words"),
    ("high_value", simple_line_answer("high_value", "urgent_request"), None),
    ("roles_difference", simple_line_answer("roles_difference", "request_human"), None),
    ("common_mistakes", simple_line_answer("common_mistakes", "communication_tips"), None),
    ("queue_rule", queue_answer, None),
    ("am_i_seller", simple_line_answer("am_i_seller", "request_human"), None),
    ("named_number", lambda sit: phone_answer(sit, lead_key="not_aliexpress_number"), None),
    ("languages", simple_line_answer("languages"), "in_english"),
    ("public_computer", simple_line_answer("public_computer", "account_security"), None),
    ("medical", simple_line_answer("medical", "damaged_item"), None),
    ("per_order", simple_line_answer("per_order", "refund", ("ticket",)), None),
    ("reason_choice", simple_line_answer("reason_choice", "refund", ("ticket",)), None),
    ("seller_promise", simple_line_answer("seller_promise", "contact_seller"), "scam_lure"),
    ("not_order_number", simple_line_answer("not_order_number"), None),
    ("how_to_write", how_to_write_answer, None),
    ("invoice", simple_line_answer("invoice", "contact_seller", ("order_page",)), None),
    ("rules_where", simple_line_answer("rules_where", "seller_support", ("seller_desk",)), None),
)


def aside_answer(sit: Situation) -> Optional[Answer]:
    """The answer of the first aside the message names (ASIDE_ANSWERS), if any."""
    for cue, answer, unless in ASIDE_ANSWERS:
        if has_cue(sit.text, cue) and not (unless and has_cue(sit.text, unless)):
            return answer(sit)
    return None


def answer_topic(topic: str, sit: Situation) -> Answer:
    """The answer to `topic` for this situation (the role implied by the topic when unknown)."""
    implied = IMPLIED_ROLES.get(topic)
    if implied and sit.role_assumed:
        sit = replace(sit, role=implied, role_assumed=False)
    if topic == "seller_support" and sit.role == "buyer" and not sit.role_assumed:
        return channels_answer(sit)  # a buyer asking for "the desk": the buyer's ways
    if topic == "contact_seller" and sit.role == "seller":
        return seller_problem_answer(sit, "file_complaint")  # a seller's trouble with a buyer
    return TOPIC_ANSWERS[topic](sit)


def fit_screen(item: Reply) -> List[Reply]:
    """A bubble longer than a phone screen, split at line ends; the buttons go with the last part."""
    parts: List[str] = []
    for text_line in item.text.split("\n"):
        if parts and len(parts[-1]) + 1 + len(text_line) <= MAX_BUBBLE:
            parts[-1] = f"{parts[-1]}\n{text_line}"
        else:
            parts.append(text_line)
    if len(parts) == 1:
        return [item]
    return [Reply(text) for text in parts[:-1]] + [Reply(parts[-1], item.buttons)]


def briefly(answer: Answer) -> Answer:
    """The answer for a user who asked for short answers: the lines of its first bubble that fit
    BRIEF_BUBBLE characters (an answer leads with the step that matters), with all its buttons."""
    kept: List[str] = []
    lines = answer.replies[0].text.split("\n") if answer.replies else []
    # An acknowledgement leading the answer is kept beside the step, not instead of it.
    lead = lines[:1] if lines and any(str(mark) in lines[0] for mark in reply("empathy_marks")) and len(lines) > 1 else []
    budget = BRIEF_BUBBLE - sum(len(text_line) + 1 for text_line in lead)
    for text_line in lines[len(lead):]:
        # A line that leads into the next ("You can:") is no answer without it.
        leads_in = bool(kept) and kept[-1].rstrip().endswith((":", "："))
        if kept and not leads_in and len(kept) + sum(map(len, kept)) + len(text_line) > budget:
            break
        kept.append(text_line)
    kept = lead + kept
    if not kept:
        return answer
    buttons = tuple(dict.fromkeys(pair for item in answer.replies for pair in item.buttons))
    return replace(answer, replies=[Reply("\n".join(kept), buttons)])


def say(dispatcher: CollectingDispatcher, replies: Sequence[Reply]) -> None:
    """The single exit: bubbles that fit a phone screen, never showing a placeholder contact."""
    for item in replies:
        for part in fit_screen(replace(item, text=mask_placeholders(item.text))):
            buttons = [{"title": title, "payload": payload} for title, payload in part.buttons]
            dispatcher.utter_message(text=part.text, buttons=buttons)
