"""An English answer carries no Chinese sentence: Chinese stays only where it names what is on
the screen (「人工客服」, (我的)), never as wording filled in from the Chinese guide."""
from __future__ import annotations

import re

import pytest

from actions.conversation import SCAM_FOLLOW_UPS
from actions.guidance import ASIDE_ANSWERS, TOPIC_ANSWERS, Situation, answer_topic

QUOTED = re.compile(r'[「“"(（][^」”")）]*[」”")）]')
CHINESE_SENTENCE = re.compile(r"[\u4e00-\u9fff，。；：]{6,}")
SITUATIONS = [
    Situation(lang="en", role=role, role_assumed=False, last_topic=topic)
    for role in ("buyer", "seller") for topic in (None, "damaged_item")
]
ANSWERS = [(f"topic:{topic}", lambda sit, topic=topic: answer_topic(topic, sit)) for topic in TOPIC_ANSWERS] + [
    (f"aside:{cue}", answer) for cue, answer, _ in ASIDE_ANSWERS
] + [(f"scam:{cue}", answer) for cue, answer in SCAM_FOLLOW_UPS]


@pytest.mark.parametrize("name, answer", ANSWERS, ids=[name for name, _ in ANSWERS])
def test_an_english_answer_has_no_chinese_sentence(name, answer):
    for sit in SITUATIONS:
        for bubble in answer(sit).replies:
            assert not CHINESE_SENTENCE.findall(QUOTED.sub("", bubble.text)), (sit.role, bubble.text)
