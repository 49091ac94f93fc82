"""Turn measured figures into ratios, target verdicts, report.json, report.md and PNG plots.

Nothing here is typed in: every ratio and every met / not met is computed from the measurements.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SYSTEMS = ("echo", "minimal_pipeline", "assistant")
LABELS = {"echo": "echo floor", "minimal_pipeline": "minimal Chinese pipeline", "assistant": "assistant"}
SHARED_MACHINE_NOTE = (
    "Measured on a shared 2-core machine while other engineers were training and testing: "
    "absolute figures carry that load (see load_average); ratios come from the same run."
)

Report = Dict[str, Any]


def dig(data: Any, *path: Any) -> Any:
    """data[path[0]][path[1]]…, or None when any step is missing."""
    for key in path:
        if not isinstance(data, dict) or data.get(key) is None:
            return None
        data = data[key]
    return data


def ratio(numerator: Any, denominator: Any) -> Optional[float]:
    """numerator ÷ denominator to 3 significant digits (None when either is missing)."""
    if numerator is None or not denominator:
        return None
    return float(f"{numerator / denominator:.3g}")


def top_level(report: Report) -> str:
    """The highest concurrency level measured (as a key of the `rest` tables)."""
    return str(max(report["meta"]["profile"]["levels"]))


# --- ratios -------------------------------------------------------------------------------------
def ratios(report: Report) -> Dict[str, Dict[str, Optional[float]]]:
    """Headline ratios of the assistant to the echo floor and to the minimal Chinese pipeline."""
    systems = report["systems"]
    top = top_level(report)
    levels = [str(level) for level in report["meta"]["profile"]["levels"]]

    def of(system: str, *path: Any) -> Any:
        return dig(systems, system, *path)

    def against(base: str, extra: Dict[str, Optional[float]]) -> Dict[str, Optional[float]]:
        figures = {
            "parse_p50": ratio(of("assistant", "parse", "p50_ms"), of(base, "parse", "p50_ms")),
            **{
                f"rest_p95_c{level}": ratio(of("assistant", "rest", level, "p95_ms"), of(base, "rest", level, "p95_ms"))
                for level in levels
            },
            f"throughput_c{top}": ratio(
                of("assistant", "rest", top, "throughput_msg_s"), of(base, "rest", top, "throughput_msg_s")
            ),
            "server_peak_rss": ratio(of("assistant", "peak_rss_mb", "server"), of(base, "peak_rss_mb", "server")),
            "start_up": ratio(of("assistant", "start_s", "server"), of(base, "start_s", "server")),
        }
        figures.update(extra)
        return figures

    accuracy_gap = None
    if of("assistant", "heldout", "accuracy") is not None and of("minimal_pipeline", "heldout", "accuracy") is not None:
        accuracy_gap = round(
            of("assistant", "heldout", "accuracy") - of("minimal_pipeline", "heldout", "accuracy"), 4
        )
    return {
        "vs_echo": against("echo", {}),
        "vs_minimal_pipeline": against(
            "minimal_pipeline",
            {
                "training_total": ratio(of("assistant", "training", "total_s"), of("minimal_pipeline", "training", "total_s")),
                "training_nlu": ratio(of("assistant", "training", "nlu_s"), of("minimal_pipeline", "training", "nlu_s")),
                "model_size": ratio(of("assistant", "model_bytes"), of("minimal_pipeline", "model_bytes")),
                "actions_peak_rss": ratio(
                    of("assistant", "peak_rss_mb", "actions"), of("minimal_pipeline", "peak_rss_mb", "actions")
                ),
                "heldout_accuracy_difference": accuracy_gap,
            },
        ),
    }


# --- targets ------------------------------------------------------------------------------------
def target(name: str, limit: str, value: Any, check: Callable[[Any], bool], detail: str = "") -> Dict[str, Any]:
    return {
        "target": name,
        "limit": limit,
        "measured": value,
        "met": None if value is None else bool(check(value)),
        "detail": detail,
    }


def targets(report: Report) -> List[Dict[str, Any]]:
    """Every target of issue 14, judged on the product as started by scripts/run.sh (None: not measured)."""
    assistant = report["systems"]["assistant"]
    sequential = dig(assistant, "rest", "1")
    at16 = dig(assistant, "rest", "16")
    failures = assistant.get("action_failures")
    clean16 = at16 is not None and at16["errors"] == 0 and failures == 0
    detail16 = "" if at16 is None else f"errors: {at16['errors']}, failed custom actions in the run: {failures}"
    rest16 = target(
        "REST p95 at 16 concurrent, zero errors", "≤ 250 ms and 0 errors",
        dig(at16, "p95_ms"), lambda v: v <= 250 and clean16, detail16,
    )
    if at16 is not None and at16["p95_ms"] is None:
        rest16["met"] = False  # every request failed
    return [
        target("sequential REST p50", "≤ 25 ms", dig(sequential, "p50_ms"), lambda v: v <= 25),
        target("throughput at 16 concurrent, zero errors", "≥ 100 msg/s", dig(at16, "throughput_msg_s"),
               lambda v: v >= 100 and clean16, f"{assistant.get('rasa_processes')} Rasa process(es); {detail16}"),
        rest16,
        target("/model/parse p50", "≤ 8 ms", dig(assistant, "parse", "p50_ms"), lambda v: v <= 8),
        target("start-up (spawn of scripts/run.sh → /status ready)", "≤ 20 s", dig(assistant, "start_s", "server"),
               lambda v: v <= 20),
        target("Rasa resident memory per process", "≤ 1.2 GB (1228.8 MB)",
               dig(assistant, "peak_rss_mb", "server_largest_process"), lambda v: v <= 1228.8,
               f"all Rasa processes together: {dig(assistant, 'peak_rss_mb', 'server')} MB"),
        target("full training (NLU + dialogue)", "≤ 60 s", dig(assistant, "training", "total_s"), lambda v: v <= 60),
    ]


def stage_lines(report: Report) -> List[str]:
    """Where one sequential message's time goes (timers around Rasa's own functions)."""
    breakdown = report.get("stages") or {}
    stages = breakdown.get("stages") or {}
    total = dig(stages, "message (total)", "ms_per_message")
    if not total:
        return ["_not measured_", ""]
    p50 = dig(breakdown, "rest", "p50_ms")
    lines = [
        f"The product's parts in one Rasa process with timers, {dig(breakdown, 'rest', 'messages')} sequential "
        f"messages (REST p50 {fmt(p50)} ms; the round trip adds the channel, the guard and HTTP to the "
        "message total). Stages overlap: the action server call includes its validation, the policy "
        "total includes each policy. CPU ms: the Rasa process's own work in the stage (the action server call's "
        "CPU is Rasa's side only; the rest of its wall time is the action server and waiting for a core).",
        "",
        "| stage | ms per message | CPU ms per message | calls per message | share of the message total |",
        "|---|---|---|---|---|",
    ]
    for stage, figures in sorted(stages.items(), key=lambda item: -item[1]["ms_per_message"]):
        share = f"{figures['ms_per_message'] / total:.0%}"
        lines.append(f"| {stage} | {fmt(figures['ms_per_message'])} | {fmt(figures.get('cpu_ms_per_message'))} | "
                     f"{fmt(figures['calls_per_message'])} | {share} |")
    processes = breakdown.get("process_cpu_ms_per_message") or {}
    if processes:
        lines += ["", "CPU ms per message of the whole processes (HTTP, channel and guard included; the Rasa "
                  "server with its timers; the load generator's own is not counted): "
                  + ", ".join(f"{name} {fmt(ms)}" for name, ms in processes.items()) + "."]
    return lines + [""]


def build(report: Report) -> Report:
    """Add the computed sections (ratios, targets) to the measured report."""
    report["ratios"] = ratios(report)
    report["targets"] = targets(report)
    report["meta"]["note"] = SHARED_MACHINE_NOTE
    return report


# --- files --------------------------------------------------------------------------------------
def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if abs(value) < 1:
            value = f"{value:.3g}"
        elif abs(value) < 1000:
            value = f"{value:,.2f}".rstrip("0").rstrip(".")
        else:
            value = f"{value:,.0f}"
    return f"{value}{unit}"


def verdict(met: Optional[bool]) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[met]


def markdown(report: Report, plots: List[str]) -> str:
    meta, systems = report["meta"], report["systems"]
    levels = [str(level) for level in meta["profile"]["levels"]]
    lines = [
        "# Benchmark report",
        "",
        f"Mode **{meta['mode']}**, {meta['started_utc']} → {meta['finished_utc']} ({meta['duration_s']} s, "
        f"of which {meta.get('training_lock_wait_s', 0)} s waiting for the shared training lock), "
        f"Rasa {meta['rasa_version']}, commit {meta['git_commit']}, {meta['machine_at_start']['cpus']} CPUs, "
        f"load average {meta['machine_at_start']['load_average']} at start, "
        f"{meta['machine_at_end']['load_average']} at end.",
        "",
        f"> {meta['note']}",
        "",
        "## Headline ratios",
        "",
        "| figure | assistant ÷ echo floor | assistant ÷ minimal pipeline |",
        "|---|---|---|",
    ]
    vs_echo, vs_min = report["ratios"]["vs_echo"], report["ratios"]["vs_minimal_pipeline"]
    for key in dict.fromkeys([*vs_echo, *vs_min]):
        lines.append(f"| {key} | {fmt(vs_echo.get(key))} | {fmt(vs_min.get(key))} |")
    lines += ["", "## Targets", "", "| target | limit | measured | verdict | detail |", "|---|---|---|---|---|"]
    for item in report["targets"]:
        lines.append(
            f"| {item['target']} | {item['limit']} | {fmt(item['measured'])} | **{verdict(item['met'])}** | {item['detail']} |"
        )
    lines += ["", "## Figures", "", "| figure | " + " | ".join(LABELS[s] for s in SYSTEMS) + " |", "|---|---|---|---|"]
    rows = [
        ("training total (s)", ("training", "total_s")),
        ("training NLU (s)", ("training", "nlu_s")),
        ("training NLU as measured (s)", ("training", "nlu_s_measured")),
        ("training dialogue (s)", ("training", "dialogue_s")),
        ("training set-up and I/O (s)", ("training", "setup_and_io_s")),
        ("model size (bytes)", ("model_bytes",)),
        ("server start (s)", ("start_s", "server")),
        ("action server start (s)", ("start_s", "actions")),
        ("/model/parse first request (ms)", ("parse", "first_request_ms")),
        ("/model/parse p50 (ms)", ("parse", "p50_ms")),
        ("/model/parse p95 (ms)", ("parse", "p95_ms")),
        ("/model/parse errors", ("parse", "errors")),
        ("failed custom actions (whole run)", ("action_failures",)),
        ("held-out intent accuracy", ("heldout", "accuracy")),
        ("held-out examples", ("heldout", "examples")),
        ("Rasa processes", ("rasa_processes",)),
        ("peak RSS server (MB)", ("peak_rss_mb", "server")),
        ("peak RSS largest server process (MB)", ("peak_rss_mb", "server_largest_process")),
        ("peak RSS action server (MB)", ("peak_rss_mb", "actions")),
        ("custom action runs (inspected trackers)", ("coverage", "custom_action_runs")),
        ("form activations (inspected trackers)", ("coverage", "form_activations")),
    ]
    for label, path in rows:
        lines.append(f"| {label} | " + " | ".join(fmt(dig(systems, s, *path)) for s in SYSTEMS) + " |")
    lines += [
        "", "## REST round trip (ms) and throughput", "",
        "| system | concurrent | messages | errors | empty replies | p50 | p95 | p99 | msg/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for system in SYSTEMS:
        for level in levels:
            row = dig(systems, system, "rest", level) or {}
            lines.append(
                f"| {LABELS[system]} | {level} | {fmt(row.get('messages'))} | {fmt(row.get('errors'))} | "
                f"{fmt(row.get('empty_replies'))} | {fmt(row.get('p50_ms'))} | {fmt(row.get('p95_ms'))} | "
                f"{fmt(row.get('p99_ms'))} | {fmt(row.get('throughput_msg_s'))} |"
            )
    notes = [
        f"{LABELS[system]}: {text}"
        for system in SYSTEMS
        for key in ("nlu_projection", "dialogue_source")
        if (text := dig(systems, system, "training", key))
    ]
    if meta["profile"].get("epochs_override"):
        notes.append(f"tiny run: every epoch-trained component trained {meta['profile']['epochs_override']} epochs")
    lines += ["", "## Training notes", ""] + [f"- {note}" for note in notes] + ["- epochs per component: " + "; ".join(
        f"{LABELS[system]} {name} {figures['epochs']} epochs, median {figures['median_epoch_s']} s"
        for system in SYSTEMS
        for name, figures in (dig(systems, system, "training", "epochs") or {}).items()
    )]
    lines += ["", "## Where a message's time goes (per stage)", ""] + stage_lines(report)
    lines += ["## Speed knobs (before → after)", ""]
    for knob in report["knobs"]:
        lines += knob_lines(knob)
    proposals = [knob["proposal"] for knob in report["knobs"] if knob.get("proposal")]
    lines += ["## Proposals", ""]
    lines += [f"- {proposal}" for proposal in proposals] or ["- none: no knob was faster without losing accuracy or adding errors"]
    lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in plots]
    lines += [
        "", "## How it was measured", "",
        "`scripts/bench.sh` (= `python -m bench`) trains the assistant (config.yml) and the minimal pipeline "
        "with `rasa train` in a temporary directory, timing every training-graph node (NLU vs dialogue); "
        "serves the assistant exactly as the README does (`scripts/run.sh`: the product's channels behind the "
        "guard with its rate limit lifted, its tracker store, its Rasa processes) and the minimal pipeline on "
        "stock Rasa (its REST channel and SQL tracker store), each with its own action server and SQLite files; "
        "sends the fixed message mix of bench/workload.yml to /model/parse one at a time, then runs the scripted "
        "conversations with N concurrent virtual users (aiohttp); samples the resident memory of each server's "
        "process tree every 0.2 s (psutil). Errors are non-200 answers, non-JSON bodies and time-outs; failed "
        "custom actions are counted from the Rasa server log (the REST reply is still 200 then).",
        "",
    ]
    return "\n".join(lines)


def knob_lines(knob: Dict[str, Any]) -> List[str]:
    lines = [f"### {knob['name']}: {knob['description']}", ""]
    if knob.get("note"):
        lines += [f"_{knob['note']}_", ""]
    before, after = knob.get("before"), knob.get("after")
    if before and after:
        lines += ["| figure | before | after |", "|---|---|---|"]
        for label, path in knob_rows(before, after):
            lines.append(f"| {label} | {fmt(dig(before, *path))} | {fmt(dig(after, *path))} |")
        lines += ["", f"Helps: **{knob['helps']}**" + (f" → propose `{knob['proposal']}`" if knob.get("proposal") else ""), ""]
    return lines


def knob_rows(before: Dict[str, Any], after: Dict[str, Any]) -> List[tuple]:
    """The figures a knob has, in a fixed order."""
    rows: List[tuple] = []
    for key in ("diet_epochs", "nlu_training_s", "per_turn_ms"):
        if key in after:
            rows.append((key, (key,)))
    if "parse" in after:
        rows += [("parse p50 (ms)", ("parse", "p50_ms")), ("parse p95 (ms)", ("parse", "p95_ms"))]
    if "heldout" in after:
        rows.append(("held-out accuracy", ("heldout", "accuracy")))
    if "start_s" in after:
        rows += [("server start (s)", ("start_s", "server")), ("action server start (s)", ("start_s", "actions"))]
    for level in (after.get("rest") or {}):
        for field, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("throughput_msg_s", "msg/s"), ("errors", "errors")):
            rows.append((f"REST {label} at {level}", ("rest", level, field)))
    if "action_failures" in after:
        rows.append(("failed custom actions", ("action_failures",)))
    if "peak_rss_mb" in after:
        rows += [("peak RSS server (MB)", ("peak_rss_mb", "server")), ("peak RSS actions (MB)", ("peak_rss_mb", "actions"))]
    return rows


def plot(report: Report, out_dir: Path) -> List[str]:
    """REST latency by concurrency and throughput / memory per system; returns the file names."""
    systems = report["systems"]
    levels = [str(level) for level in report["meta"]["profile"]["levels"]]
    width = 0.8 / len(SYSTEMS)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for index, system in enumerate(SYSTEMS):
        xs = [i + index * width for i in range(len(levels))]
        p50 = [dig(systems, system, "rest", level, "p50_ms") or 0 for level in levels]
        p95 = [dig(systems, system, "rest", level, "p95_ms") or 0 for level in levels]
        axes[0].bar(xs, p95, width, alpha=0.35, label=f"{LABELS[system]} p95")
        axes[0].bar(xs, p50, width, label=f"{LABELS[system]} p50")
        thr = [dig(systems, system, "rest", level, "throughput_msg_s") or 0 for level in levels]
        axes[1].bar(xs, thr, width, label=LABELS[system])
    for axis, title, unit in ((axes[0], "REST round trip", "ms (log)"), (axes[1], "Throughput", "messages / s")):
        axis.set_xticks([i + width for i in range(len(levels))])
        axis.set_xticklabels([f"{level} concurrent" for level in levels])
        axis.set_title(title)
        axis.set_ylabel(unit)
        axis.legend(fontsize=7)
    axes[0].set_yscale("log")
    axes[1].set_yscale("log")
    axes[1].set_ylabel("messages / s (log)")
    fig.tight_layout()
    fig.savefig(out_dir / "rest_latency_throughput.png", dpi=110)
    plt.close(fig)
    names = ["rest_latency_throughput.png", "peak_memory.png"]
    if plot_knobs(report, out_dir / "knobs.png"):
        names.append("knobs.png")

    fig, axis = plt.subplots(figsize=(7, 4))
    servers = [dig(systems, system, "peak_rss_mb", "server") or 0 for system in SYSTEMS]
    actions = [dig(systems, system, "peak_rss_mb", "actions") or 0 for system in SYSTEMS]
    labels = [LABELS[system] for system in SYSTEMS]
    axis.bar(labels, servers, label="server")
    axis.bar(labels, actions, bottom=servers, label="action server")
    axis.axhline(1228.8, color="red", linestyle="--", linewidth=1, label="target: Rasa server 1.2 GB")
    axis.set_ylabel("peak RSS (MB)")
    axis.set_title("Peak resident memory")
    axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "peak_memory.png", dpi=110)
    plt.close(fig)
    return names


def plot_knobs(report: Report, path: Path) -> bool:
    """Before/after REST p95 and throughput of every measured serving knob; False when there is none."""
    rows = []
    for knob in report["knobs"]:
        for level, after in (dig(knob, "after", "rest") or {}).items():
            before = dig(knob, "before", "rest", level)
            if before:
                rows.append((f"{knob['name']}\n{level} concurrent", before, after))
    if not rows:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    xs = range(len(rows))
    for axis, field, title in ((axes[0], "p95_ms", "REST p95 (ms)"), (axes[1], "throughput_msg_s", "messages / s")):
        axis.bar([x - 0.2 for x in xs], [row[1][field] or 0 for row in rows], 0.4, label="before")
        axis.bar([x + 0.2 for x in xs], [row[2][field] or 0 for row in rows], 0.4, label="after")
        axis.set_xticks(list(xs))
        axis.set_xticklabels([row[0] for row in rows], fontsize=8)
        axis.set_title(title)
        axis.legend(fontsize=8)
    fig.suptitle("Speed knobs")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(report: Report, out_dir: Path) -> Report:
    """Compute ratios and targets, then write report.json, report.md and the plots to `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    build(report)
    plots = plot(report, out_dir)
    report["plots"] = plots
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    (out_dir / "report.md").write_text(markdown(report, plots), encoding="utf-8")
    return report
