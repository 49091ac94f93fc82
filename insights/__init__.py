"""Operator insights: a report on how the assistant is doing, read from the tracker store.

``python -m insights --since 2026-11-01 --until 2026-11-30 --out reports/insights`` writes
``report.html`` (self-contained, charts embedded), ``summary.json`` and ``nlu_candidates.yml``
(unrecognized and low-confidence messages for a person to label). See docs/insights.md.
"""
