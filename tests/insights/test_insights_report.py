"""The report's figures equal what was said to the running assistant, and it opens in a browser."""
from __future__ import annotations

import asyncio
import json
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional

import sqlalchemy as sa
from playwright.sync_api import sync_playwright
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.nlu.training_data.loading import load_data

from actions.request_store import SupportRequest, get_store, requests_table
from insights.candidates import PLACEHOLDER_INTENT
from insights.metrics import THREE_STRIKES_HANDOFF, TWO_STAGE_FALLBACK
from tests.insights.conftest import (
    EMAIL,
    FORM,
    FORM_ANSWERS,
    PHONE,
    PII_GIBBERISH,
    Report,
    Said,
    day_after,
    intent_of,
    ran,
    run_report,
    tracker_events,
    user_events,
)
from tests.production.infra import require_binaries, start_postgres
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.servers import ROOT



def test_conversations_messages_and_channels(said: Said, report: Report) -> None:
    totals = report.summary["totals"]
    assert totals["conversations"] == len(said.senders) == 9
    assert totals["senders"] == 9
    assert totals["user_messages"] == len(said.lines)
    # The trackers (read apart from the report) hold each sender's messages, each once.
    events = tracker_events(said)
    assert {sender: len(user_events({sender: evs})) for sender, evs in events.items()} == said.said_by
    channels = Counter(said.senders.values())
    assert report.summary["channels"] == {
        name: {"conversations": count, "share": round(count / len(said.senders), 4)}
        for name, count in channels.items()
    }
    assert channels == {"rest": 7, "socketio": 2}


def _expected(windows: List[List[datetime]], fmt: str) -> Optional[Dict[str, int]]:
    """Counts per China-time bucket; None when a message straddled a bucket boundary.

    Rasa stamps a message between the moment it was sent and its reply (a window).
    """
    if any(before.strftime(fmt) != after.strftime(fmt) for before, after in windows):
        return None
    return dict(Counter(before.strftime(fmt) for before, _ in windows))


def test_per_day_and_per_hour_in_china_time(said: Said, report: Report) -> None:
    per_day, per_hour = report.summary["per_day"], report.summary["per_hour"]
    assert len(per_hour) == 24
    assert sum(d["messages"] for d in per_day.values()) == len(said.lines)
    assert sum(h["conversations"] for h in per_hour.values()) == len(said.senders)
    starts = list(said.first_sent.values())
    for buckets, key, windows, fmt in [
        (per_day, "messages", said.sent_at, "%Y-%m-%d"),
        (per_day, "conversations", starts, "%Y-%m-%d"),
        (per_hour, "messages", said.sent_at, "%H"),
        (per_hour, "conversations", starts, "%H"),
    ]:
        expected = _expected(windows, fmt)
        if expected is not None:
            assert {k: v[key] for k, v in buckets.items() if v[key]} == expected, (key, fmt)


def test_intents_and_fallbacks(said: Said, report: Report) -> None:
    users = user_events(tracker_events(said))
    assert report.summary["intents"] == dict(Counter(intent_of(e) for e in users))
    unrecognized = [" ".join(e["text"].split()) for e in users if intent_of(e) == "nlu_fallback"]
    assert unrecognized, "the scripted gibberish never reached nlu_fallback"
    fallback = report.summary["fallback"]
    assert fallback["messages"] == len(unrecognized)
    assert fallback["rate"] == round(len(unrecognized) / len(said.lines), 4)
    assert {row["text"]: row["count"] for row in fallback["top_unrecognized"]} == dict(Counter(unrecognized))


def test_two_stage_fallback_handoff_and_human_requests(said: Said, report: Report) -> None:
    events = tracker_events(said)
    conversations = len(said.senders)
    two_stage = [s for s, evs in events.items() if ran(evs, TWO_STAGE_FALLBACK)]
    handoff = [s for s, evs in events.items() if ran(evs, THREE_STRIKES_HANDOFF)]
    assert report.summary["two_stage_fallback"] == {
        "conversations": len(two_stage),
        "rate": round(len(two_stage) / conversations, 4),
    }
    # Three unhandled lines in a row happened in exactly one scripted conversation.
    assert [s.rsplit("-", 1)[1] for s in handoff] == ["striker"]
    assert report.summary["three_strikes_handoff"] == {"conversations": 1, "rate": round(1 / conversations, 4)}
    assert report.summary["human_requested"] == {"conversations": 1, "rate": round(1 / conversations, 4)}


def test_forms_started_completed_and_where_abandoned(said: Said, report: Report) -> None:
    assert said.abandoned_at in FORM_ANSWERS
    assert report.summary["forms"] == {
        FORM: {
            "started": 2,
            "completed": 1,
            "abandoned": 1,
            "completion_rate": 0.5,
            "abandoned_at": {said.abandoned_at: 1},
        }
    }


def test_support_requests_by_category_and_goal(report: Report) -> None:
    requests = report.summary["support_requests"]
    assert requests["total"] == 1
    assert requests["by_category"] == {FORM_ANSWERS["issue_category"]: 1}
    assert requests["by_goal"] == {FORM_ANSWERS["request_goal"]: 1}


def test_other_periods_see_nothing(said: Said, report: Report, tmp_path: Path) -> None:
    later = day_after(said.period[1], 1)
    process = run_report(said, tmp_path, later, day_after(later, 6))
    assert process.returncode == 0, process.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["totals"]["conversations"] == 0
    assert summary["support_requests"]["total"] == 0
    assert list(summary["per_day"]) == [day_after(later, n).isoformat() for n in range(7)]
    earlier = day_after(said.period[0], -3)
    process = run_report(said, tmp_path, earlier, day_after(earlier, 2))
    assert process.returncode == 0, process.stderr[-3000:]
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["totals"]["user_messages"] == 0


async def _copy_trackers(source_endpoints: Path, target: "SQLTrackerStore") -> int:
    """Every conversation of the SQLite store, saved into ``target`` through Rasa's own API."""
    source = TrackerStore.create(AvailableEndpoints.read_endpoints(str(source_endpoints)).tracker_store)
    senders = list(await source.keys())
    for sender in senders:
        await target.save(await source.retrieve_full_tracker(sender))
    return len(senders)


def test_production_postgresql_stores_give_the_same_report(said: Said, report: Report, tmp_path: Path) -> None:
    """endpoints.prod.yml + REQUEST_STORE_URL on PostgreSQL: the same conversations, the same figures."""
    require_binaries()
    postgres = start_postgres()
    try:
        for database in ("tracker", "requests"):
            postgres.create_database(database)
        target = SQLTrackerStore(
            dialect="postgresql", host="127.0.0.1", port=postgres.port, db="tracker",
            username=postgres.user, password=postgres.password,
        )
        assert asyncio.run(_copy_trackers(said.stack.endpoints, target)) == len(said.senders)
        sqlite_requests = get_store(f"sqlite:///{said.stack.tracker_db.parent / 'requests.db'}")
        with sqlite_requests.engine.connect() as connection:
            rows = connection.execute(sa.select(requests_table)).mappings().all()
        for row in rows:
            get_store(postgres.url("requests")).save(SupportRequest(**{k: v for k, v in row.items() if k != "id"}))
        env = {
            "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": str(postgres.port), "TRACKER_DB_NAME": "tracker",
            "TRACKER_DB_USER": postgres.user, "TRACKER_DB_PASSWORD": postgres.password,
            "REQUEST_STORE_URL": postgres.url("requests"),
            # read by endpoints.prod.yml but not used by the report
            "ACTION_ENDPOINT_URL": "http://127.0.0.1:1/webhook", "LOCK_STORE_HOST": "127.0.0.1",
            "LOCK_STORE_PORT": "1", "LOCK_STORE_DB": "0", "LOCK_STORE_PASSWORD": "",
        }
        process = run_report(said, tmp_path, *said.period, endpoints=ROOT / "endpoints.prod.yml", env=env)
    finally:
        postgres.stop()
        shutil.rmtree(postgres.directory, ignore_errors=True)
    assert process.returncode == 0, process.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in summary.items() if k != "generated_at"} == {
        k: v for k, v in report.summary.items() if k != "generated_at"
    }


def test_nlu_candidates_are_rasa_yaml_with_masked_personal_data(said: Said, report: Report) -> None:
    data = load_data(str(report.out / "nlu_candidates.yml"), language="zh")
    assert {m.get("intent") for m in data.intent_examples} == {PLACEHOLDER_INTENT}
    exported = {m.get("text") for m in data.intent_examples}
    # Every unrecognized line with words is there; nothing recognized with confidence is.
    for event in user_events(tracker_events(said)):
        text, intent = " ".join(event["text"].split()), event["parse_data"]["intent"]
        worded = any(ch.isalnum() for ch in text)
        if intent["name"] == "nlu_fallback" and worded:
            assert text in exported
        elif intent["name"] != "nlu_fallback" and intent["confidence"] >= 0.7:
            assert text not in exported
    assert exported, "nothing to teach: no scripted line fell back"
    for name in ["report.html", "summary.json", "nlu_candidates.yml"]:
        content = (report.out / name).read_text(encoding="utf-8")
        assert PHONE not in content and EMAIL not in content, name
    assert PII_GIBBERISH not in exported
    for text in exported:
        if text.startswith(PII_GIBBERISH[:9]):
            assert "138****5678" in text and "z***@example.com" in text, text


def test_report_opens_in_headless_chromium_with_its_charts(report: Report) -> None:
    blocked: List[str] = []

    def only_local(route) -> None:  # noqa: ANN001 (playwright's Route)
        url = route.request.url
        if url.startswith(("file:", "data:")) or url.startswith(("http://127.0.0.1", "http://localhost")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_local)
            page.goto((report.out / "report.html").as_uri())
            page.wait_for_load_state("load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({src: e.src.slice(0, 22), ok: e.complete, w: e.naturalWidth}))"
            )
            conversations = page.inner_text("[data-metric=conversations] b")
            fallback_rows = page.locator("#fallback tbody tr").count()
        finally:
            browser.close()
    assert blocked == []
    assert len(images) == 5
    for image in images:
        assert image["src"] == "data:image/png;base64," and image["ok"] and image["w"] > 0, image
    assert conversations == str(report.summary["totals"]["conversations"])
    assert fallback_rows == len(report.summary["fallback"]["top_unrecognized"])
