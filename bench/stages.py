"""Per-stage wall-clock timers inside one Rasa server, for the benchmark's "where the time goes".

`install(path)` wraps Rasa's own functions (and the project's policy) with timers; after every
handled message the totals are written to `path` as JSON: {stage: [calls, seconds, cpu seconds]}.
CPU seconds are the event loop thread's (`time.thread_time`): on cores that other work keeps busy
the wall-clock time of a stage includes waiting for a core, its CPU time does not (messages are
sent one at a time, so no other message runs during a stage's awaits). Started through `python -m bench.launch --stages FILE` (bench/launch.py).
"""
from __future__ import annotations

import functools
import inspect
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

TOTALS: Dict[str, List[float]] = defaultdict(lambda: [0, 0.0, 0.0])


def _timed(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return await function(*args, **kwargs)
            finally:
                _add(stage, time.perf_counter() - started, time.thread_time() - cpu)

        return timed_async

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            _add(stage, time.perf_counter() - started, time.thread_time() - cpu)

    return timed


def _add(stage: str, seconds: float, cpu_seconds: float) -> None:
    total = TOTALS[stage]
    total[0] += 1
    total[1] += seconds
    total[2] += cpu_seconds


def stages() -> List[Tuple[str, Any, str]]:
    """(stage, class, method): what is timed. Policies are timed one by one."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.core.processor import MessageProcessor

    from policies.hygiene_policy import ConversationHygienePolicy
    from stores.tracker import ResilientSQLTrackerStore

    listed = [
        ("message (total)", MessageProcessor, "handle_message"),
        ("NLU (parse_message)", MessageProcessor, "parse_message"),
        ("policy prediction (all policies)", MessageProcessor, "_predict_next_with_tracker"),
        ("action server call (RemoteAction.run, incl. validation)", RemoteAction, "run"),
        ("action response validation", RemoteAction, "_validate_action_result"),
        ("tracker store read", ResilientSQLTrackerStore, "retrieve"),
        ("tracker store save", ResilientSQLTrackerStore, "save"),
    ]
    for policy in (MemoizationPolicy, RulePolicy, TEDPolicy, ConversationHygienePolicy):
        listed.append((f"policy {policy.__name__}", policy, "predict_action_probabilities"))
    return listed


def install(path: Path) -> None:
    """Wrap every stage; write the totals to `path` after each message."""
    from rasa.core.processor import MessageProcessor

    for stage, cls, method in stages():
        setattr(cls, method, _timed(stage, cls.__dict__[method]))
    handle = MessageProcessor.handle_message

    @functools.wraps(handle)
    async def handle_and_write(*args: Any, **kwargs: Any) -> Any:
        try:
            return await handle(*args, **kwargs)
        finally:
            Path(path).write_text(json.dumps(dict(TOTALS)))

    MessageProcessor.handle_message = handle_and_write  # type: ignore[method-assign]


def per_message(path: Path) -> Dict[str, Dict[str, float]]:
    """The written totals as ms (wall clock and CPU) per message and calls per message."""
    totals = json.loads(Path(path).read_text())
    messages = totals.get("message (total)", [0])[0] or 1
    return {
        stage: {
            "ms_per_message": round(seconds * 1000 / messages, 2),
            "cpu_ms_per_message": round(cpu_seconds * 1000 / messages, 2),
            "calls_per_message": round(calls / messages, 2),
        }
        for stage, (calls, seconds, cpu_seconds) in totals.items()
    }
