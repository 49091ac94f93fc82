"""Guidance actions: channels and tips tailored to buyer/seller, app/web and the time in China."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Dict, List

import pytest

from actions import guidance
from tests.actions.conftest import BEFORE_OPENING, IN_HOURS, OUT_OF_HOURS, make_tracker, slot

SELLER_URL = "https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm"
SELLER_CHANNEL = (
    f"卖家专属客服：{SELLER_URL}\n"
    "进入后点右下角的「向我提问」发起咨询。服务时间：每周一至周日 9:00–18:00（北京时间）。"
)
OPEN_NOW = "现在是北京时间10:00，正在服务时间内。"
CLOSED_NOW = (
    "现在是北京时间22:30，卖家客服已下班，明天 9:00 开始服务。这期间可以：\n"
    "· 发邮件到 service@aliexpress.com（可带附件）\n"
    "· 提交工单：我的 → 售后服务 → 申请售后"
)
APP_PATH = "阿里小蜜（App）：打开速卖通App，点右下角【我的】→【我的订单】找到对应订单→点【联系客服】。"
WEB_PATH = "阿里小蜜（网页）：登录速卖通官网，点右上角【Help】→【Customer Service】进入在线聊天。"
TRANSFER = "对话中输入「人工客服」即可转人工。"
ORDER_PAGE = "订单页：打开订单详情页，点「联系卖家」。提示「等待人工客服接入」就说明已进入排队，这是最有效的入口之一。"
EMAIL = "复杂问题或要发附件：发邮件到 service@aliexpress.com。"
TOPIC_BUTTONS = [
    ("联系人工客服", "/ask_contact_channels"),
    ("查关联负责人", "/find_responsible_person"),
    ("退款/售后", "/refund"),
    ("帮我整理问题", "/start_support_request"),
]
FORM_OFFER = (
    "要我帮您按【订单编号】+【问题类别】+【诉求目标】+【期望解决时间】整理好发给客服的问题吗？",
    [("好的，帮我整理", "/start_support_request"), ("不用了", "/deny")],
)
FOLLOW_UP = [("怎么描述问题更快", "/communication_tips"), ("帮我整理问题", "/start_support_request")]

Run = Callable[..., Any]


def text_of(bubbles: List[Any]) -> str:
    return "\n".join(text for text, _ in bubbles)


# --- ask_contact_channels ---------------------------------------------------------------------


def test_channels_for_a_buyer_on_the_app(run: Run) -> None:
    events, bubbles = run(guidance.ActionContactChannels(), make_tracker("buyer_app", "ask_contact_channels"))
    assert events == []
    assert bubbles == [
        ("\n".join(["联系人工客服，推荐这几个入口：", APP_PATH, TRANSFER, ORDER_PAGE, EMAIL]), FOLLOW_UP)
    ]


def test_channels_for_a_buyer_on_the_web_show_the_web_path_only(run: Run) -> None:
    tracker = make_tracker("buyer_app", "ask_contact_channels", slots={"device": "web"})
    _, bubbles = run(guidance.ActionContactChannels(), tracker)
    assert WEB_PATH in text_of(bubbles)
    assert APP_PATH not in text_of(bubbles)
    assert SELLER_URL not in text_of(bubbles)


@pytest.mark.parametrize("when, status", [(IN_HOURS, OPEN_NOW), (OUT_OF_HOURS, CLOSED_NOW)])
def test_channels_for_a_seller_in_and_out_of_hours(run: Run, freeze: Callable[[str], None], when: str, status: str) -> None:
    freeze(when)
    events, bubbles = run(guidance.ActionContactChannels(), make_tracker("seller_web", "ask_contact_channels"))
    assert events == []
    assert bubbles == [
        (f"{SELLER_CHANNEL}\n{status}", []),
        ("也可以用阿里小蜜在线聊天，或发邮件到 service@aliexpress.com。", FOLLOW_UP),
    ]


def test_before_opening_the_seller_channel_opens_today(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(BEFORE_OPENING)
    _, bubbles = run(guidance.ActionContactChannels(), make_tracker("seller_web", "ask_contact_channels"))
    assert "现在是北京时间7:30，卖家客服已下班，今天 9:00 开始服务。" in text_of(bubbles)


def test_unknown_role_is_asked_once_with_buttons(run: Run) -> None:
    events, bubbles = run(guidance.ActionContactChannels(), make_tracker("unknown_role", "ask_contact_channels"))
    assert events == [slot("pending_topic", "ask_contact_channels"), slot("role_asked", True)]
    assert bubbles == [
        (
            "为了给您最合适的入口：您是买家还是卖家？",
            [("我是买家", '/inform{"role":"buyer"}'), ("我是卖家", '/inform{"role":"seller"}')],
        )
    ]


def test_after_asking_once_an_unknown_role_gets_both_answers(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    tracker = make_tracker("unknown_role", "ask_contact_channels", slots={"role_asked": True})
    events, bubbles = run(guidance.ActionContactChannels(), tracker)
    assert events == []
    assert ORDER_PAGE in text_of(bubbles)
    assert f"{SELLER_CHANNEL}\n{CLOSED_NOW}" in text_of(bubbles)


# --- request_human ------------------------------------------------------------------------------


def test_request_human_for_a_buyer(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    events, bubbles = run(guidance.ActionRequestHuman(), make_tracker("buyer_app", "request_human"))
    assert events == []
    assert bubbles == [
        (
            "\n".join(["我是智能助手，不能替您直接转接。最快找到人工的方法：", APP_PATH, TRANSFER, ORDER_PAGE]),
            [("怎么描述问题更快", "/communication_tips")],
        )
    ]


@pytest.mark.parametrize("when, status", [(IN_HOURS, OPEN_NOW), (OUT_OF_HOURS, CLOSED_NOW)])
def test_request_human_for_a_seller(run: Run, freeze: Callable[[str], None], when: str, status: str) -> None:
    freeze(when)
    _, bubbles = run(guidance.ActionRequestHuman(), make_tracker("seller_web", "request_human"))
    assert bubbles == [
        ("我是智能助手，不能替您直接转接。最快找到人工的方法：", []),
        (f"{SELLER_CHANNEL}\n{status}", [("改发邮件", "/email_support")]),
    ]


def test_request_human_asks_the_role_when_unknown(run: Run) -> None:
    events, _ = run(guidance.ActionRequestHuman(), make_tracker("unknown_role", "request_human"))
    assert events == [slot("pending_topic", "request_human"), slot("role_asked", True)]


# --- seller_support, email, working hours --------------------------------------------------------


@pytest.mark.parametrize("when, status", [(IN_HOURS, OPEN_NOW), (OUT_OF_HOURS, CLOSED_NOW)])
def test_seller_support(run: Run, freeze: Callable[[str], None], when: str, status: str) -> None:
    freeze(when)
    events, bubbles = run(guidance.ActionSellerSupport(), make_tracker("seller_web", "seller_support"))
    assert events == []
    assert bubbles == [(f"{SELLER_CHANNEL}\n{status}", [("改发邮件", "/email_support")])]


def test_asking_for_seller_support_marks_an_unknown_user_as_seller(run: Run) -> None:
    events, _ = run(guidance.ActionSellerSupport(), make_tracker("unknown_role", "seller_support"))
    assert events == [slot("role", "seller")]


def test_asking_for_seller_support_keeps_an_explicit_buyer(run: Run) -> None:
    events, bubbles = run(guidance.ActionSellerSupport(), make_tracker("buyer_app", "seller_support"))
    assert events == []
    assert SELLER_URL in text_of(bubbles)


def test_email_support(run: Run) -> None:
    events, bubbles = run(guidance.ActionEmailSupport(), make_tracker("buyer_app", "email_support"))
    assert events == []
    assert bubbles == [
        (
            "官方客服邮箱：service@aliexpress.com\n"
            "适合问题复杂或需要发送附件时，可附截图等证据；回复不如在线聊天及时，但有正式记录。\n"
            "邮件里按「【订单编号】+【问题类别】+【诉求目标】+【期望解决时间】」写清楚，处理更快。",
            [("帮我整理问题", "/start_support_request")],
        )
    ]


@pytest.mark.parametrize("when, status", [(IN_HOURS, OPEN_NOW), (OUT_OF_HOURS, CLOSED_NOW)])
def test_working_hours(run: Run, freeze: Callable[[str], None], when: str, status: str) -> None:
    freeze(when)
    _, bubbles = run(guidance.ActionWorkingHours(), make_tracker("buyer_app", "working_hours"))
    assert bubbles == [
        (
            "卖家专属客服服务时间：每周一至周日 9:00–18:00（北京时间）。\n"
            f"{status}\n"
            "阿里小蜜和邮件的人工回复可能要几个小时甚至一天，请耐心等待并定期刷新。",
            [],
        )
    ]


# --- tips and escalation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture, prepare",
    [
        ("buyer_app", "提前准备：提前准备订单号、问题描述、截图等证据材料。"),
        ("seller_web", "提前准备：卖家请提前准备好相关账号或订单信息。"),
    ],
)
def test_communication_tips_per_role(run: Run, fixture: str, prepare: str) -> None:
    _, bubbles = run(guidance.ActionCommunicationTips(), make_tracker(fixture, "communication_tips"))
    assert bubbles == [
        (
            "按这个格式提问，客服识别最快：\n【订单编号】+【问题类别】+【诉求目标】+【期望解决时间】\n"
            "例：订单#ABC123，售后问题，要求退款，希望24小时内回复。",
            [],
        ),
        (f"{prepare}\n尽量避开购物高峰时段联系，可减少排队等待。", [("帮我整理问题", "/start_support_request")]),
    ]


def test_bot_not_transferring(run: Run) -> None:
    _, bubbles = run(guidance.ActionBotNotTransferring(), make_tracker("buyer_app", "bot_not_transferring"))
    text = text_of(bubbles)
    assert "「我要申请退款」「订单未收到货」" in text
    assert "3次无效交互后自动转人工" in text
    assert "订单详情页重新点「联系客服」" in text
    assert bubbles[-1][1] == [("联系人工客服", "/ask_contact_channels")]


def test_slow_response_for_a_buyer(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    _, bubbles = run(guidance.ActionSlowResponse(), make_tracker("buyer_app", "slow_response"))
    assert len(bubbles) == 2
    text = text_of(bubbles)
    for fact in ["等待人工客服接入", "几个小时甚至一天", "2024年新规", "降低优先级", "24小时没更新", "催办"]:
        assert fact in text
    assert CLOSED_NOW not in text
    assert bubbles[-1][1] == [("催办工单", "/ticket_followup"), ("改发邮件", "/email_support")]


def test_slow_response_for_a_seller_out_of_hours_says_the_channel_is_closed(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    _, bubbles = run(guidance.ActionSlowResponse(), make_tracker("seller_web", "slow_response"))
    assert (CLOSED_NOW, []) in bubbles
    freeze(IN_HOURS)
    _, bubbles = run(guidance.ActionSlowResponse(), make_tracker("seller_web", "slow_response"))
    assert "卖家客服已下班" not in text_of(bubbles)


def test_urgent_request(run: Run) -> None:
    _, bubbles = run(guidance.ActionUrgentRequest(), make_tracker("buyer_app", "urgent_request"))
    assert bubbles == [
        (
            "部分高价值订单（如电子产品、大额交易）可主动标注「紧急」，系统优先派给资深客服。\n"
            "仅限部分类目，且须符合平台规则，不可滥用。",
            [],
        ),
        ("涉及账户安全或欺诈：立即通过所有渠道联系客服，邮件主题写明「紧急」。", [("账户安全问题", "/account_security")]),
    ]


# --- 关联负责人 and sellers ---------------------------------------------------------------------


def test_responsible_person_for_a_seller_starts_with_the_seller_center(run: Run) -> None:
    _, bubbles = run(guidance.ActionFindResponsiblePerson(), make_tracker("seller_web", "find_responsible_person"))
    lines = bubbles[0][0].split("\n")
    assert lines[1].startswith("① 卖家中心查询：")
    assert [line[2:6] for line in lines[1:]] == ["卖家中心", "店铺首页", "客户服务", "平台公告"]
    assert bubbles[1] == ("注意：网上流传的示例电话、邮箱、QQ、微信只是占位示例，请以店铺页面或官方渠道显示的为准。", [])


def test_responsible_person_for_a_buyer_leaves_out_the_seller_center(run: Run) -> None:
    _, bubbles = run(guidance.ActionFindResponsiblePerson(), make_tracker("buyer_app", "find_responsible_person"))
    lines = bubbles[0][0].split("\n")
    assert [line[2:6] for line in lines[1:]] == ["店铺首页", "客户服务", "平台公告"]


def test_responsible_person_for_an_unknown_role_lists_all_four_in_order(run: Run) -> None:
    events, bubbles = run(guidance.ActionFindResponsiblePerson(), make_tracker("unknown_role", "find_responsible_person"))
    assert events == []
    lines = bubbles[0][0].split("\n")
    assert [line[2:6] for line in lines[1:]] == ["店铺首页", "卖家中心", "客户服务", "平台公告"]


def test_contact_seller_marks_an_unknown_user_as_buyer(run: Run) -> None:
    events, bubbles = run(guidance.ActionContactSeller(), make_tracker("unknown_role", "contact_seller"))
    assert events == [slot("role", "buyer")]
    text = text_of(bubbles)
    assert "订单详情页点「联系卖家」" in text and "等待人工客服接入" in text
    assert "我的 → 售后服务 → 申请售后" in text


@pytest.mark.parametrize("when, status", [(IN_HOURS, OPEN_NOW), (OUT_OF_HOURS, CLOSED_NOW)])
def test_eu_responsible_person(run: Run, freeze: Callable[[str], None], when: str, status: str) -> None:
    freeze(when)
    _, bubbles = run(guidance.ActionEuResponsiblePerson(), make_tracker("seller_web", "eu_responsible_person"))
    assert "制造商、进口商或授权代表" in bubbles[0][0]
    assert "店铺信息和产品类目" in bubbles[0][0]
    assert bubbles[1] == (f"{SELLER_CHANNEL}\n{status}", [("改发邮件", "/email_support")])


# --- problems: 工单, evidence, timeline, then the form offer --------------------------------------

TIMELINE = (
    "处理时限：\n· 超过24小时未更新：在工单页面点「催办」\n"
    "· 超过48小时仍未处理且影响权益：到「消费者保护中心」投诉，平台72小时内介入"
)


@pytest.mark.parametrize(
    "intent, first",
    [
        (
            "refund",
            "退款建议提交售后工单：\n我的 → 售后服务 → 申请售后，选择对应情形，写清描述并上传凭证。\n"
            "请准备：订单号、截图、物流单号、商品照片。证据不足时客服无法判断责任，常会拒绝处理。",
        ),
        (
            "not_received",
            "没收到货，建议提交售后工单：\n我的 → 售后服务 → 申请售后，选择「未收到货」，写清描述并上传凭证。\n"
            "请准备：订单号、物流单号、物流页面截图。证据不足时客服无法判断责任，常会拒绝处理。",
        ),
        (
            "damaged_item",
            "商品破损或有问题，建议提交售后工单：\n我的 → 售后服务 → 申请售后，选择「商品破损」等情形，写清描述并上传凭证。\n"
            "请准备：订单号、商品照片、截图。证据不足时客服无法判断责任，常会拒绝处理。",
        ),
        (
            "ticket_followup",
            "跟进已提交的工单：\n系统自动生成工单编号，等待客服审核。进度在工单页面（我的 → 售后服务 → 申请售后）查看。\n"
            "请准备：工单编号、订单号、已上传的凭证。证据不足时客服无法判断责任，常会拒绝处理。",
        ),
        (
            "file_complaint",
            "正式投诉前，请先确认已提交工单：\n我的 → 售后服务 → 申请售后，选择对应情形，写清描述并上传凭证。\n"
            "请准备：订单号、截图、物流单号、商品照片。证据不足时客服无法判断责任，常会拒绝处理。",
        ),
    ],
)
@pytest.mark.parametrize("fixture", ["buyer_app", "unknown_role"])
def test_problem_gets_ticket_path_evidence_timeline_and_form_offer(run: Run, intent: str, first: str, fixture: str) -> None:
    events, bubbles = run(guidance.ActionProblemGuidance(), make_tracker(fixture, intent))
    assert events == []
    assert bubbles == [(first, []), (TIMELINE, []), FORM_OFFER]


def test_account_security_uses_every_channel_and_offers_the_form(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    _, buyer = run(guidance.ActionAccountSecurity(), make_tracker("buyer_app", "account_security"))
    assert buyer[0][0] == (
        "账户安全或疑似欺诈，请立刻处理：\n① 同时用所有渠道联系客服：阿里小蜜在线聊天 + 邮件 service@aliexpress.com\n"
        "② 邮件主题写明「紧急」\n③ 不要随意泄露个人信息，只在官方平台内沟通。"
    )
    assert buyer[-1] == FORM_OFFER
    _, seller = run(guidance.ActionAccountSecurity(), make_tracker("seller_web", "account_security"))
    assert (f"{SELLER_CHANNEL}\n{CLOSED_NOW}", []) in seller


def test_scam_check(run: Run) -> None:
    _, bubbles = run(guidance.ActionScamCheck(), make_tracker("buyer_app", "scam_check"))
    text = text_of(bubbles)
    assert "不会用固定的真人姓名（如「小何」）" in text
    assert "「内部通道」" in text
    assert "只在官方平台内沟通" in text
    assert bubbles[-1][1] == [("联系人工客服", "/ask_contact_channels")]


# --- inform outside the form and metadata -----------------------------------------------------


def test_answering_the_role_question_finishes_the_pending_topic(run: Run, freeze: Callable[[str], None]) -> None:
    freeze(OUT_OF_HOURS)
    events, bubbles = run(guidance.ActionHandleInform(), make_tracker("role_question_answered"))
    assert events == [slot("pending_topic", None)]
    assert bubbles[0] == (f"{SELLER_CHANNEL}\n{CLOSED_NOW}", [])


def test_another_question_keeps_the_role_question_pending(run: Run) -> None:
    tracker = make_tracker(
        "unknown_role", "working_hours", slots={"pending_topic": "request_human", "role_asked": True}
    )
    events, _ = run(guidance.ActionWorkingHours(), tracker)
    assert events == []
    answered = make_tracker(
        "buyer_app", "inform", entities=[{"entity": "role", "value": "buyer"}], slots={"pending_topic": "request_human"}
    )
    events, bubbles = run(guidance.ActionHandleInform(), answered)
    assert events == [slot("pending_topic", None)]
    assert bubbles[0][0].startswith("我是智能助手，不能替您直接转接。")


def test_an_order_number_outside_the_form_is_acknowledged_and_the_form_offered(run: Run) -> None:
    tracker = make_tracker(
        "buyer_app", "inform", text="订单号8123456789012345", entities=[{"entity": "order_id", "value": "8123456789012345"}]
    )
    events, bubbles = run(guidance.ActionHandleInform(), tracker)
    assert events == []
    assert bubbles == [
        (
            "收到，您的信息我记下了。需要我帮您整理成一条完整的问题发给客服吗？",
            [("好的，帮我整理", "/start_support_request"), ("不用了", "/deny")],
        )
    ]


def test_a_role_said_without_a_pending_topic_is_noted(run: Run) -> None:
    tracker = make_tracker(
        "seller_web", "inform", text="我是卖家", entities=[{"entity": "role", "value": "seller"}]
    )
    events, bubbles = run(guidance.ActionHandleInform(), tracker)
    assert events == []
    assert bubbles == [("好的，已记下您是卖家。请问还需要什么帮助？", TOPIC_BUTTONS)]


def test_a_bare_inform_offers_the_topics(run: Run) -> None:
    events, bubbles = run(guidance.ActionHandleInform(), make_tracker("unknown_role", "inform", text="24小时内"))
    assert (events, bubbles) == ([], [("请问还需要什么帮助？", TOPIC_BUTTONS)])


@pytest.mark.parametrize(
    "opening, label",
    [
        ("2026-11-26T09:00:00+08:00", "今天 9:00"),
        ("2026-11-27T09:00:00+08:00", "明天 9:00"),
        ("2026-11-30T10:00:00+08:00", "11月30日 10:00"),
    ],
)
def test_opening_labels(opening: str, label: str) -> None:
    now = datetime.fromisoformat("2026-11-26T07:30:00+08:00")
    assert guidance.opening_label(datetime.fromisoformat(opening), now) == label
