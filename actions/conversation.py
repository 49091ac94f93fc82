"""`action_answer`: the one action that answers every user turn outside the form's own steps.

Rules map each intent to it (data/rules/); it reads the conversation's context from slots,
decides with `respond` (a pure function of the frozen turn) and records the new context:

* `last_topic`: what the last answer was about, so that a follow-up (晚上呢 / 要多久 / 在哪 /
  那邮箱呢) and a role correction are answered about it;
* `channels_given`: the channels and escalation steps already named, so that "还是不行" gets
  the next unused step and "还有别的吗" only what is new; `ladder_step` counts the steps given;
  it also notes what else was said once: "where" (the entry path; asked again it is said step by
  step), "not_transferring", "resigned" (a next step after 好吧) and "closed" (what is left, then
  only a goodbye);
* `role_assumed`: the answer was for a buyer by default (a switch button was offered);
* `awaiting`: "form" after offering the support request form (a typed yes starts it),
  "clarify" after asking which of a few topics was meant;
* `language`: zh or en, from the message's words (or the widget's customData.language).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import clock
from actions.session import metadata_value
from actions.guidance import (
    DEVICES,
    assistant_privacy_answer,
    briefly,
    still_lost_answer,
    ladder_step_answer,
    seller_desk,
    seller_topic_answer,
    eu_binding_failed_answer,
    eu_inside_eu_answer,
    login_answer,
    change_password_answer,
    on_behalf_answer,
    seller_reply_time_answer,
    verify_answer,
    explain_answer,
    not_official_answer,
    policy_answer,
    eu_without_company_answer,
    local_time_answer,
    channels_answer,
    IMPLIED_ROLES,
    LADDERS,
    PROBLEM_INTENTS,
    ROLES,
    TOPIC_ANSWERS,
    Answer,
    Reply,
    Situation,
    answer_topic,
    aside_answer,
    bank_answer,
    with_empathy,
    button,
    callback_answer,
    cannot_do_answer,
    cannot_do_why_answer,
    email_unanswered_answer,
    queue_answer,
    scam_followup_answer,
    seller_desk_steps_answer,
    capabilities_answer,
    example_answer,
    iamabot_answer,
    evidence_answer,
    fastest_answer,
    fit_screen,
    knows_order_answer,
    resigned_answer,
    responsible_answer,
    responsible_rest_answer,
    seller_silent_answer,
    where_responsible_answer,
    not_transferring_answer,
    form_offer,
    how_long_answer,
    ladder_answer,
    next_ladder_step,
    leaked_table_answer,
    line,
    other_platform_answer,
    phone_answer,
    privacy_answer,
    say,
    seller_after_close_answer,
    seller_desk_closed,
    seller_wait_answer,
    topic_buttons,
    with_switch,
    unresolved_close,
    upset_answer,
    waited_answer,
    where_answer,
    where_steps_answer,
    open_now_answer,
    simple_line_answer,
    claims_official_answer,
    no_pretend_answer,
    money_back_answer,
    scammer_again_answer,
    tell_platform_answer,
    on_platform_answer,
    blames_platform_answer,
    no_permission_answer,
    update_visible_answer,
    remote_access_answer,
    report_scammer_answer,
    ticket_first_line,
    urgent_answer,
    working_hours_answer,
)
from actions.knowledge import LANGUAGES, channel, contains_placeholder, mask_placeholders, reply
from actions.request_form.reading import previous_bot_texts
from actions.request_form.summary import where_to_send
from actions.request_form.validation import ValidateSupportRequestForm, deadline_clause, form_question_line
from actions.understanding import (
    asked_part,
    asked_to_do,
    facet,
    has_cue,
    names_problem,
    seller_topic,
    numbered_questions,
    problem_among,
    language_of,
    last_clause,
    other_platform,
    problem_named,
    says_scam_paid,
    stated_role,
    tried_steps,
    term_asked,
    time_zone_named,
    waited_minutes,
)

FORM = "support_request_form"
# "What should I prepare" with these intents and nothing asked before: the tips.
PREPARE_INTENTS = ("seller_support", "ask_contact_channels", "request_human", "nlu_fallback", "out_of_scope")
FORM_DETAIL_ENTITIES = ("order_id", "issue_category", "request_goal", "expected_time")
# After these the problem is not solved yet: 那算了 / 不用了 gets a next step, not a goodbye.
UNRESOLVED_TOPICS = (*PROBLEM_INTENTS, "not_helpful", "slow_response", "bot_not_transferring", "scam_paid")
# Said again after an answer about reaching a human, these mean "that did not work".
COMPLAINTS = ("bot_not_transferring", "slow_response")
# Whatever they answer, these intents say the user is unhappy: the answer acknowledges it first.
COMPLAINT_INTENTS = (*COMPLAINTS, "not_helpful")
# A thanks, a goodbye, a yes or a no that also complains is a complaint, never a closing.
CLOSING_INTENTS = ("thank", "goodbye", "affirm", "deny")
HUMAN_TOPICS = ("ask_contact_channels", "request_human", "bot_not_transferring", "slow_response", "not_helpful")
# A message this short with a thanks in it is a closing, whatever else the NLU read in it.
SHORT_MESSAGE = 16
SHORT_ENGLISH_WORDS = 8  # "I'm on my laptop, not the app" is short for English
# "网页上怎么找" after an answer: the same topic again, for that device.
DEVICE_FOLLOW_UPS = ("inform", "nlu_fallback", "out_of_scope", "ask_contact_channels", "request_human")
# Named in a message, these are answered for themselves, never as a follow-up of the last topic.
OWN_ANSWER_TOPICS = (*PROBLEM_INTENTS, "account_security", "scam_check")
# A yes or no with nothing asked and longer than this is a mumble or another question.
LONGEST_YES = 4
# After these an unclear message is about the same matter (restated, never guessed away): an
# emergency, or the urgent tag ("我买的是手机，两千多" after asking whether it may be marked urgent).
STAY_ON_TOPIC = ("scam_paid", "account_security", "urgent_request")
# After them these intents ask how to tell the platform about the same emergency.
STAY_ON_TOPIC_INTENTS = ("communication_tips", "nlu_fallback", "out_of_scope", "inform", "file_complaint")
# After these a mention of the police is about the same scam: the scam steps again (110 / 96110).
SCAM_TOPICS = ("scam_check", "account_security", "scam_paid")
# After a scam warning, the follow-up whose words the message has, whatever the intent: a claim to be
# official, telling AliExpress, reporting the scammer, the risk, the money, a password typed on the
# scam page, the scammer calling again.
SCAM_FOLLOW_UPS: Tuple[Tuple[str, Callable[[Situation], Answer]], ...] = (
    ("gave_nothing", simple_line_answer("safe_so_far")),
    ("claims_official", claims_official_answer),
    ("tell_platform", tell_platform_answer),
    ("report_scammer", report_scammer_answer),
    ("what_risk", simple_line_answer("what_risk")),
    ("money_back", money_back_answer),
    ("entered_credentials", change_password_answer),
    ("scammer_again", scammer_again_answer),
    ("anxious", simple_line_answer("scam_calm")),
    ("platform_help", simple_line_answer("off_platform_paid", None, ("alixiaomi", "email"))),
    ("payment_named", simple_line_answer("paid_method")),
)
# Answers that gave the seller desk and its hours.
DESK_TOPICS = ("seller_support", "working_hours")
# A resigned 好吧 / 行吧 longer than this is another question ("好吧，那邮箱是哪个").
LONGEST_RESIGNED = 8
LONGEST_RESIGNED_WORDS = 3
# Intents whose answer does not depend on the previous topic.
SMALL_TALK = ("greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "out_of_scope")
# Candidates never offered when the NLU is unsure: a button "打招呼" helps nobody.
NOT_OFFERED = ("nlu_fallback", "inform", "start_support_request", *SMALL_TALK)
CLARIFY_CHOICES = 3
# A seller naming a buyer's dispute in a message read as one of these gets the dispute's answer.
SELLER_DISPUTE_INTENTS = ("seller_support", "request_human", "ask_contact_channels", "nlu_fallback", "not_helpful", "slow_response")
SELLER_DISPUTES = (*PROBLEM_INTENTS, "account_security")


@dataclass(frozen=True)
class Turn:
    """The latest user message and the context the conversation holds."""

    sit: Situation
    intent: Optional[str]
    entities: FrozenSet[str] = frozenset()
    ranking: Tuple[str, ...] = ()
    awaiting: Optional[str] = None
    in_form: bool = False
    role_stated: bool = False
    previous_texts: FrozenSet[str] = field(default_factory=frozenset)
    # The category of the request being written, if any (where it is sent depends on it).
    request_category: Optional[str] = None
    # The user asked for short answers ("字太小看不清"): one short bubble from then on.
    brief: bool = False
    # The role the answers so far assumed without being told (None when stated or not assumed).
    assumed_before: Optional[str] = None


def scam_follow_up(sit: Situation) -> Optional[Answer]:
    """The answer of SCAM_FOLLOW_UPS to a message after a scam answer, if its words are there."""
    if sit.last_topic not in SCAM_TOPICS:
        return None
    return next((answer(sit) for cue, answer in SCAM_FOLLOW_UPS if has_cue(sit.text, cue)), None)


def respond(turn: Turn) -> Tuple[Answer, List[EventType]]:
    """The answer to the turn, plus events beyond the context slots (e.g. starting the form).

    The stages run in order and the first that answers wins: what the words say outranks what the
    NLU read, and an emergency outranks everything."""
    if turn.in_form and turn.intent in ("start_support_request", "affirm"):
        return Answer([]), []  # "写一下发给客服的", "嗯" while it is being written: the form asks on
    answer, events = next(filter(None, (stage(turn) for stage in STAGES)), None) or intent_answer(turn)
    web_way_given = any("Help" in item.text for item in answer.replies)
    if has_cue(turn.sit.text, "app_broken") and not turn.in_form and not web_way_given:
        # The app crashes or is missing: whatever the answer, the website's way in comes first.
        answer.replies.insert(0, Reply(line(turn.sit, "app_broken_web", keyword=channel("transfer_keyword")["keyword"])))
    return answer, events


def safety_answer(turn: Turn) -> Optional[Tuple[Answer, List[EventType]]]:
    """Scams, money sent, remote access, impersonation: said in the message (or after a scam
    answer), these have one answer whatever the intent."""
    sit, intent, text = turn.sit, turn.intent, turn.sit.text
    # Money sent with any scam word in the message is the emergency, whatever problem it ends on
    # ("转了800给自称客服的人，说交保证金才能退款" ends on 退款).
    scam_told = sit.last_topic in SCAM_TOPICS or names_problem(text, "scam_check") or has_cue(text, "scam_lure")
    method_told = sit.last_topic == "scam_paid" and has_cue(text, "payment_named")  # "I paid with PayPal": where to dispute it
    if says_scam_paid(text) and (scam_told or has_cue(text, "vanished")) and not method_told:
        return answer_topic("scam_paid", sit), []  # "已经转了8000过去 现在人联系不上了" needs no scam word
    installed_for_scammer = has_cue(text, "installed") and sit.last_topic in SCAM_TOPICS  # "我已经装了" after the warning
    if (has_cue(text, "remote_access_done") or installed_for_scammer) and not turn.in_form:
        return remote_access_answer(sit), []
    after_scam = scam_follow_up(sit)
    if after_scam is not None:
        return after_scam, []
    if has_cue(text, "what_risk") and "privacy" in sit.given:
        return simple_line_answer("what_risk")(sit), []  # "才5刀 能有啥风险" after the warning about private contact
    if has_cue(text, "instead") and "off_platform" in sit.given:
        return on_platform_answer(sit), []
    if has_cue(text, "instead") and sit.last_topic in SCAM_TOPICS and not turn.in_form:
        # "那正规解封走哪" after the scam's steps: the official way for this role.
        seller = sit.role == "seller" or has_cue(text, "seller_words") or bool(seller_topic(text))
        return answer_topic("seller_support" if seller else "request_human", sit), []
    if has_cue(text, "blames_platform") and has_cue(text, "seller_words") and sit.role == "buyer" and not turn.in_form:
        return blames_platform_answer(sit), []
    if has_cue(text, "no_permission") and (sit.role == "seller" or sit.last_topic in ("find_responsible_person", *DESK_TOPICS)) \
            and not turn.in_form:
        return no_permission_answer(sit), []
    if has_cue(text, "knows_order"):
        return knows_order_answer(sit), []  # "连我的订单号都说得出来，让我扫码退款": what knowing it proves, first
    if has_cue(text, "pretend_or_ignore"):
        return no_pretend_answer(sit), []  # "假装是人工客服…" is no impersonation scam: the assistant refuses
    if has_cue(text, "scam_lure"):
        return answer_topic("scam_check", sit), []
    if has_cue(text, "police") and (sit.last_topic in SCAM_TOPICS or has_cue(text, "money_lost")) and not turn.in_form:
        return answer_topic("scam_paid", sit), []
    if has_cue(text, "bank") and sit.role == "buyer" and intent != "seller_support" and not turn.in_form:
        # After a scam the bank is there to stop the payment (the emergency's steps); else a wrong
        # charge. (A seller's buyer who went to the bank is a dispute: the seller desk.)
        return (answer_topic("scam_paid", sit) if scam_told else bank_answer(sit)), []
    if has_cue(text, "link_words") and sit.last_topic == "scam_check" and problem_named(text) in (None, "refund", "scam_check"):
        return scam_followup_answer(sit), []  # "链接是aliexpress-refund.cn 看着挺像的": the same lure
    if has_cue(text, "health_harm") and sit.role == "buyer" and not turn.in_form:
        # "面霜用了过敏 红肿": stop using it and see a doctor, then the defect's after-sales path.
        answer = answer_topic("damaged_item", sit)
        answer.replies.insert(0, Reply(line(sit, "health_first")))
        return answer, []
    return None


def direct_answer(turn: Turn) -> Optional[Tuple[Answer, List[EventType]]]:
    """Questions with one answer whatever came before: asides, terms, the assistant itself, other
    platforms, e-mail, privacy and what the assistant cannot do."""
    sit, intent, text = turn.sit, turn.intent, turn.sit.text
    aside = aside_answer(sit)  # (inside the form only digressions reach here: the form takes its answers)
    if aside is not None:
        return aside, []
    if has_cue(text, "top_right") and facet(text, "where") and sit.role == "buyer" and not turn.in_form:
        return where_answer(replace(sit, last_topic="request_human", device="web")), []  # the web's Help button
    if has_cue(text, "store_page") and facet(text, "where") and sit.role == "buyer" and not turn.in_form:
        return where_responsible_answer(sit), []  # "店铺首页在app哪里"
    term = term_asked(text)
    if term and not turn.in_form:
        return explain_answer(sit, term), []
    if has_cue(text, "asks_if_official") and not turn.in_form:
        # "他是官方的吗" asks about someone who contacted them: the scam check, not what the assistant is.
        return (answer_topic("scam_check", sit) if has_cue(text, "third_party") else not_official_answer(sit)), []
    if has_cue(text, "assistant_privacy") and not has_cue(text, "private_contact") and not turn.in_form:
        return assistant_privacy_answer(sit), []
    seller_only = seller_topic(text)
    hacked = names_problem(text, "account_security")  # "they changed the payout bank card" is a break-in first
    if seller_only and not (turn.role_stated and sit.role == "buyer") and not turn.in_form and not asked_to_do(text) and not hacked:
        return seller_topic_answer(sit, seller_only), [SlotSet("role", "seller")]
    if has_cue(text, "cannot_login") and not turn.in_form and not names_problem(text, "scam_check"):
        return answer_topic("account_security", sit), []  # the chat needs the account: e-mail, 紧急
    if facet(text, "link") and (sit.role == "seller" or sit.last_topic in DESK_TOPICS) and sit.last_topic not in SCAM_TOPICS \
            and not turn.in_form:
        return Answer([seller_desk(sit)], "seller_support", ("seller_desk",)), []  # the desk's address
    if facet(text, "no_order_number") and not turn.in_form:
        return Answer([Reply(line(sit, "order_number_where"))], sit.last_topic), []
    if facet(text, "still_lost") and "where_steps" in sit.given and not turn.in_form:
        return still_lost_answer(sit), []
    if facet(text, "login") and not turn.in_form:
        return login_answer(sit), []
    if facet(text, "other_way") and sit.last_topic and not (facet(text, "email") or facet(text, "phone")) and not turn.in_form:
        return ladder_answer(sit, lead_key="next_step"), []
    if has_cue(text, "on_behalf") and has_cue(text, "asking") and not turn.in_form:
        # "替客户问 包裹没收到 能找客服吗": whose account acts, then the problem's path (or the ways to a person).
        named = problem_named(text)
        if named is None:
            return on_behalf_answer(sit), []
        answer = answer_topic(named if named in PROBLEM_INTENTS else "request_human", sit)
        answer.replies.insert(0, on_behalf_answer(sit).replies[0])
        return answer, []
    if has_cue(text, "store_phone") and sit.role == "buyer" and not turn.in_form:
        answer = where_responsible_answer(sit)  # the store's own contact: on its page
        if has_cue(text, "platform_give"):
            answer.replies.insert(0, Reply(line(sit, "no_private_phone")))  # "你们平台不能直接给我他的电话吗"
        return answer, []
    if has_cue(text, "in_english") and sit.last_topic in TOPIC_ANSWERS:
        # "Can you say it in English?": the last answer again, in English, from the start.
        return answer_topic(str(sit.last_topic), replace(sit, lang="en", given=frozenset())), [SlotSet("language", "en")]
    if has_cue(text, "doubt") and "no_phone" in sit.given:
        return phone_answer(sit, lead_key="no_phone_again"), []
    if has_cue(text, "doubt") and sit.last_topic in TOPIC_ANSWERS and problem_named(text) in (None, sit.last_topic) \
            and not turn.in_form:
        # "你给的不对吧 我记得是support@…", "你刚才不是说24小时都在吗": the same facts again, checked.
        answer = answer_topic(str(sit.last_topic), replace(sit, given=frozenset()))
        first = answer.replies[0]
        answer.replies = [replace(first, text=f"{line(sit, 'doubt_restate')}\n{first.text}"), *answer.replies[1:]]
        return answer, []
    if has_cue(text, "wants_short") and sit.last_topic in TOPIC_ANSWERS and problem_named(text) is None and not turn.in_form:
        # "太长了 说人话": the last answer again, short (ActionAnswer shortens it from now on).
        return answer_topic(str(sit.last_topic), replace(sit, given=frozenset())), []
    if has_cue(text, "why_must") and sit.last_topic in PROBLEM_INTENTS and sit.role == "buyer" and not turn.in_form:
        return Answer([Reply(line(sit, "why_evidence"))], sit.last_topic, ("ticket",)), []  # "凭什么 我是消费者"
    if has_cue(text, "how_many_ways") and sit.last_topic == "find_responsible_person" and not turn.in_form:
        return responsible_answer(sit, every_way=True), []  # "那一共有几种查法": the guide's four
    if has_cue(text, "how_many_ways") and sit.last_topic in TOPIC_ANSWERS and not turn.in_form:
        return answer_topic(str(sit.last_topic), replace(sit, given=frozenset())), []
    if facet(text, "how_to_verify") and sit.last_topic in SCAM_TOPICS:
        return verify_answer(sit), []
    if facet(text, "verify_official") and sit.last_topic in SCAM_TOPICS:
        return answer_topic("scam_check", sit), []
    if facet(text, "subject") and (facet(text, "email") or "email" in sit.given):
        return answer_topic("email_support", sit), []  # the subject line of a mail, whatever the mail is about
    if (has_cue(text, "leaked_table") or contains_placeholder(text)) and not asked_to_do(text):
        return leaked_table_answer(sit), []
    if asks_for_email(turn):
        return answer_topic("email_support", sit), []  # the address asked for, whatever the mail is about
    platform = other_platform(text)
    if platform and intent not in ("thank", "goodbye") and (not has_cue(text, "this_platform") or has_cue(text, "same_as")):
        return other_platform_answer(sit, platform), []
    if sit.last_topic == "other_platform" and has_cue(text, "this_platform") and problem_named(text) is None:
        return answer_topic("request_human", sit), []  # the same question, now about AliExpress
    if has_cue(text, "private_contact") and not names_problem(text, "scam_check"):
        return privacy_answer(sit), []
    asked = asked_to_do(text)
    # "他说能帮我催退款" tells of a scammer and "打什么字它才给我转" asks for the keyword: no requests to the assistant.
    if asked and not names_problem(text, "scam_check") and not facet(text, "what_to_type"):
        if sit.role == "seller" or seller_topic(text):
            return cannot_do_answer(replace(sit, role="seller", role_assumed=False), asked), [SlotSet("role", "seller")]
        return cannot_do_answer(sit, asked), []
    return None


def conversation_answer(turn: Turn) -> Optional[Tuple[Answer, List[EventType]]]:
    """The user's stance on the conversation so far: a role corrected, giving up or waiting, the robot
    still not transferring, evidence, one's own store, where the request goes."""
    sit, intent, text = turn.sit, turn.intent, turn.sit.text
    if turn.role_stated and sit.last_topic in TOPIC_ANSWERS and (intent in ("inform", "nlu_fallback") or has_cue(text, "correction")):
        bare = "device" not in turn.entities and not any(facet(text, name) for name in ("where", "hours", "email", "phone", "next"))
        if turn.assumed_before == sit.role and bare and problem_named(text) is None and not has_cue(text, "asking") and len(text) <= SHORT_MESSAGE \
                and sit.last_topic not in DESK_TOPICS:
            return Answer([Reply(line(sit, "role_confirmed"))], sit.last_topic), []  # "我是买家哦" after answers for buyers
        return role_switched(sit), []
    if has_cue(text, "solved") and not names_problem(text, "not_helpful") and not has_cue(text, "asking"):
        return Answer([Reply(line(sit, "closing_solved"))]), []  # "算了 刚刚人工接了 问题解决了"
    if has_cue(text, "going_to_sleep") and len(text) <= SHORT_MESSAGE and not has_cue(text, "asking"):
        return Answer([Reply(line(sit, "closing_night"))], sit.last_topic), []  # "好 睡了"
    if is_resigned(turn):
        return resigned_answer(sit), []
    if (has_cue(text, "cannot_wait") or has_cue(text, "seller_says") and has_cue(text, "will_wait")) and sit.last_topic in PROBLEM_INTENTS and sit.role == "buyer" and not turn.in_form:
        answer = answer_topic(str(sit.last_topic), replace(sit, given=frozenset()))
        first = answer.replies[0]
        answer.replies = [replace(first, text=f"{line(sit, 'cannot_wait_lead')}\n{first.text}"), *answer.replies[1:]]
        return answer, []
    if has_cue(text, "later") and len(text) <= SHORT_MESSAGE and sit.last_topic not in UNRESOLVED_TOPICS and not turn.in_form:
        return Answer([Reply(line(sit, "closing_later"))], sit.last_topic), []
    if has_cue(text, "will_wait") and sit.last_topic in UNRESOLVED_TOPICS and not turn.in_form:
        return resigned_answer(sit), []  # "行吧那我再等等": the deadlines to keep in mind while waiting
    if has_cue(text, "still_a_bot") and "not_transferring" not in sit.given and not turn.in_form:
        return not_transferring_once(sit), []
    if has_cue(text, "still_a_bot") and "email" not in sit.given and sit.role == "buyer" and not turn.in_form:
        return ladder_step_answer(sit, "email"), []  # the tips did not work: a person reads the e-mail
    if has_cue(text, "callback") and not names_problem(text, "scam_check"):
        return callback_answer(sit), []
    if has_cue(text, "refused_anyway") and sit.role == "buyer" and sit.last_topic and not turn.in_form:
        return where_answer(replace(sit, last_topic="file_complaint")), []  # proof given and refused: the next step up
    has_evidence = facet(text, "attachment") and sit.last_topic in PROBLEM_INTENTS and (len(text) <= SHORT_MESSAGE or has_cue(text, "asking"))
    if facet(text, "attachment") and has_cue(text, "is_normal") and not turn.in_form:
        return Answer([Reply(line(sit, "evidence_normal"))], sit.last_topic or "damaged_item"), []  # "seller asks for a video, is that normal?"
    if facet(text, "attachment") and (facet(text, "upload") or has_evidence) and not turn.in_form:
        return evidence_answer(sit), []
    if has_cue(text, "others_store") and sit.last_topic == "find_responsible_person" and not turn.in_form:
        # "不是我的店，是别人的店": a buyer's question after all (where the store shows its contact).
        return where_responsible_answer(replace(sit, role="buyer", role_assumed=False)), [SlotSet("role", "buyer")]
    if is_own_store(turn):
        # One's own store: the seller center, and the seller from now on (the desk for what follows).
        return responsible_answer(replace(sit, role="seller", role_assumed=False)), [SlotSet("role", "seller")]
    if facet(text, "send_where") and sit.lang == "zh" and not turn.in_form:
        # The request written (or about to be): where it goes for this role, device and problem.
        role = None if sit.role_assumed else sit.role
        return Answer([Reply(where_to_send(role, sit.device, turn.request_category or "", sit.now))], sit.last_topic), []
    if has_cue(text, "form_request") and not turn.in_form:
        return Answer([]), [FollowupAction(FORM)]
    if has_cue(asked_part(text), "policy_question") and not turn.in_form:
        return policy_answer(sit), []
    return None


def words_over_intent(turn: Turn) -> Optional[Tuple[Answer, List[EventType]]]:
    """Where the words name the need more surely than the NLU's intent (a person wanted, a scam, the
    problem behind an urgent or angry message)."""
    sit, intent, text = turn.sit, turn.intent, turn.sit.text
    if intent == "seller_support" and not turn.role_stated and sit.role != "seller" and problem_named(text) == "request_human" \
            and not has_cue(text, "seller_words"):
        return answer_topic("request_human", sit), []  # "怎么找人工客服" misread as the seller desk
    if intent in COMPLAINTS and problem_named(text) == "request_human" and has_cue(text, "how_to_reach") and not is_complaint(turn) \
            and not has_cue(text, "still_a_bot") and not facet(text, "how_long") and not turn.in_form:
        return answer_topic("request_human", sit), []  # "如何我可以说话与一个人类代理": asking the way, not waiting
    wants_person = has_cue(text, "bot_words") and names_problem(text, "request_human") or problem_named(text) == "request_human"
    if intent in PROBLEM_INTENTS and wants_person and not turn.in_form:
        # Stuck with the robot, or a story that ends on "想找个真人问问" (the wish said after the
        # problem): a person first, then the problem.
        return answer_topic("request_human", sit), []
    named = problem_named(text)
    if named == "seller_support" and facet(text, "where") and intent in PROBLEM_INTENTS and not turn.in_form:
        return answer_topic("seller_support", sit), []  # "向我提问那个图标在哪": the desk's button, whatever problem the NLU read
    if named in ("scam_check", "account_security") and intent in ("scam_check", "account_security") and named != intent:
        return answer_topic(str(named), sit), []  # the words tell a scam from a hacked account
    if named == "scam_check" and intent != "scam_check":
        return answer_topic("scam_check", sit), []
    if intent == "bot_not_transferring" and named in PROBLEM_INTENTS and not has_cue(text, "bot_words") \
            and not names_problem(text, "request_human") and not turn.in_form:
        return answer_topic(str(named), sit), []  # "按摩仪用了两天就不转了": a motor, not the robot
    if intent in ("bot_challenge", "greet", "out_of_scope") and named in PROBLEM_INTENTS and not has_cue(text, "asks_if_bot"):
        return answer_topic(str(named), sit), []  # "是不是被平台吞了" names the problem, whatever the NLU read
    if intent == "urgent_request" and named in PROBLEM_INTENTS and not facet(text, "urgent_tag") and not turn.in_form:
        # "笔记本 屏幕碎的 急": the broken item's path (its evidence), with what the urgent tag can do.
        answer = answer_topic(str(named), sit)
        answer.replies.insert(1, urgent_answer(sit).replies[0])
        return answer, []
    if facet(text, "urgent_tag") and not names_problem(text, "scam_check") and not turn.in_form:
        return answer_topic("urgent_request", sit), []  # "能标紧急吗" whatever problem it is about
    if is_complaint(turn) and intent in CLOSING_INTENTS and not turn.in_form:
        # "谢谢啊 真是帮了大忙了 一个问题都没解决", "聊一半就把我挂了 气死": no closing for a complaint.
        return (ladder_answer(sit) if sit.last_topic else agent_or_upset_answer(turn)), []
    # "这家店客服态度太差了 我要找店铺负责人": the wish after the complaint, whatever the NLU weighed more.
    wants_store = problem_named(text) == "find_responsible_person"
    if has_cue(text, "agent_complaint") and (intent not in PROBLEM_INTENTS or wants_store) and not sit.last_topic and not turn.in_form:
        return agent_or_upset_answer(turn), []
    return None


def context_answer(turn: Turn) -> Optional[Tuple[Answer, List[EventType]]]:
    """Closings, follow-ups about the last topic, waiting, escalation after what was tried, and a
    seller's dispute."""
    sit, intent, text = turn.sit, turn.intent, turn.sit.text
    # "我去投诉了，谢谢": they go and do it; "谢谢你。在网站上何处？" asks on.
    asks_on = has_cue(text, "asking") and any(facet(text, name) for name in ("where", "hours", "email", "how_long"))
    if has_cue(text, "thanks") and len(text) <= SHORT_MESSAGE and (intent not in PROBLEM_INTENTS or has_cue(text, "going_to")) \
            and not asks_on:
        return Answer([Reply(line(sit, "closing"))]), []
    if has_cue(text, "going_to") and has_cue(text, "agreed") and len(text) <= SHORT_MESSAGE and not turn.in_form \
            and not has_cue(text, "asking") and not is_complaint(turn):
        return Answer([Reply(line(sit, "closing_going"))]), []  # "好的我去跟老板说": they go and do it
    if (facet(text, "my_time") or time_zone_named(text) and sit.last_topic in DESK_TOPICS and problem_named(text) is None) \
            and not turn.in_form:
        return local_time_answer(sit), []  # "so what is that in my time"; "西班牙" after the hours
    if sit.last_topic == "eu_responsible_person" and facet(text, "no_eu_company"):
        return eu_without_company_answer(sit), []
    if sit.last_topic == "eu_responsible_person" and facet(text, "be_it_myself"):
        return eu_inside_eu_answer(sit), []
    if (sit.last_topic == "eu_responsible_person" or names_problem(text, "eu_responsible_person")) and facet(text, "binding_failed"):
        return eu_binding_failed_answer(sit), []
    if has_cue(text, "what_can_you_do") and not turn.in_form:
        return capabilities_answer(sit), []
    if asks_person_again(turn):
        return not_transferring_once(sit, lead_key="human_again"), []  # "那我总得能跟人说话吧" after the ways
    if intent != "thank" or has_cue(text, "asking"):  # "Thank you. Which word should I type?"
        answered = follow_up(turn)
        if answered is not None:
            return answered, []
    waited = waited_minutes(text)
    if waited is not None and names_problem(text, "ticket_followup") and sit.role == "buyer" and not turn.in_form:
        return waited_answer(replace(sit, last_topic="ticket_followup"), waited), []  # "工单交了三天了 没人理"
    # "邮件也发了…全都没用", "小蜜里输了人工，等半天没人": the step after those tried (a robot that
    # will not transfer gets its tips first, in topic_answer).
    complained = sit.last_topic is not None or names_problem(text, "not_helpful")
    tried = tried_steps(text, LADDERS[sit.role])
    if tried and complained and intent not in (*SMALL_TALK, "bot_not_transferring") and not turn.in_form:
        return ladder_answer(sit), []
    # A question about the hours or how long is answered first; anything else unclear stays on the emergency.
    if sit.last_topic == "scam_paid" and intent == "scam_check" and not names_problem(text, "scam_check"):
        return answer_topic("scam_paid", sit), []  # after money was sent, the same emergency's steps
    # After a scam answer a message naming no problem is about the same lure, not a parcel problem the NLU guessed.
    unnamed_problem = intent in PROBLEM_INTENTS and problem_named(text) is None
    told_where = has_cue(text, "third_party") or has_cue(text, "off_platform_contact")  # "是在微信上找我要的"
    if sit.last_topic == "scam_check" and (unnamed_problem or intent in STAY_ON_TOPIC_INTENTS or told_where):
        return scam_followup_answer(sit), []
    # (the urgent tag's limits are no emergency: a problem named after them gets its own answer)
    leaves_urgent = sit.last_topic == "urgent_request" and problem_named(text) in PROBLEM_INTENTS
    if sit.last_topic in STAY_ON_TOPIC and (intent in STAY_ON_TOPIC_INTENTS or unnamed_problem) and not leaves_urgent:
        return answer_topic(str(sit.last_topic), sit), []
    # A short message naming only a device ("web 上呢", "diannao shang ne") whatever the NLU read in it.
    short = len(text) <= SHORT_MESSAGE or (sit.lang == "en" and len(text.split()) <= SHORT_ENGLISH_WORDS)
    short_aside = short and not has_cue(text, "thanks") and problem_named(text) in (None, "request_human") \
        and (intent in SMALL_TALK or not any(facet(text, name) for name in ("hours", "email", "phone", "how_long")))
    if "device" in turn.entities and sit.device and sit.last_topic in TOPIC_ANSWERS and (intent in DEVICE_FOLLOW_UPS or short_aside):
        # "网页上怎么找" is the same topic for that device; "客服在哪 我用的网页版" asks for a person.
        topic = "request_human" if problem_named(text) == "request_human" else str(sit.last_topic)
        return answer_topic(topic, replace(sit, given=frozenset())), []
    if intent == "seller_support" and sit.role == "buyer" and sit.last_topic in PROBLEM_INTENTS and not turn.role_stated \
            and problem_named(text) in (None, sit.last_topic):
        return answer_topic(str(sit.last_topic), sit), []  # "卖家说是海关的问题": the buyer's problem goes on
    named = problem_named(text)
    if intent == "seller_support" and has_cue(text, "not_the_seller") and named in PROBLEM_INTENTS:
        return answer_topic(str(named), sit), []  # "raise it with AliExpress itself, not the seller"
    dispute = seller_dispute(turn)
    if dispute is not None:
        return dispute, [SlotSet("role", "seller")]  # the seller from now on (the desk for what follows)
    return None


def intent_answer(turn: Turn) -> Tuple[Answer, List[EventType]]:
    """The answer to the NLU's intent when no stage before answered."""
    intent = turn.intent
    if intent == "inform":
        return inform_answer(turn)
    if intent == "nlu_fallback":
        return unsure_answer(turn), []
    if intent in SMALL_TALK:
        return small_talk_answer(turn)
    return topic_answer(turn), []


STAGES: Tuple[Callable[[Turn], Optional[Tuple[Answer, List[EventType]]]], ...] = (
    safety_answer, direct_answer, conversation_answer, words_over_intent, context_answer,
)


def respond_each(turn: Turn, questions: List[str]) -> Tuple[Answer, List[EventType]]:
    """A message that numbers its questions ("第一…第二…"): each answered as if asked alone (the
    intent was read for the whole message), in order, without a bubble twice."""
    replies: List[Reply] = []
    given: List[str] = []
    topic = None
    for question in questions:
        alone = replace(turn, sit=replace(turn.sit, text=question), intent="nlu_fallback", entities=frozenset(), ranking=())
        answer, _ = respond(alone)
        replies += [item for item in answer.replies if item.text not in {kept.text for kept in replies}]
        given += answer.given
        topic = answer.topic or topic
    return Answer(replies, topic, tuple(dict.fromkeys(given))), []


def is_complaint(turn: Turn) -> bool:
    """Anger, sarcasm, a complaint about an agent or words that say nothing helped."""
    text = turn.sit.text
    return has_cue(text, "upset") or has_cue(text, "agent_complaint") or names_problem(text, "not_helpful")


def asks_person_again(turn: Turn) -> bool:
    """A person asked for again right after the ways to one (not a new device, problem or question)."""
    sit = turn.sit
    if turn.in_form or turn.intent != "request_human" or sit.last_topic not in HUMAN_TOPICS:
        return False
    if "alixiaomi" not in sit.given or "not_transferring" in sit.given or "device" in turn.entities:
        return False
    return problem_named(sit.text) in (None, "request_human") and not any(
        facet(sit.text, name) for name in ("where", "hours", "phone", "email", "how_long", "fastest", "what_to_type")
    )


def needs_empathy(turn: Turn) -> bool:
    """A complaint, a wait or a reply that never came: the answer acknowledges it first."""
    text = turn.sit.text
    waited = facet(text, "no_reply") or facet(text, "queue")
    if turn.in_form or has_cue(text, "in_english"):
        return False  # "english reply pls" is a request, whatever the NLU read in it
    asks_the_way = has_cue(text, "how_to_reach") and not has_cue(text, "still_a_bot")  # "如何我可以说话与一个人类代理"
    return is_complaint(turn) or waited or (turn.intent in COMPLAINT_INTENTS and not asks_the_way)


def asks_for_email(turn: Turn) -> bool:
    """The message asks for the e-mail itself (its address, whether it is worth it), not about a
    mail already sent (no reply, how long) or its subject line."""
    text = turn.sit.text
    if turn.in_form or not facet(text, "email"):
        return False
    if facet(text, "email_content"):
        return True  # what to write in it, at any hour: the e-mail answer has the template
    if not facet(text, "email_ask"):
        return False
    # At night or at the weekend it asks whether anyone reads it now: the hours (with the time now).
    return not any(facet(text, name) for name in ("no_reply", "how_long", "subject", "night", "weekend"))


def agent_or_upset_answer(turn: Turn) -> Answer:
    """A complaint with no topic yet: about an agent, another way in (and the complaint route);
    anything else, asked what happened."""
    if has_cue(turn.sit.text, "agent_complaint"):
        # "这家店客服态度太差了 我要找店铺负责人": the store's contact; else another way to a person.
        wanted = "find_responsible_person" if names_problem(turn.sit.text, "find_responsible_person") else "request_human"
        return answer_topic(wanted, turn.sit)
    return upset_answer(turn.sit)


def not_transferring_once(sit: Situation, lead_key: Optional[str] = None) -> Answer:
    """The tips for getting past the robot, noted as given so that the next complaint gets the ladder;
    `lead_key` acknowledges a complaint first."""
    answer = not_transferring_answer(sit)
    answer.given = (*answer.given, "not_transferring")
    if lead_key:
        first = answer.replies[0]
        answer.replies = [replace(first, text=f"{line(sit, lead_key)}\n{first.text}"), *answer.replies[1:]]
    return answer


def seller_dispute(turn: Turn) -> Optional[Answer]:
    """A seller whose message names a buyer's dispute anywhere in it (a long story ending on
    "who do I contact") gets that dispute's seller-side answer, not only the seller desk."""
    sit, intent = turn.sit, turn.intent
    buyer_said = turn.role_stated and sit.role == "buyer"  # "我在速卖通进货…自己店里卖" buys here
    seller = sit.role == "seller" and not sit.role_assumed or intent == "seller_support" and not buyer_said
    if not seller or intent not in SELLER_DISPUTE_INTENTS:
        return None
    problem = problem_among(sit.text, SELLER_DISPUTES)
    if problem is None or problem == sit.last_topic:
        return None
    return answer_topic(problem, replace(sit, role="seller", role_assumed=False))


def is_own_store(turn: Turn) -> bool:
    """The store details asked about are the user's own (my store, a change to a store, a seller)."""
    sit, text = turn.sit, turn.sit.text
    about_store = has_cue(text, "store_details") or sit.last_topic == "find_responsible_person"
    if not about_store or turn.role_stated and sit.role == "buyer":
        return False
    changed = facet(text, "change") and has_cue(text, "store_word")
    return has_cue(text, "own_store") or changed or turn.role_stated and sit.role == "seller"


def is_resigned(turn: Turn) -> bool:
    """A short 好吧 / 行吧 / 算了 after an unsolved problem or the ladder (not inside the form)."""
    sit = turn.sit
    short = len(sit.text) <= LONGEST_RESIGNED or language_of(sit.text) != "zh" and len(sit.text.split()) <= LONGEST_RESIGNED_WORDS
    if turn.in_form or not short or not has_cue(sit.text, "resigned"):
        return False
    if problem_named(sit.text) in PROBLEM_INTENTS:
        return False  # "那算了直接退款" gives up one way for another
    if {"resigned", "closed"} & sit.given:
        return True
    # A 好吧 to the form offer is a yes while steps are left; once the ladder is used up it is resignation.
    offered_form = turn.awaiting == "form" and next_ladder_step(sit) is not None
    return sit.last_topic in UNRESOLVED_TOPICS and (has_cue(sit.text, "giving_up") or not offered_form)


def role_switched(sit: Situation) -> Answer:
    """The last topic answered again for the role the user just stated; a problem the correction
    names ("其实我是买家，我开的纠纷卖家不回") is the topic now, and a buyer never keeps the seller desk."""
    named = problem_named(sit.text)
    topic = named if named in (*PROBLEM_INTENTS, "contact_seller") else str(sit.last_topic)
    if sit.role == "buyer" and topic == "seller_support":
        topic = "request_human"
    if sit.role == "seller" and topic in HUMAN_TOPICS:
        topic = "seller_support"  # a seller's way to a person is the seller desk
    answer = answer_topic(topic, replace(sit, last_topic=topic, given=frozenset()))
    lead = str(reply("role_switched", sit.lang)[sit.role])
    first = answer.replies[0]
    answer.replies = with_switch(sit, [replace(first, text=f"{lead}\n{first.text}"), *answer.replies[1:]])
    return answer


def follow_up(turn: Turn) -> Optional[Answer]:
    """A question about the previous topic: where, how long, when, a phone number.

    In a long message the question is its last part: a story's "用了几天" is not "how long", and
    a story that ends on "客服邮箱有吗" asks for the address.
    """
    sit, text = turn.sit, turn.sit.text
    asked = asked_part(text)
    named = problem_named(text)
    if turn.awaiting == "why_not" and facet(text, "why_not"):
        return cannot_do_why_answer(sit)
    if facet(text, "no_reply") and (facet(text, "email") or sit.last_topic == "email_support"):
        return email_unanswered_answer(sit)
    if facet(text, "queue") and sit.last_topic in (*HUMAN_TOPICS, *PROBLEM_INTENTS, None) and not tried_steps(text, LADDERS[sit.role]):
        return queue_answer(sit)  # (a channel named as tried and waited on: the next step, in respond)
    if asked != text and facet(asked, "email") and problem_named(asked) in (None, "email_support"):
        return answer_topic("email_support", sit)
    if named is not None and named != sit.last_topic and named in OWN_ANSWER_TOPICS:
        return None  # a new problem or an emergency: its own answer
    if facet(text, "email_content") and sit.last_topic == "email_support" and not facet(text, "subject"):
        return Answer([Reply(line(sit, "email_body"))], "email_support")  # "正文呢" after the address and subject
    if facet(text, "address") and sit.last_topic == "email_support":
        return answer_topic("email_support", sit)  # "地址是啥" after the e-mail: the address
    if facet(text, "too_late") and sit.role == "seller":
        return seller_after_close_answer(sit)
    if sit.last_topic == "urgent_request" and facet(text, "missing"):
        return Answer([Reply(line(sit, "urgent_missing"))], "urgent_request", ("chase", "consumer_protection"))
    if sit.last_topic == "find_responsible_person" and facet(text, "missing"):
        return responsible_rest_answer(sit)  # the store page shows no contact: the other ways
    if sit.last_topic == "find_responsible_person" and facet(text, "phone"):
        return where_responsible_answer(sit)  # the store's phone, not the platform's: on the store page
    if facet(text, "what_to_type") and sit.last_topic in (*HUMAN_TOPICS, None):
        return not_transferring_once(sit)  # the words that make the robot hand over
    if facet(text, "phone") and (sit.last_topic not in SCAM_TOPICS or has_cue(text, "asking")):
        return phone_answer(sit)  # ("是在微信上找我要的" after a scam warning tells where it happened)
    if facet(text, "prepare") and (sit.last_topic or turn.intent in PREPARE_INTENTS):
        return answer_topic("communication_tips", sit)
    if facet(text, "if_no_answer") and sit.last_topic:
        return how_long_answer(sit, lead_key="if_no_answer")
    if has_cue(text, "closing_time"):
        return working_hours_answer(sit)  # "还有多久下班": the desk's hours and the time now
    if facet(asked, "how_long") and sit.role == "seller" and sit.last_topic == "find_responsible_person":
        return update_visible_answer(sit)  # "改完买家多久能看到新的"
    if facet(asked, "how_long") and sit.role == "seller" and (sit.last_topic in DESK_TOPICS or "seller_desk" in sit.given) \
            and seller_desk_closed(sit):
        return seller_wait_answer(sit)  # waiting for the desk to open, not for a reply
    if facet(asked, "how_long"):
        return how_long_answer(sit)
    desk_waits = sit.role == "seller" and sit.last_topic in DESK_TOPICS and seller_desk_closed(sit)
    if desk_waits and (facet(text, "next") or has_cue(text, "will_wait")):
        return seller_wait_answer(sit)  # "那现在还能干嘛" / "行 等几分钟": when it opens, the e-mail meanwhile
    if facet(text, "now") and sit.last_topic in DESK_TOPICS:
        return open_now_answer(sit)  # "那现在呢" after the hours: open or not right now, and the way in
    if facet(text, "fastest") and sit.last_topic in (*HUMAN_TOPICS, *PROBLEM_INTENTS, "contact_seller", "slow_response", None):
        return fastest_answer(sit)
    waited = waited_minutes(text)
    if sit.last_topic in UNRESOLVED_TOPICS and waited is not None and sit.role == "buyer":
        return waited_answer(sit, waited)  # "都十天了" / "it's been 50 hours": the step the deadlines open by now
    tail = last_clause(text)
    if facet(text, "hours") and facet(tail, "where") and not facet(tail, "hours"):
        # "你说早上9点上班 我现在去哪找": the hours quoted, the way in asked.
        return answer_topic("seller_support", sit) if names_problem(text, "seller_support") else where_answer(sit)
    if facet(text, "hours") and has_cue(text, "reply_words") and sit.last_topic == "contact_seller" and sit.role == "buyer":
        return seller_reply_time_answer(sit)  # the store's own replies, not the platform's hours
    if facet(text, "hours") or facet(text, "best_time"):
        return working_hours_answer(sit)
    if facet(text, "in_progress") and facet(text, "where") and sit.role == "buyer" and named in (None, "request_human") \
            and "where_steps" not in sit.given:
        return where_steps_answer(sit)  # "进去了 订单里没看到联系客服": part-way, a button not where it was said
    if not sit.last_topic or (named is not None and named != sit.last_topic):
        return None
    if facet(text, "example") and not facet(text, "email"):
        return example_answer(sit)
    if facet(text, "in_progress") and sit.last_topic in HUMAN_TOPICS and sit.role == "buyer":
        return where_steps_answer(sit)  # part-way along the path: the steps with where each button sits
    if sit.last_topic in UNRESOLVED_TOPICS and facet(text, "chased"):
        return where_answer(replace(sit, last_topic="file_complaint"))  # 催办 did nothing: the 消费者保护中心
    if sit.role == "seller" and sit.last_topic in (*DESK_TOPICS, *HUMAN_TOPICS) and (facet(text, "on_the_page") or facet(text, "in_progress")):
        return seller_desk_steps_answer(sit)  # on the desk's page: what to click and write
    if sit.last_topic == "email_support" and (facet(text, "attachment") or facet(text, "faster") or facet(text, "upload")):
        return answer_topic("email_support", sit)  # attachments, or how to get the mail handled first
    if facet(text, "next") and sit.last_topic == "slow_response":
        return answer_topic("ticket_followup", sit)  # still nothing after the wait: chase the 工单
    if facet(text, "next") and sit.last_topic in PROBLEM_INTENTS and sit.role == "buyer" and "ticket" in sit.given:
        return where_answer(sit)  # "what now?" after the 工单 steps: where to submit it
    if has_cue(text, "chase_when"):
        return how_long_answer(replace(sit, last_topic="ticket_followup"))  # "when can I chase it?": the 24 h rule
    if facet(text, "chase_where"):
        return answer_topic("ticket_followup", sit)  # "在哪催": the 工单 page and its 催办 button
    if facet(text, "where"):
        return where_answer(sit)
    if facet(text, "next") and sit.last_topic in (*UNRESOLVED_TOPICS, "urgent_request"):
        # "那我还能怎么办" asks what to do, not what comes after the 工单 failed: it stays the first thing.
        ticket_first = sit.role == "buyer" and "ticket" in sit.given and not tried_steps(text, LADDERS["buyer"])
        return ladder_answer(sit, lead_key="next_step", lead=ticket_first_line(sit) if ticket_first else None)
    return None


def topic_answer(turn: Turn) -> Answer:
    """A topic intent, answered in the context of the conversation."""
    sit, intent = turn.sit, str(turn.intent)
    named = problem_named(sit.text)
    if intent == "working_hours" and not facet(sit.text, "hours") and named in TOPIC_ANSWERS:
        return answer_topic(str(named), sit)  # the words name another topic than the NLU's
    if intent == "working_hours" and named in PROBLEM_INTENTS and sit.role == "buyer":
        return answer_topic(str(named), sit)  # a buyer's problem at night: its answer, with the time now
    if intent == "scam_check" and not names_problem(sit.text, "scam_check") and not has_cue(sit.text, "third_party") \
            and sit.last_topic not in SCAM_TOPICS:
        # No scam word and nobody else in it: the topic it names, else the few likeliest topics to pick from.
        return answer_topic(str(named), sit) if named in TOPIC_ANSWERS else unsure_answer(turn)
    if intent in ("not_helpful", "slow_response") and named == "contact_seller" and sit.role == "buyer" and sit.last_topic:
        return seller_silent_answer(sit)  # the seller does not answer: the platform's ways
    if intent == "seller_support" and turn.role_stated and sit.role == "buyer" and named in PROBLEM_INTENTS:
        return answer_topic(str(named), sit)  # a buyer who sells elsewhere: the buyer's problem path
    if intent == "seller_support" and sit.role == "seller" and named in (*PROBLEM_INTENTS, "account_security"):
        return answer_topic(str(named), sit)  # a seller's dispute: seller-side wording, evidence to attach
    if intent == "not_helpful" and named in PROBLEM_INTENTS and named != sit.last_topic and not names_problem(sit.text, "not_helpful"):
        return answer_topic(str(named), sit)  # "那纠纷怎么开" names another problem, says nothing failed
    if intent == "not_helpful" and not sit.last_topic and named in PROBLEM_INTENTS:
        return answer_topic(str(named), sit)  # a first message cannot complain about an answer: its problem
    if intent == "slow_response" and sit.last_topic in PROBLEM_INTENTS:
        return how_long_answer(sit)
    if intent == "bot_not_transferring" and sit.last_topic in HUMAN_TOPICS and "not_transferring" not in sit.given:
        return not_transferring_once(sit, lead_key="not_transferring_ack")  # the tips before the next channel
    if intent in COMPLAINTS and sit.last_topic in HUMAN_TOPICS and not facet(sit.text, "how_long"):
        return ladder_answer(sit)
    if intent == "not_helpful" and not sit.last_topic:
        return upset_answer(sit)  # nothing was answered yet: find out what the problem is
    if intent not in TOPIC_ANSWERS:
        return Answer([Reply(line(sit, "out_of_scope"), topic_buttons(sit))])
    return answer_topic(intent, sit)


def inform_answer(turn: Turn) -> Tuple[Answer, List[EventType]]:
    """`inform` outside the form: a whole request starts the form, a role or device is noted,
    other details are offered the form."""
    sit = turn.sit
    details = turn.entities & set(FORM_DETAIL_ENTITIES)
    if "order_id" in details and len(details) >= 2 or details and turn.awaiting == "form":
        # The request told whole, or a detail given after the form was offered: the form takes every value now.
        return Answer([]), [FollowupAction(FORM)]
    named = problem_named(sit.text)
    if "order_id" not in turn.entities and named in PROBLEM_INTENTS:
        return answer_topic(str(named), sit), []  # "鞋子…穿着像36 想return": the problem, then the form is offered
    if turn.entities & set(FORM_DETAIL_ENTITIES):
        offer = form_offer(sit)
        text = f"{line(sit, 'inform_details')}{line(sit, 'inform_offer_form')}"
        return Answer([Reply(text, offer.buttons)], sit.last_topic, awaiting="form"), []
    if not turn.role_stated and not ("device" in turn.entities and sit.device):
        return unsure_answer(turn), []  # nothing to note: read like any unclear message
    noted = []
    if turn.role_stated:
        noted.append(str(reply("role_noted", sit.lang)[sit.role]))
    if "device" in turn.entities and sit.device:
        noted.append(str(reply("device_noted", sit.lang)[sit.device]))
    return Answer([Reply("".join([*noted, line(sit, "anything_else")]), topic_buttons(sit))], sit.last_topic), []


def unsure_answer(turn: Turn) -> Answer:
    """The NLU is unsure: a clear word or a follow-up decides; else two or three topics to pick."""
    sit = turn.sit
    if has_cue(sit.text, "thanks"):
        return Answer([Reply(line(sit, "closing"))])
    problem = problem_named(sit.text)
    if problem:
        return answer_topic(problem, sit)
    if turn.role_stated and sit.role == "seller":
        return answer_topic("seller_support", sit)
    if sit.last_topic in STAY_ON_TOPIC:
        return answer_topic(str(sit.last_topic), sit)
    if sit.last_topic in UNRESOLVED_TOPICS and not has_cue(sit.text, "thanks"):
        return ladder_answer(sit)  # unclear words after an unsolved problem: most likely "still not solved"
    if has_cue(sit.text, "giving_up") and sit.last_topic in UNRESOLVED_TOPICS:
        return unresolved_close(sit)
    if facet(sit.text, "next") and sit.last_topic:
        return ladder_answer(sit, lead_key="next_step")
    if has_cue(sit.text, "upset"):
        return upset_answer(sit)
    if turn.awaiting in ("clarify", "rephrase"):
        return not_understood_again(turn)
    labels = reply("intent_labels", sit.lang)
    choices = [name for name in turn.ranking if name not in NOT_OFFERED and name in labels][:CLARIFY_CHOICES]
    if not choices:
        return Answer([Reply(line(sit, "fallback_rephrase"))], awaiting="clarify")
    buttons = tuple((str(labels[name]), f"/{name}") for name in choices)
    buttons += ((line(sit, "clarify_none"), "/out_of_scope"),)
    return Answer([Reply(line(sit, "clarify"), buttons)], awaiting="clarify")


def not_understood_again(turn: Turn) -> Answer:
    """Unsure after a clarify question: ask to rephrase; once more: the human channels.

    The hygiene policy counts unsure intents; this also covers mumbles the NLU took for a yes.
    """
    sit = turn.sit
    if turn.awaiting == "rephrase":
        return channels_answer(replace(sit, given=frozenset()), intro_key="offer_human")
    return Answer([Reply(line(sit, "fallback_rephrase"))], awaiting="rephrase")


def small_talk_answer(turn: Turn) -> Tuple[Answer, List[EventType]]:
    """Greetings, thanks, yes/no and goodbyes, in the context of what came before."""
    sit, intent = turn.sit, turn.intent
    if has_cue(sit.text, "asks_if_bot") and intent in ("deny", "affirm", "greet", "out_of_scope"):
        intent = "bot_challenge"  # "哦 你不是店家啊 那你是谁": who is answering, not a no
    thanked = intent == "thank" or has_cue(sit.text, "thanks")
    if intent in ("deny", "goodbye") and not thanked and not turn.in_form:
        if sit.last_topic in UNRESOLVED_TOPICS or has_cue(sit.text, "giving_up") and sit.last_topic:
            return unresolved_close(sit), []
    if thanked:
        return Answer([Reply(line(sit, "closing"))]), []
    if intent == "affirm":
        if turn.awaiting == "form" and not turn.in_form:
            return Answer([]), [FollowupAction(FORM)]
        if turn.awaiting in ("clarify", "rephrase") and not turn.in_form:
            return not_understood_again(turn), []  # a yes answers nothing that was asked
        if not sit.last_topic and not turn.in_form and len(sit.text) > LONGEST_YES:
            return unsure_answer(turn), []  # "嗯嗯那个啥" is no yes to anything
        return Answer([Reply(line(sit, "ack"))], sit.last_topic), []
    if intent == "deny" and not sit.last_topic and not turn.awaiting and len(sit.text) > LONGEST_YES:
        # A long "no" to nothing asked ("后天冷不冷你知道不") is another question.
        return Answer([Reply(line(sit, "out_of_scope"), topic_buttons(sit))]), []
    if intent == "deny":
        return Answer([Reply(line(sit, "deny_ok"))], sit.last_topic), []
    if intent == "goodbye":
        return Answer([Reply(line(sit, "goodbye"))]), []
    if intent == "greet":
        return Answer([Reply(line(sit, "greet"), topic_buttons(sit))]), []
    asks_if_bot = has_cue(sit.text, "asks_if_bot")
    if intent == "bot_challenge" and not asks_if_bot and problem_named(sit.text) == "request_human":
        return answer_topic("request_human", sit), []  # "how do I talk to a real person": the ways
    if intent == "bot_challenge" and sit.last_topic in HUMAN_TOPICS:
        # "Are you a robot?" is answered before the next way; "still a robot answering me" gets the next way.
        return (iamabot_answer(sit) if asks_if_bot else ladder_answer(sit)), []
    if intent == "bot_challenge":
        return Answer([Reply(line(sit, "iamabot"), (button(sit, "request_human"),))], sit.last_topic), []
    if turn.awaiting in ("clarify", "rephrase"):
        return not_understood_again(turn), []
    if has_cue(sit.text, "upset"):
        return upset_answer(sit), []
    if intent == "out_of_scope" and problem_named(sit.text) in TOPIC_ANSWERS:
        return answer_topic(str(problem_named(sit.text)), sit), []  # a clear topic word beats "not about shopping"
    if intent == "out_of_scope" and has_cue(sit.text, "vague"):
        return unsure_answer(turn), []  # "那个事情怎么弄" is about something, just not said yet
    return Answer([Reply(line(sit, "out_of_scope"), topic_buttons(sit))]), []


def without_repeats(answer: Answer, turn: Turn) -> Answer:
    """Never send the previous turn's bubble again word for word: say something new instead."""
    # Compared as the bubbles will be sent (a long reply is split to fit a phone screen).
    answer.replies = [part for item in answer.replies for part in fit_screen(item)]
    fresh = [item for item in answer.replies if mask_placeholders(item.text) not in turn.previous_texts]
    if len(fresh) == len(answer.replies) or not answer.replies:
        return answer
    if fresh:
        answer.replies = fresh
        return answer
    if answer.topic is None and turn.intent in SMALL_TALK:
        return Answer([Reply(line(turn.sit, "repeat_small_talk"))], awaiting=answer.awaiting)
    # Information asked again (the template, the hours): the same facts, said as a reminder.
    # Said to have not helped, the same answer again is no answer: the next step instead (below).
    complaint = turn.intent == "not_helpful" and names_problem(turn.sit.text, "not_helpful")
    if answer.topic not in HUMAN_TOPICS and not complaint:
        first, last = answer.replies[0], answer.replies[-1]
        answer.replies = [Reply(f"{line(turn.sit, 'said_again')}\n{first.text}", last.buttons)]
        return answer
    sit = replace(turn.sit, given=turn.sit.given | set(answer.given))
    if answer.topic in HUMAN_TOPICS and turn.intent in HUMAN_TOPICS and "not_transferring" not in sit.given:
        return not_transferring_once(sit, lead_key="human_again")  # "人工" again: how to make the robot hand over
    again = ladder_answer(sit, lead_key="already_said")
    again.topic = answer.topic or again.topic
    return again


# --- reading the tracker --------------------------------------------------------------------------


def _entities(tracker: Tracker) -> List[Dict[str, Any]]:
    return list(tracker.latest_message.get("entities") or [])




def read_turn(tracker: Tracker) -> Tuple[Turn, Dict[str, Any]]:
    """The turn, and the slot values the message itself establishes (role, language)."""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    intent = (message.get("intent") or {}).get("name")
    entities = _entities(tracker)
    entity_roles = [e.get("value") for e in entities if e.get("entity") == "role" and e.get("value") in ROLES]
    said_role = stated_role(text) or (entity_roles[-1] if entity_roles else None)
    # action_session_start fills these from the channel metadata once per session; reading the
    # message too covers a message whose session started before the channel sent the metadata.
    metadata = message.get("metadata")
    slot_role = tracker.get_slot("role") or metadata_value(metadata, "role", ROLES)
    # Toneless "maijia" is 买家 or 卖家. Said after an answer that assumed the buyer, restating
    # it would say nothing: most likely a correction to seller, answered with a switch back.
    guessed = said_role is None and not slot_role and bool(tracker.get_slot("role_assumed")) and has_cue(text, "role_ambiguous")
    if guessed:
        said_role = "seller"
    role = said_role or (slot_role if slot_role in ROLES else None)
    lang = language_of(text) or tracker.get_slot("language") or metadata_value(metadata, "language", LANGUAGES)
    lang = lang if lang in LANGUAGES else "zh"
    # An app that crashes or is not installed leaves the web: its ways from now on.
    device = "web" if has_cue(text, "app_broken") else tracker.get_slot("device") or metadata_value(metadata, "device", DEVICES)
    given = tracker.get_slot("channels_given") or []
    named_zone = time_zone_named(text)
    zone = named_zone or tracker.get_slot("time_zone")
    sit = Situation(
        role=role or "buyer",
        role_assumed=role is None or guessed,
        device=device if device in DEVICES else None,
        lang=lang,
        now=clock.now_in_china(),
        text=text,
        last_topic=tracker.get_slot("last_topic"),
        given=frozenset(str(item) for item in given if isinstance(item, str)),
        zone=zone,
    )
    ranking = tuple(str(item.get("name")) for item in message.get("intent_ranking") or [] if item.get("name"))
    in_form = tracker.active_loop.get("name") == FORM if tracker.active_loop else False
    turn = Turn(
        sit=sit,
        intent=intent,
        entities=frozenset(str(e.get("entity")) for e in entities),
        ranking=ranking,
        awaiting=tracker.get_slot("awaiting"),
        in_form=in_form,
        role_stated=said_role is not None,
        previous_texts=previous_bot_texts(tracker),
        request_category=tracker.get_slot("issue_category"),
        # (the role slot may already hold what this message said: Rasa fills it from the entity)
        assumed_before="buyer" if tracker.get_slot("role_assumed") else None,
        brief=bool(tracker.get_slot("short_answers")) or (has_cue(text, "wants_short") and not in_form),
    )
    established = {"language": lang}
    if role and role != tracker.get_slot("role"):
        established["role"] = role
    if sit.device and sit.device != tracker.get_slot("device"):
        established["device"] = sit.device
    if named_zone and named_zone != tracker.get_slot("time_zone"):
        established["time_zone"] = named_zone
    return turn, established


def context_events(tracker: Tracker, turn: Turn, answer: Answer, established: Dict[str, Any]) -> List[EventType]:
    """SlotSet events for what this answer adds to the conversation's context."""
    values: Dict[str, Any] = dict(established)
    topic = answer.topic
    implied = IMPLIED_ROLES.get(str(topic))
    if implied and turn.sit.role_assumed and tracker.get_slot("role") is None:
        values["role"] = implied
    if topic:
        values["last_topic"] = topic
    if answer.given:
        given = list(tracker.get_slot("channels_given") or [])
        values["channels_given"] = given + [item for item in answer.given if item not in given]
    if answer.ladder_step is not None:
        values["ladder_step"] = float(answer.ladder_step)
    values["role_assumed"] = bool(turn.sit.role_assumed and topic and not implied)
    values["awaiting"] = answer.awaiting
    # last_topic is set even when unchanged: the hygiene policy reads it as "this turn was answered".
    return [
        SlotSet(name, value)
        for name, value in values.items()
        if name == "last_topic" or tracker.get_slot(name) != value
    ]


class ActionAnswer(Action):
    """Answers the latest user message from the table of topics, in context."""

    def name(self) -> Text:
        return "action_answer"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn, established = read_turn(tracker)
        about_the_form = form_question_line(tracker) if turn.in_form else None
        if about_the_form:
            dispatcher.utter_message(text=about_the_form)  # "为什么要订单号" read as a digression: the form answers it
            return []
        answer_in_it = deadline_clause(turn.sit.text) if turn.in_form and tracker.get_slot("requested_slot") == "expected_time" else None
        if answer_in_it is not None:
            # "一般写多久合适 就写24小时吧": the answer to the form's question, checked by the form's own validator
            # (the form validates only what it extracts itself, and this intent extracts nothing).
            checked = ValidateSupportRequestForm().validate_expected_time(answer_in_it, dispatcher, tracker, domain)
            return [SlotSet(name, value) for name, value in checked.items()]
        questions = [] if turn.in_form else numbered_questions(turn.sit.text)
        answer, extra = respond_each(turn, questions) if questions else respond(turn)
        if needs_empathy(turn):
            answer = with_empathy(turn.sit, answer)
        answer = without_repeats(answer, turn)
        if turn.brief:
            answer = briefly(answer)
            established["short_answers"] = True
        say(dispatcher, answer.replies)
        return [*context_events(tracker, turn, answer, established), *extra]
