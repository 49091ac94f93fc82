"""SpacyRuleEntityExtractor on Rasa Message objects, after the normalizer (no trained model)."""
from __future__ import annotations

from typing import Dict, List, Tuple

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.entities import SpacyRuleEntityExtractor, find_deadline_entities, load_patterns
from parsing import find_order_ids, is_id_card, iso_duration, read_number
from components.normalizer import ChineseTextNormalizer


@pytest.fixture(scope="module")
def extractor() -> SpacyRuleEntityExtractor:
    return SpacyRuleEntityExtractor.create({}, None, None, None)  # type: ignore[arg-type]


def parse(extractor: SpacyRuleEntityExtractor, text: str) -> Message:
    message = Message(data={"text": text})
    ChineseTextNormalizer.create({}, None, None, None).process([message])  # type: ignore[arg-type]
    extractor.process([message])
    return message


def values(extractor: SpacyRuleEntityExtractor, text: str) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = {}
    for entity in parse(extractor, text).get("entities") or []:
        found.setdefault(entity["entity"], []).append(entity["value"])
    return found


@pytest.mark.parametrize(
    "text, order_id",
    [
        ("订单号是8123456789012345", "8123456789012345"),
        ("订单号8123456789012345,东西没收到", "8123456789012345"),
        ("单号 8123 4567 8901 2345 帮我查下", "8123456789012345"),
        ("8123-4567-8901-2345", "8123456789012345"),
        ("订单号:８１２３４５６７８９０１２３４５", "8123456789012345"),
        ("訂單號碼是3012345678901234", "3012345678901234"),
        ("八一二三四五六七八九零一二三四五", "8123456789012345"),
        ("订单号八零零一二三四五六七八九零一", "80012345678901"),
        ("订单#ABC123,售后问题", "ABC123"),
        ("订单＃ａｂｃ１２３", "ABC123"),
        ("订单号 XYZ789012 还没到", "XYZ789012"),
        ("order number 3000123456789012", "3000123456789012"),
        ("123456789012", "123456789012"),
        ("12345678901234567890", "12345678901234567890"),
    ],
)
def test_order_ids(extractor: SpacyRuleEntityExtractor, text: str, order_id: str) -> None:
    assert values(extractor, text).get("order_id") == [order_id]


@pytest.mark.parametrize(
    "text",
    [
        "我手机号13812345678",  # 11-digit phone number
        "电话 8613812345678",  # phone with country code
        "我的身份证号110101199003074514",  # valid ID number (date + check digit)
        "12345678901",  # too short
        "123456789012345678901",  # too long
        "我买了3件,花了199元",
        "ABC123",  # letters style needs '#' or an order keyword
    ],
)
def test_not_order_ids(extractor: SpacyRuleEntityExtractor, text: str) -> None:
    assert "order_id" not in values(extractor, text)


def test_id_card_check_digit() -> None:
    assert is_id_card("110101199003074514")
    assert not is_id_card("110101199003074515")  # wrong check digit
    assert not is_id_card("110101199013074514")  # month 13
    assert not is_id_card("8123456789012345")


def test_order_span_offsets_point_at_the_number(extractor: SpacyRuleEntityExtractor) -> None:
    message = parse(extractor, "訂單 ８１２３ ４５６７ ８９０１ ２３４５ 三天內")
    text = message.get("text")
    order = next(e for e in message.get("entities") if e["entity"] == "order_id")
    assert text[order["start"]:order["end"]] == "8123 4567 8901 2345"
    assert order["extractor"] == "SpacyRuleEntityExtractor"


@pytest.mark.parametrize(
    "text, duration",
    [
        ("24小时内", "PT24H"),
        ("希望24小时内回复", "PT24H"),
        ("三天内", "PT72H"),
        ("三天內給我處理好", "PT72H"),
        ("两天", "PT48H"),
        ("两天吧", "PT48H"),
        ("一周", "PT168H"),
        ("一周之内", "PT168H"),
        ("一个星期以内", "PT168H"),
        ("十二小时内", "PT12H"),
        ("半小时", "PT30M"),
        ("5分钟内回我", "PT5M"),
        ("48h内", "PT48H"),
        ("within 48 hours", "PT48H"),
        ("尽快", "PT24H"),
        ("尽快吧 越快越好", "PT24H"),
        ("明天之前", "PT24H"),
        ("明天之前给我答复", "PT24H"),
        ("后天之前", "PT48H"),
        ("本周内", "PT168H"),
        ("一天半", "PT36H"),
        ("一个半小时内", "PT90M"),
        ("三个小时之内", "PT3H"),
        ("一个月内", "PT720H"),
        ("要退款 时间无所谓", "PT48H"),  # the time left open: the form's default
    ],
)
def test_expected_time(extractor: SpacyRuleEntityExtractor, text: str, duration: str) -> None:
    assert values(extractor, text).get("expected_time", [None])[0] == duration


@pytest.mark.parametrize(
    "text", ["用了两天就坏了", "等了一个月还没到货", "我买了三个", "周末有人工吗"]
)
def test_durations_that_are_not_deadlines(extractor: SpacyRuleEntityExtractor, text: str) -> None:
    assert "expected_time" not in values(extractor, text)


def test_numbers_and_durations() -> None:
    assert read_number("三") == 3 and read_number("两") == 2 and read_number("十二") == 12
    assert read_number("二十四") == 24 and read_number("半") == 0.5 and read_number("几") is None
    assert iso_duration(30) == "PT30M" and iso_duration(168 * 60) == "PT168H" and iso_duration(0) is None
    assert find_deadline_entities("三天") == [(0, 2, "PT72H")]
    assert find_order_ids("#ABC123") == [(0, 7, "ABC123")]


@pytest.mark.parametrize(
    "text, category",
    [
        ("物流问题", "物流问题"),
        ("物流一直不更新", "物流问题"),
        ("包裹没收到货", "物流问题"),
        ("退款问题", "退款问题"),
        ("我要退款", "退款问题"),
        ("商品质量问题", "商品质量问题"),
        ("东西坏了", "商品质量问题"),
        ("发错货了", "商品质量问题"),
        ("售后问题", "售后工单"),
        ("工单没人处理", "售后工单"),
        ("账户安全", "账户安全"),
        ("帳號被盜", "账户安全"),
        ("我要投诉", "投诉纠纷"),
        ("消费者保护中心", "投诉纠纷"),
        ("卖家问题", "卖家问题"),
        ("其他问题", "其他问题"),
        ("my item is broken", "商品质量问题"),
    ],
)
def test_issue_category(extractor: SpacyRuleEntityExtractor, text: str, category: str) -> None:
    assert values(extractor, text).get("issue_category") == [category]


@pytest.mark.parametrize(
    "text, goal",
    [
        ("要求退款", "要求退款"),
        ("我要退钱", "要求退款"),
        ("退货退款", "退货退款"),
        ("想退货", "退货退款"),
        ("补发或换货", "补发或换货"),
        ("给我换货", "补发或换货"),
        ("查询物流", "查询物流"),
        ("帮我查物流", "查询物流"),
        ("催促处理", "催促处理"),
        ("麻烦催一下", "催促处理"),
        ("找回账户", "找回账户"),
        ("想找回账号", "找回账户"),
        ("咨询解答", "咨询解答"),
        ("Refund", "要求退款"),
    ],
)
def test_request_goal(extractor: SpacyRuleEntityExtractor, text: str, goal: str) -> None:
    assert values(extractor, text).get("request_goal") == [goal]


@pytest.mark.parametrize(
    "text, role",
    [
        ("我是卖家,后台客服在哪", "seller"),
        ("我是商家", "seller"),
        ("我們是賣家", "seller"),
        ("I'm a seller", "seller"),
        ("我是买家", "buyer"),
        ("我在速卖通买东西没收到", "buyer"),
    ],
)
def test_role(extractor: SpacyRuleEntityExtractor, text: str, role: str) -> None:
    assert values(extractor, text).get("role") == [role]


def test_role_not_taken_from_a_mention_of_the_seller(extractor: SpacyRuleEntityExtractor) -> None:
    assert "role" not in values(extractor, "卖家不回我消息")
    assert "role" not in values(extractor, "seller not responding")


@pytest.mark.parametrize(
    "text, device",
    [
        ("App里怎么找客服", "app"),
        ("手机上找不到入口", "app"),
        ("ＡＰＰ打不开", "app"),
        ("网页版在哪联系客服", "web"),
        ("电脑上怎么弄", "web"),
        ("官网的帮助中心", "web"),
    ],
)
def test_device(extractor: SpacyRuleEntityExtractor, text: str, device: str) -> None:
    assert values(extractor, text).get("device") == [device]


def test_guide_template_sentence(extractor: SpacyRuleEntityExtractor) -> None:
    """The guide's structured template yields all four form entities."""
    found = values(extractor, "订单#ABC123,售后问题,要求退款,希望24小时内回复。")
    assert found == {
        "order_id": ["ABC123"],
        "issue_category": ["售后工单"],
        "request_goal": ["要求退款"],
        "expected_time": ["PT24H"],
    }


def test_no_entities_in_small_talk(extractor: SpacyRuleEntityExtractor) -> None:
    assert parse(extractor, "你好").get("entities") is None
    assert parse(extractor, "今天天气怎么样").get("entities") is None


def test_empty_text_is_skipped(extractor: SpacyRuleEntityExtractor) -> None:
    message = parse(extractor, "😀😀")
    assert [e["entity"] for e in message.get("entities")] == ["emoji", "emoji"]


def test_entities_append_to_existing_ones(extractor: SpacyRuleEntityExtractor) -> None:
    message = parse(extractor, "退货退款😡")
    kinds: List[Tuple[str, str]] = [(e["entity"], e["value"]) for e in message.get("entities")]
    assert ("emoji", "😡") in kinds and ("request_goal", "退货退款") in kinds


def test_values_match_the_contract() -> None:
    """Every normalized value in the phrase tables is one the contract allows."""
    allowed = {
        "issue_category": {"物流问题", "退款问题", "商品质量问题", "售后工单", "账户安全", "投诉纠纷",
                           "卖家问题", "其他问题"},
        "request_goal": {"要求退款", "部分退款", "退货退款", "补发或换货", "查询物流", "催促处理", "要求平台介入", "找回账户", "咨询解答"},
        "role": {"buyer", "seller"},
        "device": {"app", "web"},
    }
    patterns = load_patterns()
    for entity, names in allowed.items():
        assert set(patterns[entity]) == names, entity
    # Fixed phrases are ISO durations, or 今天 (until midnight China time, resolved by the form's clock).
    assert all(v == "今天" or (v.startswith("PT") and v[-1] in "HM") for v in patterns["expected_time"])


@pytest.mark.parametrize(
    "text, device", [("我用电脑 不是手机", "web"), ("网页版 不用app", "web"), ("电脑上用的 不是手机app", "web"), ("不是网页版 是app", "app")]
)
def test_a_negated_device_is_not_the_users(extractor: SpacyRuleEntityExtractor, text: str, device: str) -> None:
    assert [e["value"] for e in extractor.extract(text) if e["entity"] == "device"] == [device]
