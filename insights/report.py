"""Build the report: read the sources, compute the summary, write the three output files."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape

from insights import charts
from insights.candidates import select_candidates, write_candidates
from insights.metrics import Message, summarize
from insights.period import CHINA, Period
from insights.sources import Conversation, SavedRequest

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Outputs:
    """Paths of the written files."""

    report: Path
    summary: Path
    candidates: Path


@lru_cache(maxsize=1)
def labels() -> Dict[str, Dict[str, str]]:
    """Display names of channels, slots and forms (insights/labels.yml)."""
    return yaml.safe_load((HERE / "labels.yml").read_text(encoding="utf-8"))


def _named(counts: Dict[str, int], kind: str) -> Dict[str, int]:
    names = labels().get(kind, {})
    return {names.get(key, key): value for key, value in counts.items()}


def render_html(summary: Dict[str, Any], generated_at: datetime) -> str:
    """The self-contained HTML page (charts embedded as data URIs, no external resource)."""
    forms = {
        labels()["forms"].get(name, name): {**form, "abandoned_at": _named(form["abandoned_at"], "slots")}
        for name, form in summary["forms"].items()
    }
    images = {
        "activity": charts.activity_chart(summary["per_day"], summary["per_hour"]),
        "intents": charts.counts_chart(summary["intents"], "意图分布（用户消息数）"),
        "channels": charts.counts_chart(
            _named({k: v["conversations"] for k, v in summary["channels"].items()}, "channels"),
            "各渠道会话数",
            charts.COLORS[4],
        ),
        "forms": charts.forms_chart(forms),
        "requests": charts.requests_chart(
            summary["support_requests"]["by_category"], summary["support_requests"]["by_goal"]
        ),
    }
    environment = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html", "j2"]),
    )
    return environment.get_template("report.html.j2").render(
        summary=summary,
        forms=forms,
        images=images,
        channel_names=labels()["channels"],
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M"),
    )


def build(
    conversations: List[Conversation],
    requests: List[SavedRequest],
    period: Period,
    out_dir: Path,
    low_confidence: float,
    top_unrecognized: int = 20,
    generated_at: Optional[datetime] = None,
) -> Outputs:
    """Write report.html, summary.json and nlu_candidates.yml into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    generated_at = generated_at or datetime.now(CHINA)
    summary = summarize(conversations, requests, period, low_confidence, top_unrecognized)
    summary["generated_at"] = generated_at.isoformat(timespec="seconds")
    outputs = Outputs(out_dir / "report.html", out_dir / "summary.json", out_dir / "nlu_candidates.yml")
    outputs.summary.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    outputs.report.write_text(render_html(summary, generated_at), encoding="utf-8")
    messages = [Message.from_event(event) for c in conversations for event in c.user_events]
    write_candidates(outputs.candidates, select_candidates(messages, low_confidence), period, low_confidence)
    return outputs
