"""The persona conversation set (`tests/conversations/*.yml`): loading, checking and running it.

The pytest runner (`tests/e2e/test_conversations.py`) and the evaluation command
(`scripts/eval_conversations.py`) both use this module, so a conversation is judged the same way
in both. The format is described in `tests/conversations/README.md`.

Checks look at facts and behaviour, never at exact sentences: a `must` item is a list of
acceptable alternatives (case-insensitive substrings, or `{re: ...}` regular expressions), so a
rewording of the product's replies keeps the set green as long as the facts stay.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

import yaml

from tests.support.servers import MODEL, Stack, start_stack

CONVERSATIONS_DIR = Path(__file__).resolve().parent

DEFAULT_MAX_CHARS = 300
DAY = "2026-11-26"  # a Thursday
DEFAULT_CLOCK = "10:00"

# The guide's sample contact table (电话/邮箱/QQ/微信) is placeholder text: no reply may show it.
# Written from the guide itself, not read from the product, so that the set stays independent.
# Digit lookarounds: a 16-digit order number such as 8123456789012345 contains 123456789.
PLACEHOLDER_PATTERNS = [
    re.compile(r"(?<!\d)1234567890(?!\d)"),
    re.compile(r"abc@163\.com", re.IGNORECASE),
    re.compile(r"(?<!\d)123456789(?!\d)"),
    re.compile(r"wechat_id", re.IGNORECASE),
]

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
# A reply counts as English when CJK characters are at most this share of its letters.
MAX_CJK_SHARE_FOR_ENGLISH = 0.2

TURN_KEYS = {"user", "press", "must", "must_not", "max_chars", "not_repeat", "buttons", "lang", "min_buttons", "max_buttons"}
CONVERSATION_KEYS = {"id", "persona", "description", "metadata", "clock", "turns"}
FILE_KEYS = {"persona", "description", "defaults", "conversations"}
DEFAULT_KEYS = {"must_not", "max_chars", "not_repeat", "lang"}


class FormatError(ValueError):
    """A conversation file that does not follow the format (caught at load time, not at run time)."""


@dataclass(frozen=True)
class Alternative:
    """One acceptable wording: a case-insensitive substring or a regular expression."""

    text: str
    regex: Optional[re.Pattern] = None

    def found_in(self, haystack: str) -> bool:
        if self.regex is not None:
            return self.regex.search(haystack) is not None
        return self.text.casefold() in haystack.casefold()

    def __str__(self) -> str:
        return f"/{self.text}/" if self.regex is not None else self.text


def _alternative(raw: Any, where: str) -> Alternative:
    if isinstance(raw, (str, int)):
        return Alternative(str(raw))
    if isinstance(raw, dict) and set(raw) == {"re"}:
        try:
            return Alternative(str(raw["re"]), re.compile(str(raw["re"]), re.IGNORECASE))
        except re.error as error:
            raise FormatError(f"{where}: bad regex {raw['re']!r}: {error}") from error
    raise FormatError(f"{where}: an alternative is a string or {{re: pattern}}, got {raw!r}")


def _item(raw: Any, where: str) -> List[Alternative]:
    """A check item: one alternative, or a list of acceptable alternatives."""
    if isinstance(raw, list):
        if not raw:
            raise FormatError(f"{where}: empty list of alternatives")
        return [_alternative(entry, where) for entry in raw]
    return [_alternative(raw, where)]


def _items(raw: Any, where: str) -> List[List[Alternative]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise FormatError(f"{where}: expected a list, got {raw!r}")
    return [_item(entry, where) for entry in raw]


def _flat(raw: Any, where: str) -> List[Alternative]:
    """must_not: every entry is forbidden (a nested list only groups them)."""
    return [alternative for item in _items(raw, where) for alternative in item]


@dataclass
class Turn:
    """One user message (typed, or a tap on an offered button) and the checks on its replies."""

    user: Optional[str] = None
    press: List[Alternative] = field(default_factory=list)
    must: List[List[Alternative]] = field(default_factory=list)
    must_not: List[Alternative] = field(default_factory=list)
    max_chars: int = DEFAULT_MAX_CHARS
    not_repeat: bool = False
    buttons: List[List[Alternative]] = field(default_factory=list)
    lang: Optional[str] = None
    min_buttons: int = 0
    max_buttons: Optional[int] = None

    def said(self) -> str:
        return self.user if self.user is not None else f"（点按钮「{' / '.join(map(str, self.press))}」）"


@dataclass
class Conversation:
    id: str
    persona: str
    turns: List[Turn]
    source: Path
    clock: str = DEFAULT_CLOCK
    metadata: Optional[Dict[str, Any]] = None
    description: str = ""

    @property
    def frozen_time(self) -> str:
        return frozen_time(self.clock)


def frozen_time(clock: str) -> str:
    """`22:30` → the ISO China time of that hour on the set's Thursday; full ISO passes through."""
    if re.fullmatch(r"\d{1,2}:\d{2}", clock):
        hours, minutes = clock.split(":")
        return f"{DAY}T{int(hours):02d}:{minutes}:00+08:00"
    return clock


def _turn(raw: Dict[str, Any], defaults: Dict[str, Any], where: str) -> Turn:
    if not isinstance(raw, dict):
        raise FormatError(f"{where}: a turn is a mapping, got {raw!r}")
    unknown = set(raw) - TURN_KEYS
    if unknown:
        raise FormatError(f"{where}: unknown keys {sorted(unknown)}")
    if ("user" in raw) == ("press" in raw):
        raise FormatError(f"{where}: a turn has exactly one of `user` (typed text) or `press` (a button)")
    lang = raw.get("lang", defaults.get("lang"))
    if lang not in (None, "en", "zh"):
        raise FormatError(f"{where}: lang must be en or zh, got {lang!r}")
    return Turn(
        user=str(raw["user"]) if "user" in raw else None,
        press=_item(raw["press"], where) if "press" in raw else [],
        must=_items(raw.get("must"), where),
        must_not=list(dict.fromkeys(_flat(defaults.get("must_not"), where) + _flat(raw.get("must_not"), where))),
        max_chars=int(raw.get("max_chars", defaults.get("max_chars", DEFAULT_MAX_CHARS))),
        not_repeat=bool(raw.get("not_repeat", defaults.get("not_repeat", False))),
        buttons=_items(raw.get("buttons"), where),
        lang=lang,
        min_buttons=int(raw.get("min_buttons", 0)),
        max_buttons=int(raw["max_buttons"]) if "max_buttons" in raw else None,
    )


def load_file(path: Path) -> List[Conversation]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or set(data) - FILE_KEYS or "conversations" not in data:
        raise FormatError(f"{path}: top level has `persona`, `description`, `defaults`, `conversations`")
    defaults = data.get("defaults") or {}
    if set(defaults) - DEFAULT_KEYS:
        raise FormatError(f"{path}: defaults may only set {sorted(DEFAULT_KEYS)}")
    conversations = []
    for index, raw in enumerate(data["conversations"]):
        where = f"{path.name}#{index}"
        if not isinstance(raw, dict) or set(raw) - CONVERSATION_KEYS or "id" not in raw or not raw.get("turns"):
            raise FormatError(f"{where}: a conversation has `id`, `turns` and optional {sorted(CONVERSATION_KEYS)}")
        persona = raw.get("persona", data.get("persona"))
        if not persona:
            raise FormatError(f"{where}: no persona (set it on the file or the conversation)")
        metadata = raw.get("metadata")
        if metadata is not None and (not isinstance(metadata, dict) or set(metadata) != {"customData"}):
            raise FormatError(f"{where}: metadata is {{customData: {{role/device/language}}}}")
        turns = [_turn(turn, defaults, f"{where} ({raw['id']}) turn {n + 1}") for n, turn in enumerate(raw["turns"])]
        if turns[0].press:
            raise FormatError(f"{where}: the first turn cannot press a button (none was offered yet)")
        conversations.append(
            Conversation(
                id=str(raw["id"]),
                persona=str(persona),
                turns=turns,
                source=Path(path),
                clock=str(raw.get("clock", DEFAULT_CLOCK)),
                metadata=metadata,
                description=str(raw.get("description", "")),
            )
        )
    return conversations


def load_all(directory: Path = CONVERSATIONS_DIR) -> List[Conversation]:
    """Every conversation of every `*.yml` file in `directory`; ids are unique across files."""
    conversations: List[Conversation] = []
    for path in sorted(Path(directory).glob("*.yml")):
        conversations.extend(load_file(path))
    seen: Dict[str, Path] = {}
    for conversation in conversations:
        if conversation.id in seen:
            raise FormatError(f"conversation id {conversation.id!r} in {seen[conversation.id].name} and {conversation.source.name}")
        seen[conversation.id] = conversation.source
    return conversations


# --- what the user sees ---------------------------------------------------------------------

def bubbles(replies: Sequence[Dict[str, Any]]) -> List[str]:
    """The text of each chat bubble: texts, and the copyable block of a custom message."""
    shown = []
    for reply in replies:
        if reply.get("text"):
            shown.append(str(reply["text"]))
        custom = reply.get("custom")
        if isinstance(custom, dict) and custom.get("text"):
            shown.append(str(custom["text"]))
    return shown


def buttons_of(replies: Sequence[Dict[str, Any]]) -> List[Dict[str, str]]:
    return [
        {"title": str(button.get("title", "")), "payload": str(button.get("payload", ""))}
        for reply in replies
        for button in reply.get("buttons") or []
    ]


def english_share(text: str) -> float:
    """Latin letters / (Latin letters + CJK characters); 1.0 for text without either."""
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return 1.0 if cjk + latin == 0 else latin / (latin + cjk)


def _alternatives(item: Iterable[Alternative]) -> str:
    return " | ".join(map(str, item))


def check_turn(turn: Turn, replies: Sequence[Dict[str, Any]], previous: Sequence[Dict[str, Any]] = ()) -> List[str]:
    """Every check of `turn` that the bot's `replies` fail (empty: the turn passed)."""
    failures: List[str] = []
    texts = bubbles(replies)
    if not texts:
        return ["no_reply: the bot sent nothing"]
    joined = "\n".join(texts)
    titles = "\n".join(button["title"] for button in buttons_of(replies))
    everything = json.dumps(replies, ensure_ascii=False)

    for item in turn.must:
        if not any(alternative.found_in(joined) for alternative in item):
            failures.append(f"must: none of [{_alternatives(item)}]")
    for alternative in turn.must_not:
        if alternative.found_in(joined) or alternative.found_in(titles):
            failures.append(f"must_not: {alternative}")
    for pattern in PLACEHOLDER_PATTERNS:
        if pattern.search(everything):
            failures.append(f"placeholder: the guide's sample contact shown ({pattern.pattern})")
    for number, text in enumerate(texts, 1):
        if len(text) > turn.max_chars:
            failures.append(f"max_chars: bubble {number} has {len(text)} characters (max {turn.max_chars})")
    if turn.not_repeat:
        before = set(bubbles(previous))
        for number, text in enumerate(texts, 1):
            if text in before:
                failures.append(f"not_repeat: bubble {number} repeats the previous turn word for word")
    offered = buttons_of(replies)
    for item in turn.buttons:
        if not any(alternative.found_in(b["title"]) or alternative.found_in(b["payload"]) for b in offered for alternative in item):
            failures.append(f"buttons: no button [{_alternatives(item)}] (offered: {[b['title'] for b in offered]})")
    if len(offered) < turn.min_buttons:
        failures.append(f"min_buttons: {len(offered)} buttons offered, at least {turn.min_buttons} expected")
    if turn.max_buttons is not None and len(offered) > turn.max_buttons:
        failures.append(f"max_buttons: {len(offered)} buttons offered, at most {turn.max_buttons} expected")
    if turn.lang == "en" and english_share(joined) < 1 - MAX_CJK_SHARE_FOR_ENGLISH:
        failures.append(f"lang: reply is not mostly English (English share {english_share(joined):.2f})")
    if turn.lang == "zh" and english_share(joined) > MAX_CJK_SHARE_FOR_ENGLISH * 2:
        failures.append(f"lang: reply is not mostly Chinese (English share {english_share(joined):.2f})")
    return failures


# --- running ----------------------------------------------------------------------------------

Say = Callable[[str, str, Optional[Dict[str, Any]]], List[Dict[str, Any]]]


@dataclass
class TurnResult:
    said: str
    sent: str
    replies: List[Dict[str, Any]]
    failures: List[str]


@dataclass
class ConversationResult:
    conversation: Conversation
    turns: List[TurnResult]

    @property
    def fully_helped(self) -> bool:
        return all(not turn.failures for turn in self.turns)

    def failure_kinds(self) -> List[str]:
        """The check name of each failure (must, must_not, not_repeat, max_chars, …)."""
        return [failure.split(":", 1)[0] for turn in self.turns for failure in turn.failures]

    def failure_lines(self) -> List[str]:
        return [
            f"turn {number} 「{turn.said}」: {failure}"
            for number, turn in enumerate(self.turns, 1)
            for failure in turn.failures
        ]

    def transcript(self) -> str:
        lines = []
        for number, turn in enumerate(self.turns, 1):
            lines.append(f"  {number}. user: {turn.said}")
            for text in bubbles(turn.replies):
                lines.append("     bot:  " + text.replace("\n", "\n           "))
            titles = [b["title"] for b in buttons_of(turn.replies)]
            if titles:
                lines.append(f"     buttons: {titles}")
            for failure in turn.failures:
                lines.append(f"     ✗ {failure}")
        return "\n".join(lines)

    def explain(self) -> str:
        """The failure message: which turn, what the bot said, which check failed."""
        return (
            f"{self.conversation.id} ({self.conversation.persona}, {self.conversation.source.name}, "
            f"China time {self.conversation.frozen_time}) failed:\n" + "\n".join(self.failure_lines())
            + "\n\ntranscript:\n" + self.transcript()
        )


def _pressed(turn: Turn, previous: Sequence[Dict[str, Any]]) -> Optional[Dict[str, str]]:
    for button in buttons_of(previous):
        if any(alternative.found_in(button["title"]) for alternative in turn.press):
            return button
    return None


def run_conversation(conversation: Conversation, say: Say, sender: Optional[str] = None) -> ConversationResult:
    """Hold the whole conversation with a fresh sender id; every turn is checked (none skipped)."""
    sender = sender or f"conv-{conversation.id}-{uuid.uuid4().hex[:8]}"
    previous: List[Dict[str, Any]] = []
    results = []
    for turn in conversation.turns:
        failures = []
        if turn.user is not None:
            sent = turn.user
        else:
            button = _pressed(turn, previous)
            if button is None:
                failures.append(f"press: no button [{_alternatives(turn.press)}] was offered in the previous turn; typed it instead")
                sent = str(turn.press[0])
            else:
                sent = button["payload"] or button["title"]
        replies = say(sender, sent, conversation.metadata)
        failures += check_turn(turn, replies, previous)
        results.append(TurnResult(turn.said(), sent, replies, failures))
        previous = replies
    return ConversationResult(conversation, results)


# --- the servers --------------------------------------------------------------------------------

def stack_env(clock: str) -> Dict[str, str]:
    """Environment of a stack for the set: frozen China time; the guard must not throttle a script.

    A scripted conversation sends faster than a person (the guard allows 8, then 0.5/s), and on
    this shared machine a reply may take longer than the guard's 10 s before it answers "busy".
    """
    return {
        "ASSISTANT_FROZEN_TIME": frozen_time(clock),
        "GUARD_RATE_CAPACITY": "10000",
        "GUARD_RATE_PER_SECOND": "1000",
        "GUARD_REPLY_TIMEOUT": "120",
    }


def by_persona(results: Iterable[ConversationResult]) -> Dict[str, List[ConversationResult]]:
    grouped: Dict[str, List[ConversationResult]] = {}
    for result in results:
        grouped.setdefault(result.conversation.persona, []).append(result)
    return dict(sorted(grouped.items()))


class StackPool:
    """The real servers for the set: one stack per frozen clock, one running at a time.

    The clock is the action server's environment, so each clock needs its own stack; running the
    conversations ordered by clock (`by_clock`) starts each stack once.
    """

    def __init__(self, directory: Path, model: Optional[Path] = None) -> None:
        self.directory = Path(directory)
        self.model = model
        self.clock: Optional[str] = None
        self.stack: Optional[Stack] = None

    def get(self, clock: str) -> Stack:
        if self.stack is not None and self.clock == frozen_time(clock):
            return self.stack
        self.close()
        self.clock = frozen_time(clock)
        name = "stack-" + re.sub(r"\W", "", self.clock)
        self.stack = start_stack(self.directory / name, env=stack_env(clock), model=self.model or MODEL)
        return self.stack

    def close(self) -> None:
        if self.stack is not None:
            self.stack.stop()
        self.stack, self.clock = None, None


def by_clock(conversations: Iterable[Conversation]) -> List[Conversation]:
    """The conversations grouped by frozen time (file order kept within a group)."""
    return sorted(conversations, key=lambda conversation: conversation.frozen_time)
