"""Export unrecognized and low-confidence messages as Rasa NLU YAML for a person to label."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from insights.metrics import FALLBACK_INTENT, Message
from insights.period import Period

PLACEHOLDER_INTENT = "TODO_label"


@dataclass(frozen=True)
class Candidate:
    """A distinct message text worth labelling, with what the model made of it."""

    text: str
    count: int
    guess: Optional[str]
    guess_confidence: float
    unrecognized: bool


def select_candidates(messages: Iterable[Message], threshold: float) -> List[Candidate]:
    """Typed messages that fell back to nlu_fallback or whose intent confidence is below ``threshold``.

    Identical texts are merged (counted); the model's best guess is the one it was surest of.
    """
    chosen = [
        m
        for m in messages
        if m.has_words
        and not m.is_button
        and (m.intent == FALLBACK_INTENT or m.confidence < threshold)
    ]
    counts = Counter(m.text for m in chosen)
    best: Dict[str, Message] = {}
    for message in chosen:
        if message.text not in best or message.guess_confidence > best[message.text].guess_confidence:
            best[message.text] = message
    return sorted(
        (
            Candidate(
                text=text,
                count=counts[text],
                guess=message.guess,
                guess_confidence=round(message.guess_confidence, 2),
                unrecognized=any(m.text == text and m.intent == FALLBACK_INTENT for m in chosen),
            )
            for text, message in best.items()
        ),
        key=lambda c: (-c.count, c.text),
    )


def _example(text: str) -> str:
    """One example line: single-line, and no ``[..](..)`` that Rasa would read as an entity."""
    return re.sub(r"\](?=[(\[{])", "] ", " ".join(text.split()))


def render_candidates(candidates: List[Candidate], period: Period, threshold: float) -> str:
    """The YAML text: one ``TODO_label`` block per intent the model guessed, most frequent first."""
    groups: Dict[Optional[str], List[Candidate]] = defaultdict(list)
    for candidate in candidates:
        groups[candidate.guess].append(candidate)
    lines = [
        f"# 待标注的 NLU 样本：{period.since} 至 {period.until}（中国时间）用户真实消息，个人信息已脱敏。",
        f"# 包括未识别（{FALLBACK_INTENT}）和置信度低于 {threshold} 的消息。",
        f"# 用法：把每块的 {PLACEHOLDER_INTENT} 改成 domain.yml 里的正确意图（或删掉不要的句子），",
        "# 再把样本移到 data/nlu/ 对应的文件里，然后重新训练（scripts/train.sh）。",
        'version: "3.1"',
    ]
    if not candidates:
        lines.append("nlu: []")
        return "\n".join(lines) + "\n"
    lines.append("nlu:")
    ordered = sorted(groups.items(), key=lambda item: -sum(c.count for c in item[1]))
    for guess, members in ordered:
        surest = max(c.guess_confidence for c in members)
        lines.append(f"# 模型猜测：{guess or '无'}（最高置信度 {surest:.2f}）")
        for candidate in members:
            origin = "未识别" if candidate.unrecognized else "低置信度"
            lines.append(f"#   {candidate.count} 次 · {origin} · {_example(candidate.text)}")
        lines.append(f"- intent: {PLACEHOLDER_INTENT}")
        lines.append("  examples: |")
        lines.extend(f"    - {_example(candidate.text)}" for candidate in members)
    return "\n".join(lines) + "\n"


def write_candidates(path: Path, candidates: List[Candidate], period: Period, threshold: float) -> None:
    """Write ``nlu_candidates.yml``."""
    path.write_text(render_candidates(candidates, period, threshold), encoding="utf-8")
