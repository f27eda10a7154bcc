"""The weekly report: Markdown and HTML with one trend plot per app and scenario.

A step document (``step.json``, written by ``kindops k6 run``/``compare``) says how one app and
scenario did in this run; :func:`markdown` and :func:`html_page` turn the steps into pages and
:func:`trend_png` draws p95 and req/s across the history with the baseline band: the median, a
shaded ±noise band, and the dashed line a run must cross (threshold or noise, whichever is
wider) to regress.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import Any

from kindops.k6.history import Entry

VERDICT_MARK = {
    "pass": "pass",
    "improved": "improved",
    "inconclusive": "inconclusive",
    "regressed": "REGRESSED",
    "failed": "FAILED",
    "skipped": "skipped",
    "missing": "did not run",
}
COLORS = {
    "pass": "#2e7d32",
    "improved": "#1565c0",
    "inconclusive": "#8d6e00",
    "regressed": "#c62828",
    "failed": "#c62828",
    "skipped": "#616161",
    "missing": "#c62828",
}


def plot_name(app: str, scenario: str) -> str:
    return f"trend-{app}-{scenario}.png"


def _num(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{float(value) * 100:.2f} %"
    text = f"{float(value):.{digits}f}"
    return f"{text} {unit}".strip()


def _change(row: dict[str, Any]) -> str:
    if row.get("change") is None:
        return "-"
    if row["unit"] == "ratio":
        return f"{row['change'] * 100:+.2f} pt"
    pct = row.get("change_pct")
    return f"{pct:+.1f} %" if pct is not None else f"{row['change']:+.2f} {row['unit']}"


def metric_rows(step: dict[str, Any]) -> list[list[str]]:
    rows = []
    for row in step.get("comparison") or []:
        if row["current"] is None:
            continue
        unit = row["unit"]
        rows.append(
            [
                row["label"],
                _num(row["current"], unit),
                _num(row["baseline"], unit),
                _change(row),
                _num(row["threshold"], unit, 2),
                _num(row["noise"], unit, 2),
                row["verdict"],
            ]
        )
    return rows


METRIC_HEADER = ["metric", "this run", "baseline", "change", "threshold", "noise band", "verdict"]


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


def overview_rows(steps: Sequence[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for step in steps:
        metrics = step.get("metrics") or {}
        rows.append(
            [
                step["app"],
                step["scenario"],
                VERDICT_MARK.get(step["verdict"], step["verdict"]),
                _num(metrics.get("p95_ms"), "ms"),
                _num(metrics.get("rps"), "req/s"),
                _num(metrics.get("error_ratio"), "ratio"),
                step.get("reason", ""),
            ]
        )
    return rows


OVERVIEW_HEADER = ["app", "scenario", "verdict", "p95", "req/s", "failed", "why"]


def markdown(run_key: str, steps: Sequence[dict[str, Any]], plots: set[str]) -> str:
    lines = [
        f"# k6 baseline — {run_key}",
        "",
        "Each run is judged against the median of its last accepted runs (same app, scenario "
        "and profile). A regression must exceed both its threshold and the noise band of the "
        "history.",
        "",
        *_md_table(OVERVIEW_HEADER, overview_rows(steps)),
    ]
    for step in steps:
        lines += ["", f"## {step['app']} {step['scenario']}: {VERDICT_MARK[step['verdict']]}", ""]
        lines.append(step.get("reason", ""))
        if step.get("gate"):
            lines += ["", f"Gate: {step['gate']['reason']}."]
        if step.get("profile"):
            accepted = "accepted into the baseline" if step.get("accepted") else "not accepted"
            lines += ["", f"Profile `{step['profile']}`; {accepted}."]
        rows = metric_rows(step)
        if rows:
            lines += ["", *_md_table(METRIC_HEADER, rows)]
        runs = step.get("baseline_runs") or []
        if runs:
            lines += ["", "Baseline runs: " + ", ".join(f"`{r}`" for r in runs) + "."]
        name = plot_name(step["app"], step["scenario"])
        if name in plots:
            lines += ["", f"![p95 and req/s across runs]({name})"]
    return "\n".join(lines) + "\n"


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#212121}"
    "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #bdbdbd;"
    "padding:.25rem .5rem;text-align:left}th{background:#eeeeee}.v{font-weight:600}"
    "img{max-width:100%}"
)


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], verdict_col: int) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if i == verdict_col:
                key = next((k for k, v in VERDICT_MARK.items() if v == cell), cell)
                color = COLORS.get(key, "#212121")
                cells.append(f'<td class="v" style="color:{color}">{html.escape(cell)}</td>')
            else:
                cells.append(f"<td>{html.escape(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def html_page(run_key: str, steps: Sequence[dict[str, Any]], plots: set[str]) -> str:
    title = html.escape(f"k6 baseline — {run_key}")
    parts = [
        "<!doctype html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title>',
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        "<p>Each run is judged against the median of its last accepted runs (same app, scenario "
        "and profile). A regression must exceed both its threshold and the noise band.</p>",
        _html_table(OVERVIEW_HEADER, overview_rows(steps), 2),
    ]
    for step in steps:
        verdict = step["verdict"]
        color = COLORS.get(verdict, "#212121")
        parts.append(
            f"<h2>{html.escape(step['app'])} {html.escape(step['scenario'])}: "
            f'<span style="color:{color}">{html.escape(VERDICT_MARK[verdict])}</span></h2>'
        )
        parts.append(f"<p>{html.escape(step.get('reason', ''))}</p>")
        if step.get("gate"):
            parts.append(f"<p>Gate: {html.escape(step['gate']['reason'])}.</p>")
        rows = metric_rows(step)
        if rows:
            parts.append(_html_table(METRIC_HEADER, rows, 6))
        name = plot_name(step["app"], step["scenario"])
        if name in plots:
            parts.append(f'<img src="{html.escape(name)}" alt="p95 and req/s across runs">')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def trend_png(step: dict[str, Any], history: Sequence[Entry]) -> bytes:
    """p95 and req/s of every recorded run of the step's profile, with the baseline band."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    entries = [e for e in history if e.profile == step.get("profile")]
    rows = {r["metric"]: r for r in step.get("comparison") or []}
    fig, axes = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
    panels = (("p95_ms", "p95 latency (ms)", True), ("rps", "throughput (req/s)", False))
    for ax, (key, title, higher_is_worse) in zip(axes, panels, strict=True):
        good = [(e.at, getattr(e.metrics, key)) for e in entries if e.accepted]
        bad = [(e.at, getattr(e.metrics, key)) for e in entries if not e.accepted]
        if good:
            ax.plot(*zip(*good, strict=True), "o-", color="#1565c0", label="accepted run")
        if bad:
            ax.plot(*zip(*bad, strict=True), "x", color="#c62828", ms=9, label="not accepted")
        this = [(e.at, getattr(e.metrics, key)) for e in entries if e.run_key == step["run_key"]]
        if this:
            ax.plot(*zip(*this, strict=True), "s", mfc="none", mec="black", ms=12, label="this run")
        row = rows.get(key)
        if row and row.get("baseline") is not None and row.get("noise") is not None:
            base, noise = float(row["baseline"]), float(row["noise"])
            ax.axhline(base, color="#616161", lw=1, label="baseline (median)")
            ax.axhspan(base - noise, base + noise, color="#9e9e9e", alpha=0.25, label="noise band")
            margin = max(noise, float(row.get("threshold") or 0.0))
            limit = base + margin if higher_is_worse else base - margin
            ax.axhline(limit, color="#c62828", lw=1, ls="--", label="regression line")
        ax.set_ylabel(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    axes[0].set_title(f"{step['app']} {step['scenario']} — profile {step.get('profile')}")
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
