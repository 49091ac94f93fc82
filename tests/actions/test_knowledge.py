"""knowledge/guide.yml holds every fact of the guide, each with its section; placeholders are masked."""
from __future__ import annotations

from typing import Any, Iterator, Tuple

import pytest

from actions import knowledge


def entries(node: Any, path: str = "") -> Iterator[Tuple[str, dict]]:
    """Every mapping that is a fact entry (the children of the top-level fact groups)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict):
                yield f"{path}.{key}", value
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict):
                yield f"{path}[{index}]", value


@pytest.mark.parametrize("group", ["channels", "tips", "special_scenarios", "cautions"])
def test_every_entry_carries_its_section(group: str) -> None:
    guide = knowledge.guide()
    found = list(entries(guide[group], group))
    assert found
    for path, entry in found:
        assert entry.get("section") in guide["sections"], path


def test_responsible_person_has_the_four_ways_in_the_guides_order() -> None:
    methods = knowledge.responsible_methods()
    assert [method.id for method in methods] == [
        "store_homepage",
        "seller_center",
        "customer_service",
        "announcements",
    ]
    text = " ".join(method.how for method in methods)
    for fact in ["联系我们", "店铺信息", "我的店铺", "店铺设置", "联系卖家", "联系客服", "公告"]:
        assert fact in text
    assert knowledge.guide()["responsible_person"]["section"] == "01"
    assert all(entry["section"] == "01" for entry in knowledge.guide()["responsible_person"]["methods"])


def test_channel_facts() -> None:
    assert knowledge.channel("alixiaomi_app").path == ["我的", "我的订单", "联系客服"]
    assert "Help" in knowledge.channel("alixiaomi_web")["how"]
    assert "Customer Service" in knowledge.channel("alixiaomi_web")["how"]
    assert knowledge.channel("transfer_keyword")["keyword"] == "人工客服"
    order_page = knowledge.channel("order_page")
    assert (order_page["button"], order_page["queue_notice"]) == ("联系卖家", "等待人工客服接入")
    seller = knowledge.channel("seller_channel")
    assert seller["url"] == "https://sell.aliexpress.com/zh/__pc/newsellerlanding.htm"
    assert (seller["entry"], seller["entry_position"]) == ("向我提问", "右下角")
    assert seller.hours is not None
    assert seller.hours.weekdays == (1, 2, 3, 4, 5, 6, 7)
    assert (seller.hours.open.hour, seller.hours.close.hour) == (9, 18)
    assert knowledge.channel("email")["address"] == "service@aliexpress.com"


def test_tips_scenarios_and_cautions() -> None:
    describe = knowledge.tip("describe_precisely")
    assert describe["template"] == "【订单编号】+【问题类别】+【诉求目标】+【期望解决时间】"
    assert describe["example"] == "订单#ABC123，售后问题，要求退款，希望24小时内回复。"
    assert knowledge.tip("transfer_to_human")["auto_transfer_after"] == 3
    assert "2024" in knowledge.tip("timing")["smart_queue_2024"]
    assert knowledge.ticket_path() == "我的 → 售后服务 → 申请售后"
    assert knowledge.scenario("ticket")["chase_after_hours"] == 24
    protection = knowledge.scenario("consumer_protection")
    assert (protection["escalate_after_hours"], protection["intervene_within_hours"]) == (48, 72)
    assert knowledge.scenario("account_security")["subject_keyword"] == "紧急"
    assert "授权代表" in knowledge.scenario("eu_responsible_person")["what"]
    assert knowledge.caution("official_agents")["example_name"] == "小何"
    assert "内部通道" in knowledge.caution("internal_channel_scam")["rule"]
    assert "几个小时甚至一天" in knowledge.caution("reply_time")["rule"]


def test_placeholders_are_listed_and_never_in_the_facts() -> None:
    assert knowledge.placeholders() == ["1234567890", "abc@163.com", "123456789", "wechat_id"]
    facts = {key: value for key, value in knowledge.guide().items() if key != "placeholders"}
    assert not knowledge.contains_placeholder(str(facts))
    assert not knowledge.contains_placeholder(str(knowledge.replies()))


@pytest.mark.parametrize(
    "text",
    ["电话1234567890（工作时间:9:00-18:00）", "邮箱abc@163.com", "QQ123456789", "微信 wechat_id"],
)
def test_mask_placeholders_hides_the_sample_contacts(text: str) -> None:
    masked = knowledge.mask_placeholders(text)
    assert knowledge.reply("placeholder_mask") in masked
    for item in knowledge.placeholders():
        assert item not in masked


def test_an_order_number_that_contains_the_digits_is_not_masked() -> None:
    text = "订单号 8123456789012345"
    assert knowledge.mask_placeholders(text) == text
