"""ChineseTextNormalizer and EmptyMessageFallback on Rasa Message objects (no trained model)."""
from __future__ import annotations

from typing import List

import pytest
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.normalizer import (
    ChineseTextNormalizer,
    EmptyMessageFallback,
    normalize,
)


def normalizer() -> ChineseTextNormalizer:
    return ChineseTextNormalizer.create({}, None, None, None)  # type: ignore[arg-type]


def run(text: str) -> Message:
    message = Message(data={"text": text})
    normalizer().process([message])
    return message


def emoji_values(message: Message) -> List[str]:
    return [e["value"] for e in message.get("entities", []) if e["entity"] == "emoji"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("帳號被盜了怎麼辦", "帐号被盗了怎么办"),
        ("歐盟責任人綁定失敗", "欧盟责任人绑定失败"),
        ("賣家後台客服在哪裡", "卖家后台客服在哪里"),
        ("我要退款", "我要退款"),  # simplified stays simplified
        ("ＡＢＣ１２３", "ABC123"),
        ("订单号：８１２３４５６７８９０１２３４５", "订单号:8123456789012345"),
        ("ｈｅｌｌｏ　ｗｏｒｌｄ", "hello world"),
        ("退款！！！？", "退款!!!?"),
        ("  转   人工 \t\n 谢谢  ", "转 人工 谢谢"),
        ("轉人工　　快點", "转人工 快点"),
        ("我要退款😡😡", "我要退款"),
        ("😭 包裹 📦 丢了", "包裹 丢了"),
        ("👍🏻好的", "好的"),
        ("👨‍👩‍👧‍👦一家人", "一家人"),
        ("🇨🇳中国", "中国"),
        ("Refund please", "Refund please"),
        ("", ""),
    ],
)
def test_normalized_text(raw: str, expected: str) -> None:
    assert run(raw).get("text") == expected


def test_emoji_are_recorded_as_entities() -> None:
    message = run("东西坏了😡👎🏻")
    assert message.get("text") == "东西坏了"
    assert emoji_values(message) == ["😡", "👎🏻"]
    entity = message.get("entities")[0]
    assert entity["extractor"] == "ChineseTextNormalizer"
    assert entity["start"] == entity["end"] == 4


def test_emoji_only_message_is_empty_with_emoji_entities() -> None:
    message = run("😀😀 👍")
    assert message.get("text") == ""
    assert emoji_values(message) == ["😀", "😀", "👍"]


def test_no_emoji_no_entities() -> None:
    assert run("在吗").get("entities") is None


def test_cjk_punctuation_and_chinese_digits_are_kept() -> None:
    assert run("好的。謝謝、八一二三").get("text") == "好的。谢谢、八一二三"


def test_message_without_text_is_left_alone() -> None:
    message = Message(data={"action_name": "action_listen"})
    normalizer().process([message])
    assert message.get("text") is None
    assert message.get("action_name") == "action_listen"


def test_training_data_is_normalized_and_entity_offsets_follow() -> None:
    text = "😡 訂單 ８１２３４５６７８９０１２３４５   退款"
    start = text.index("８")
    example = Message(
        data={
            "text": text,
            "intent": "inform",
            "entities": [
                {"entity": "order_id", "start": start, "end": start + 16,
                 "value": "8123456789012345"},
                {"entity": "request_goal", "start": len(text) - 2, "end": len(text),
                 "value": "退款"},
            ],
        }
    )
    traditional = Message(
        data={"text": "帳號被盜", "intent": "account_security",
              "entities": [{"entity": "issue_category", "start": 0, "end": 4, "value": "帳號被盜"}]}
    )
    data = normalizer().process_training_data(TrainingData([example, traditional]))
    first, second = data.training_examples
    assert first.get("text") == "订单 8123456789012345 退款"
    order, goal = first.get("entities")
    assert first.get("text")[order["start"]:order["end"]] == "8123456789012345"
    assert first.get("text")[goal["start"]:goal["end"]] == "退款"
    # a value equal to the surface text follows the normalization, an explicit value is kept
    assert second.get("entities")[0]["value"] == "帐号被盗"
    assert order["value"] == "8123456789012345"
    assert "emoji" not in [e["entity"] for e in first.get("entities")]  # not trained on


def test_offsets_map_every_original_character() -> None:
    result = normalize("  ａ😀 b  ")
    assert result.text == "a b"
    assert len(result.offsets) == len("  ａ😀 b  ") + 1
    assert result.span(2, 3) == (0, 1)
    assert result.span(5, 6) == (2, 3)


def fallback_stage() -> EmptyMessageFallback:
    return EmptyMessageFallback.create({}, None, None, None)  # type: ignore[arg-type]


def test_empty_message_gets_fallback_and_keeps_emoji_after_entities_were_dropped() -> None:
    message = run("🙄🙄")
    message.set("entities", [])  # what DIETClassifier does for an empty text
    message.set("intent", {"name": None, "confidence": 0.0})
    fallback_stage().process([message])
    assert message.get("intent") == {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == DEFAULT_NLU_FALLBACK_INTENT_NAME
    assert emoji_values(message) == ["🙄", "🙄"]


def test_non_empty_message_keeps_its_intent_and_emoji_are_not_duplicated() -> None:
    message = run("退款😡")
    message.set("intent", {"name": "refund", "confidence": 0.9})
    fallback_stage().process([message])
    assert message.get("intent")["name"] == "refund"
    assert emoji_values(message) == ["😡"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("kf在吗", "客服在吗"),
        ("KF电话多少", "客服电话多少"),
        ("ｋｆ", "客服"),  # full-width first, then the table
        ("wl一直不动 zmd", "物流一直不动 怎么的"),
        ("我要tk", "我要退款"),
        ("rgkf", "人工客服"),
        ("zm还没qs", "怎么还没签收"),
        ("发sm快递", "发什么快递"),
        ("yx地址", "邮箱地址"),
        ("转rg", "转人工"),
        ("kfc好吃吗", "kfc好吃吗"),  # part of a longer Latin word
        ("thanks", "thanks"),
        ("LP00123456789CN", "LP00123456789CN"),  # tracking number
        ("dd123", "dd123"),  # next to digits: left for the entity parser
    ],
)
def test_abbreviations_are_spelled_out(raw: str, expected: str) -> None:
    assert run(raw).get("text") == expected


def test_abbreviations_keep_their_length() -> None:
    """Entity offsets stay valid because every expansion is as long as its abbreviation."""
    from components.normalizer import ABBREVIATIONS

    assert all(len(short) == len(long) for short, long in ABBREVIATIONS.items())
    result = normalize("kf订单8123456789012345")
    assert result.offsets[:3] == [0, 1, 2] and result.text[2:4] == "订单"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("快递肿么还没到", "快递怎么还没到"),
        ("这是神马情况", "这是什么情况"),
        ("有木有人在", "有没有人在"),
        ("实木有味道吗", "实木有味道吗"),  # literal wood: left alone
        ("酱紫色有货吗", "酱紫色有货吗"),  # a colour, not 这样
    ],
)
def test_internet_spellings_are_respelled(raw: str, expected: str) -> None:
    assert run(raw).get("text") == expected


def test_internet_spellings_keep_their_length() -> None:
    from components.normalizer import SPELLINGS

    assert all(len(spelt) == len(word) for spelt, word in SPELLINGS.items())
