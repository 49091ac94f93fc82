"""Command line: ``python -m insights --since 2026-11-01 --until 2026-11-30 --out reports/insights``."""
from __future__ import annotations

import argparse
import logging
import sys
import warnings
from datetime import date
from pathlib import Path
from typing import List, Optional

from insights.period import Period
from insights.report import build
from insights.sources import NoTrackerStoreError, load_conversations, load_requests


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m insights",
        description="客服助手运营报告：读取会话记录和问题单，生成 report.html、summary.json 和 nlu_candidates.yml。",
    )
    parser.add_argument("--since", type=date.fromisoformat, required=True, help="first China date, YYYY-MM-DD")
    parser.add_argument("--until", type=date.fromisoformat, required=True, help="last China date (inclusive)")
    parser.add_argument("--out", type=Path, default=Path("reports/insights"), help="output folder")
    parser.add_argument(
        "--endpoints", type=Path, default=Path("endpoints.yml"), help="Rasa endpoints file naming the tracker store"
    )
    parser.add_argument(
        "--requests-url",
        default=None,
        help="request store database URL (default: REQUEST_STORE_URL, else sqlite:///var/requests.db)",
    )
    parser.add_argument(
        "--low-confidence",
        type=float,
        default=0.7,
        help="export recognized messages whose intent confidence is below this (default 0.7)",
    )
    parser.add_argument("--top", type=int, default=20, help="how many unrecognized messages to list")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Build the report; returns the process exit code."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.simplefilter("ignore", DeprecationWarning)  # Rasa's dependencies, not ours
    try:
        period = Period(args.since, args.until)
        conversations = load_conversations(args.endpoints, period)
    except (ValueError, NoTrackerStoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    requests = load_requests(period, args.requests_url)
    outputs = build(conversations, requests, period, args.out, args.low_confidence, args.top)
    print(
        f"{len(conversations)} conversations, {len(requests)} support requests "
        f"({period.since} – {period.until}, China time)\n"
        f"  {outputs.report}\n  {outputs.summary}\n  {outputs.candidates}"
    )
    return 0
