"""RepeatedNudgeIntent: a message that is only a nudge said again and again is slow_response.

The NLU contract (eval/README.md, "How the lines were labelled"): 在吗 / 有人吗 alone opens a chat
(greet), but the same nudge repeated in one message (在吗在吗, 人呢？人呢？, 有人吗 有人吗 有人吗)
says nobody is answering: slow_response. The words are greet's, so the classifier reads such a
message as greet however many lines say otherwise (round 26 wrote them, plus the `repeated_nudge`
regex feature; the real-phrasing splits still had three of them as greet). This step, after the
FallbackClassifier, sets slow_response when the whole normalized message is two or more nudges
(with an optional 亲 / 客服 / 你好 in front and punctuation between), or a greeting said three
times or more (你好你好你好: the contract's labelling rule since round 27; said twice it is still a
greeting), and leaves every other message as the classifier read it.
"""
from __future__ import annotations

import re
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from components.normalizer import StatelessStep, set_intent

SLOW_RESPONSE = "slow_response"
_NUDGE = r"(?:还在吗|在吗|在么|在嘛|在不在|有人吗|有人没|有人在吗|有没有人|人呢)"
_GAP = r"[\s,，.。!！?？~～…、]*"
REPEATED_NUDGE = re.compile(rf"^(?:亲|客服|你好|您好)?{_GAP}{_NUDGE}(?:{_GAP}{_NUDGE})+{_GAP}$")
_GREETING = r"(?:你好|您好|hello|hi)"
REPEATED_GREETING = re.compile(rf"^{_GREETING}(?:{_GAP}{_GREETING}){{2,}}{_GAP}$", re.IGNORECASE)


def is_repeated_nudge(text: str) -> bool:
    """True when the message is nothing but a nudge said twice or more, or a greeting said three
    times or more."""
    text = text.strip()
    return bool(REPEATED_NUDGE.match(text) or REPEATED_GREETING.match(text))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class RepeatedNudgeIntent(StatelessStep):
    """Sets slow_response on a message made only of repeated nudges (module docstring)."""

    def process(self, messages: List[Message]) -> List[Message]:
        """Overrides the intent of repeated-nudge messages; others pass unchanged."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and is_repeated_nudge(text):
                set_intent(message, SLOW_RESPONSE)
        return messages
