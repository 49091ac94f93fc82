"""The fully-helped rate of the persona conversation set, against the real servers.

Run from the repository root:
    PYTHONPATH=. .venv/bin/python scripts/eval_conversations.py [--model PATH] [--only TEXT]

Trains the model with scripts/train.sh when no --model is given (a no-op when it is up to date),
starts the Rasa + action servers with tests/support/servers.py (one stack per frozen clock), holds
every conversation of tests/conversations/*.yml over the REST webhook, and judges it with
tests/conversations/runner.py, the code the pytest runner uses. A conversation is fully helped
when every check of every turn passed. Prints the rate per persona and overall and each failure;
writes reports/conversations/report.md (figures, failures with transcripts, commit). Exits 1 when
a conversation was not fully helped.
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import List

from tests.conversations.runner import (
    ConversationResult,
    StackPool,
    by_clock,
    by_persona,
    load_all,
    run_conversation,
)
from tests.support.servers import MODEL, ROOT

REPORT = ROOT / "reports" / "conversations" / "report.md"


def rate(results: List[ConversationResult]) -> str:
    helped = sum(result.fully_helped for result in results)
    return f"{helped}/{len(results)} ({100 * helped / len(results):.1f} %)" if results else "0/0"


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return head + (" (with uncommitted changes)" if dirty else "")


def failure_kinds(results: List[ConversationResult]) -> List[tuple]:
    """How often each kind of check failed, most frequent first."""
    counts = Counter(kind for result in results for kind in result.failure_kinds())
    return counts.most_common()


def markdown(results: List[ConversationResult], command: str, seconds: float) -> str:
    turns = sum(len(result.turns) for result in results)
    failed_turns = sum(bool(turn.failures) for result in results for turn in result.turns)
    lines = [
        "# Persona conversation set: fully-helped rate",
        "",
        f"Command: `{command}` at commit {commit()}, {seconds:.0f} s.",
        f"Set: `tests/conversations/*.yml`, {len(results)} conversations, {turns} user turns "
        f"({failed_turns} turns with a failed check).",
        "",
        f"**Fully helped: {rate(results)}**",
        "",
        "| persona | fully helped |",
        "|---|---|",
    ]
    for persona, group in by_persona(results).items():
        lines.append(f"| {persona} | {rate(group)} |")
    lines += ["", "## Failed checks by kind", "", "| check | failures |", "|---|---|"]
    lines += [f"| {kind} | {count} |" for kind, count in failure_kinds(results)]
    lines += ["", "## Conversations not fully helped", ""]
    for result in results:
        if result.fully_helped:
            continue
        conversation = result.conversation
        lines += [
            f"### {conversation.id} ({conversation.persona}, {conversation.source.name}, China time {conversation.frozen_time})",
            "",
            *[f"- {line}" for line in result.failure_lines()],
            "",
            "```",
            result.transcript(),
            "```",
            "",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="a trained model (default: train or reuse models/aliexpress.tar.gz)")
    parser.add_argument("--only", default="", help="run only conversations whose id or persona contains this text")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args()

    conversations = [c for c in load_all() if args.only in c.id or args.only in c.persona]
    if not conversations:
        print(f"no conversation matches {args.only!r}", file=sys.stderr)
        return 2
    model = args.model
    if model is None:
        print("scripts/train.sh (waits for the machine-wide training lock) …", flush=True)
        subprocess.run([str(ROOT / "scripts" / "train.sh")], cwd=ROOT, check=True)
        model = MODEL

    # A stopped run (timeout, kill) still stops its servers: SystemExit runs the `finally` below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="eval-conversations-") as directory:
        pool = StackPool(Path(directory), model)
        try:
            for conversation in by_clock(conversations):
                result = run_conversation(conversation, pool.get(conversation.clock).say)
                print(("✓ " if result.fully_helped else "✗ ") + conversation.id, flush=True)
                results.append(result)
        finally:
            pool.close()
    seconds = time.monotonic() - started

    print()
    for persona, group in by_persona(results).items():
        print(f"{persona:22} {rate(group)}")
    print(f"{'overall':22} {rate(results)}")
    for result in results:
        if not result.fully_helped:
            print(f"\n{result.conversation.id} ({result.conversation.persona}):")
            for line in result.failure_lines():
                print("  " + line)

    command = "PYTHONPATH=. .venv/bin/python scripts/eval_conversations.py" + (f" --only {args.only}" if args.only else "")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(markdown(results, command, seconds), encoding="utf-8")
    print(f"\nreport: {args.report.relative_to(ROOT) if args.report.is_relative_to(ROOT) else args.report}")
    return 0 if all(result.fully_helped for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
