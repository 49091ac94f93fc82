"""Charts of the report, drawn with matplotlib and returned as base64 PNG data URIs."""
from __future__ import annotations

import base64
import io
from typing import Any, Dict, List, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib import font_manager  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# Chinese labels need a CJK font (Debian: fonts-noto-cjk); the first one installed wins.
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Source Han Sans SC", "SimHei"]
FEW = 5  # fewer bars than this get extra room around them
COLORS = ["#e8590c", "#1c7ed6", "#2f9e44", "#ae3ec9", "#f59f00", "#868e96"]


def _configure_fonts() -> None:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    plt.rcParams["font.sans-serif"] = [f for f in CJK_FONTS if f in installed] + ["DejaVu Sans"]
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False


_configure_fonts()


def _data_uri(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _empty(axis: Any, title: str) -> None:
    axis.set_title(title)
    axis.text(0.5, 0.5, "暂无数据", ha="center", va="center", fontsize=14, color="#868e96")
    axis.set_axis_off()


def _grouped_bars(axis: Any, labels: Sequence[str], series: Dict[str, List[int]], title: str) -> None:
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series.items()):
        positions = [x + (index - (len(series) - 1) / 2) * width for x in range(len(labels))]
        axis.bar(positions, values, width=width, label=name, color=COLORS[index % len(COLORS)])
    if len(labels) < FEW:
        axis.set_xlim(-1.5, len(labels) + 0.5)  # keep a lone day or form from filling the chart
    axis.set_xticks(range(len(labels)))
    axis.set_xticklabels(labels, rotation=60 if len(labels) > 12 else 0, ha="right" if len(labels) > 12 else "center", fontsize=8)
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_ylim(0, max([1, *(v for values in series.values() for v in values)]) * 1.1)
    axis.set_title(title)
    axis.legend()


def _horizontal(axis: Any, counts: Dict[str, int], title: str, color: str = COLORS[1]) -> None:
    if not counts:
        _empty(axis, title)
        return
    labels, values = list(counts)[::-1], list(counts.values())[::-1]
    axis.barh(labels, values, color=color, height=0.6)
    if len(labels) < FEW:
        axis.set_ylim(-1.5, len(labels) + 0.5)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    for y, value in enumerate(values):
        axis.text(value, y, f" {value}", va="center", fontsize=8)
    axis.set_title(title)


def activity_chart(per_day: Dict[str, Dict[str, int]], per_hour: Dict[str, Dict[str, int]]) -> str:
    """Conversations and messages per day and per hour (China time)."""
    figure, (by_day, by_hour) = plt.subplots(2, 1, figsize=(10, 7))
    days = list(per_day)
    _grouped_bars(
        by_day,
        [day[5:] for day in days],
        {"会话": [per_day[d]["conversations"] for d in days], "用户消息": [per_day[d]["messages"] for d in days]},
        "每天的会话和消息（中国时间）",
    )
    hours = list(per_hour)
    _grouped_bars(
        by_hour,
        hours,
        {"会话": [per_hour[h]["conversations"] for h in hours], "用户消息": [per_hour[h]["messages"] for h in hours]},
        "按小时（中国时间）",
    )
    return _data_uri(figure)


def counts_chart(counts: Dict[str, int], title: str, color: str = COLORS[1]) -> str:
    """One horizontal bar per label, largest on top."""
    figure, axis = plt.subplots(figsize=(8, max(2.5, 0.32 * len(counts) + 1)))
    _horizontal(axis, counts, title, color)
    return _data_uri(figure)


def forms_chart(forms: Dict[str, Dict[str, Any]]) -> str:
    """Per form: started / completed / abandoned, and where abandoned forms stopped."""
    figure, (funnel, stops) = plt.subplots(1, 2, figsize=(10, 3.5))
    if forms:
        names = list(forms)
        _grouped_bars(
            funnel,
            names,
            {
                "开始": [forms[n]["started"] for n in names],
                "完成": [forms[n]["completed"] for n in names],
                "放弃": [forms[n]["abandoned"] for n in names],
            },
            "表单",
        )
    else:
        _empty(funnel, "表单")
    stopped: Dict[str, int] = {}
    for name, form in forms.items():
        for slot, count in form["abandoned_at"].items():
            stopped[slot if len(forms) == 1 else f"{name}: {slot}"] = count
    _horizontal(stops, stopped, "放弃时停在哪个槽位", COLORS[0])
    return _data_uri(figure)


def requests_chart(by_category: Dict[str, int], by_goal: Dict[str, int]) -> str:
    """Saved support requests by category and by goal."""
    figure, (categories, goals) = plt.subplots(1, 2, figsize=(10, 3.8))
    _horizontal(categories, by_category, "按问题类别", COLORS[2])
    _horizontal(goals, by_goal, "按诉求", COLORS[3])
    return _data_uri(figure)
