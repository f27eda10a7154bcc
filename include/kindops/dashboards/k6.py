"""k6 baselines: every weekly load-test step against the median of its accepted history.

Reads what ``kindops k6 run`` pushes per step to the Pushgateway, group
``{job="k6-baseline", app, scenario}`` (contract: :mod:`kindops.k6.push`): the run's p95, p99,
req/s, failed-request and passed-checks ratios, the baseline median each was judged on and
the half-width of its noise band, the one-hot ``kindops_k6_verdict{verdict}`` and the step's
time. Metric names come from :data:`kindops.k6.push.FIGURES`, so the dashboard cannot drift
from what is pushed.

The pushed gauges hold their value until the next weekly push, so a trend is a staircase with
one step per run. Instant panels read the last value of the past :data:`LOOKBACK` (a weekly run
and a day), which also bridges a Pushgateway restart (it keeps nothing on disk).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus as prom_query
from grafana_foundation_sdk.builders import stat as stat_panel
from grafana_foundation_sdk.builders import statetimeline
from grafana_foundation_sdk.builders import table as table_panel
from grafana_foundation_sdk.builders import timeseries as ts_panel
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models.dashboard import (
    DynamicConfigValue,
    ValueMap,
    ValueMappingResult,
)

from kindops.dashboards.common import (
    ALL,
    GREEN,
    ORANGE,
    PROMETHEUS,
    RED,
    YELLOW,
    board,
    prom,
    query_variable,
    row,
    stat,
    table,
    thresholds,
    timeseries,
)
from kindops.k6.push import FIGURES, JOB, PREFIX, VERDICT_LABELS, Figure

UID = "kindops-k6"

#: A weekly run plus a day: how far back instant panels look for the last push.
LOOKBACK = "8d"
_JOB = f'job="{JOB}"'
#: The trend rows: one app, the row's scenario (the row repeats per selected scenario).
_STEP = f'{_JOB}, app="$app", scenario=~"$scenario"'

#: How each verdict reads and its colour; its code (the value the panels map) is its position
#: in ``VERDICT_LABELS`` plus one.
VERDICT_STYLE = {
    "pass": ("pass", GREEN),
    "improved": ("improved", "blue"),
    "inconclusive": ("inconclusive", YELLOW),
    "regressed": ("regressed", RED),
    "failed": ("failed (k6 thresholds)", "dark-red"),
    "skipped": ("skipped (gate)", "purple"),
}
VERDICT_CODES = {name: code for code, name in enumerate(VERDICT_LABELS, start=1)}


def verdict_mapping() -> ValueMap:
    """Verdict code -> its name and colour."""
    return ValueMap(
        {
            str(code): ValueMappingResult(
                text=VERDICT_STYLE[name][0], color=VERDICT_STYLE[name][1], index=code - 1
            )
            for name, code in VERDICT_CODES.items()
        }
    )


def metric(figure: Figure, kind: str = "") -> str:
    """``kindops_k6_<figure>``, or with ``kind`` ``baseline`` / ``baseline_noise``."""
    return f"{PREFIX}{kind + '_' if kind else ''}{figure.name}"


def _last(name: str, selector: str = _JOB) -> str:
    """The last pushed value per step within the lookback."""
    return f"max by (app, scenario) (last_over_time({name}{{{selector}}}[{LOOKBACK}]))"


def verdict_code(*, last: bool) -> str:
    """One series per step whose value is the code of its verdict (1 pass ... 6 skipped).

    ``last``: the last pushed verdict within the lookback (instant panels); otherwise the
    verdict at each point in time (the history panel)."""
    parts = []
    for name, code in VERDICT_CODES.items():
        selector = f'{_JOB}, verdict="{name}"'
        series = (
            _last(f"{PREFIX}verdict", selector)
            if last
            else f"max by (app, scenario) ({PREFIX}verdict{{{selector}}})"
        )
        parts.append(f"{code} * ({series} == 1)")
    return "\nor ".join(parts)


def _instant(expr: str, legend: str) -> prom_query.Dataquery:
    """An instant query keeping series (and legends), for stats over a month-long range."""
    return prom(expr, legend).instant()


def _figure(key: str) -> Figure:
    return next(f for f in FIGURES if f.key == key)


def _trend(
    title: str, description: str, key: str, unit: str, *, ratio: bool = False, width: int = 12
) -> ts_panel.Panel:
    """One figure of the row's step: each run, the baseline median and the ±noise band."""
    figure = _figure(key)
    run = f"max({metric(figure)}{{{_STEP}}})"
    base = f"max({metric(figure, 'baseline')}{{{_STEP}}})"
    noise = f"max({metric(figure, 'baseline_noise')}{{{_STEP}}})"
    upper = f"{base} + {noise}"
    if ratio:
        upper = f"clamp_max({upper}, 1)"
    band_hi, band_lo = "noise band", "noise band (lower)"
    band = [
        DynamicConfigValue("color", {"mode": "fixed", "fixedColor": "#9e9e9e"}),
        DynamicConfigValue("custom.lineWidth", 0),
    ]
    return (
        timeseries(
            title,
            description,
            unit,
            [
                prom(run, "this run"),
                prom(base, "baseline median"),
                prom(upper, band_hi),
                prom(f"clamp_min({base} - {noise}, 0)", band_lo),
            ],
            width=width,
            minimum=None if ratio and key == "check_rate" else 0,
        )
        .line_interpolation(cm.LineInterpolation.STEP_AFTER)
        .fill_opacity(0)
        .override_by_name(
            "this run",
            [
                DynamicConfigValue("color", {"mode": "fixed", "fixedColor": "blue"}),
                DynamicConfigValue("custom.lineWidth", 2),
            ],
        )
        .override_by_name(
            "baseline median",
            [
                DynamicConfigValue("color", {"mode": "fixed", "fixedColor": "#616161"}),
                DynamicConfigValue("custom.lineStyle", {"fill": "dash", "dash": [10, 10]}),
            ],
        )
        .override_by_name(
            band_hi,
            [
                *band,
                DynamicConfigValue("custom.fillBelowTo", band_lo),
                DynamicConfigValue("custom.fillOpacity", 25),
            ],
        )
        .override_by_name(
            band_lo,
            [
                *band,
                DynamicConfigValue(
                    "custom.hideFrom", {"legend": True, "tooltip": False, "viz": False}
                ),
            ],
        )
    )


def _last_verdicts() -> stat_panel.Panel:
    return (
        stat(
            "Last verdict",
            "The verdict of each step's last run (past 8 days): pass / improved (accepted into "
            "the baseline), inconclusive (seeding, too few requests, or inside the noise), "
            "regressed (beyond threshold and noise), failed (k6's own thresholds), skipped (the "
            "error-budget gate kept the load off). Why: the weekly report, k6-report/<run>/.",
            "none",
            _instant(verdict_code(last=True), "{{app}} {{scenario}}"),
            base="text",
            width=16,
            height=6,
        )
        .mappings([verdict_mapping()])
        .graph_mode(cm.BigValueGraphMode.NONE)
        .text_mode(cm.BigValueTextMode.VALUE_AND_NAME)
    )


def _verdict_history() -> statetimeline.Panel:
    return (
        statetimeline.Panel()
        .title("Verdict history")
        .description(
            "Each step's verdict over time: a new band starts at every weekly run (and at every "
            "rerun of a week)."
        )
        .datasource(PROMETHEUS)
        .with_target(prom(verdict_code(last=False), "{{app}} {{scenario}}"))
        .interval("30m")
        .mappings([verdict_mapping()])
        .thresholds(thresholds("text"))
        .show_value(cm.VisibilityMode.AUTO)
        .merge_values(True)
        .fill_opacity(80)
        .line_width(0)
        .span(16)
        .height(8)
    )


def _last_runs_table() -> table_panel.Panel:
    def last(key: str, kind: str = "") -> str:
        return _last(metric(_figure(key), kind))

    return table(
        "Last run per step",
        "Each step's last run: verdict, p95 and req/s with their change against the baseline "
        "median, p99, failed requests, passed checks, and how long ago it ran (a skipped step "
        "shows the figures of its last run that sent load).",
        "none",
        [
            prom(verdict_code(last=True), instant=True),
            prom(last("p95_ms"), instant=True),
            prom(f"{last('p95_ms')} / {last('p95_ms', 'baseline')} - 1", instant=True),
            prom(last("p99_ms"), instant=True),
            prom(last("rps"), instant=True),
            prom(f"{last('rps')} / {last('rps', 'baseline')} - 1", instant=True),
            prom(last("error_ratio"), instant=True),
            prom(last("check_rate"), instant=True),
            prom(f"time() - {_last(PREFIX + 'run_timestamp_seconds')}", instant=True),
        ],
        rename={
            "app": "App",
            "scenario": "Scenario",
            "Value #A": "Verdict",
            "Value #B": "p95",
            "Value #C": "p95 vs baseline",
            "Value #D": "p99",
            "Value #E": "req/s",
            "Value #F": "req/s vs baseline",
            "Value #G": "Failed requests",
            "Value #H": "Passed checks",
            "Value #I": "Ran",
        },
        units={
            "p95": "s",
            "p95 vs baseline": "percentunit",
            "p99": "s",
            "req/s": "reqps",
            "req/s vs baseline": "percentunit",
            "Failed requests": "percentunit",
            "Passed checks": "percentunit",
            "Ran": "dtdurations",
        },
        width=24,
        height=8,
    ).override_by_name(
        "Verdict",
        [
            DynamicConfigValue("mappings", [verdict_mapping()]),
            DynamicConfigValue("custom.cellOptions", {"type": "color-background"}),
        ],
    )


def _skipped_table() -> table_panel.Panel:
    skipped = _last(PREFIX + "verdict", f'{_JOB}, verdict="skipped"')
    return table(
        "Skipped by the error-budget gate",
        "Steps whose last run the gate skipped because the app's remaining error budget was "
        "below the minimum, or unknown (kindops k6 run --gate, exit 10), and how long ago. The "
        "reason is in the weekly report and the step's step.json.",
        "dtdurations",
        [
            prom(
                f"time() - {_last(PREFIX + 'run_timestamp_seconds')}\n"
                f"and on (app, scenario) ({skipped} == 1)",
                instant=True,
            )
        ],
        rename={"app": "App", "scenario": "Scenario", "Value": "Skipped"},
        width=8,
        height=8,
    )


def build() -> db.Dashboard:
    d = (
        board(
            UID,
            "k6 baselines",
            "The weekly k6 baseline (DAG k6_weekly_baseline): per app and scenario, each run's "
            "p95 and p99 latency, req/s, failed requests and passed checks against the median "
            "of the accepted history and its noise band, the verdicts, and the steps the "
            "error-budget gate skipped.",
            ["k6", "load-testing", "airflow"],
        )
        .time("now-30d", "now")
        .refresh("5m")
    )
    runs = f"{PREFIX}run_timestamp_seconds{{{_JOB}}}"
    d = d.with_variable(query_variable("app", "App", f"label_values({runs}, app)", "app-python"))
    d = d.with_variable(
        query_variable(
            "scenario",
            "Scenario",
            f'label_values({PREFIX}run_timestamp_seconds{{{_JOB}, app="$app"}}, scenario)',
            ALL,
            multi=True,
        )
    )

    d = d.with_row(row("Every app and scenario: last run"))
    d = d.with_panel(_last_verdicts())
    regressed = _last(PREFIX + "verdict", f'{_JOB}, verdict=~"regressed|failed"')
    d = d.with_panel(
        stat(
            "Regressed or failed",
            "Steps whose last run regressed against its baseline or failed k6's thresholds "
            "(the weekly run is then bad, and its success timestamp is not pushed).",
            "short",
            _instant(f"count({regressed} == 1) or vector(0)", ""),
            steps=((1, RED),),
            width=4,
            height=6,
        ).graph_mode(cm.BigValueGraphMode.NONE)
    )
    skipped = _last(PREFIX + "verdict", f'{_JOB}, verdict="skipped"')
    d = d.with_panel(
        stat(
            "Skipped by the gate",
            "Steps whose last run the error-budget gate skipped (the app had too little "
            "error budget left to spend it on a stress test).",
            "short",
            _instant(f"count({skipped} == 1) or vector(0)", ""),
            steps=((1, ORANGE),),
            width=4,
            height=6,
        ).graph_mode(cm.BigValueGraphMode.NONE)
    )
    d = d.with_panel(_last_runs_table())
    d = d.with_panel(_skipped_table())
    d = d.with_panel(_verdict_history())

    d = d.with_row(row("$app $scenario: each run against its baseline").repeat("scenario"))
    d = d.with_panel(
        _trend(
            "p95 latency",
            "p95 of http_req_duration of each run (a staircase: one step per weekly run), the "
            "baseline median it was judged on and the ±noise band. Regressed when above both "
            "the threshold (+10 % by default) and the band.",
            "p95_ms",
            "s",
        )
    )
    d = d.with_panel(
        _trend(
            "p99 latency",
            "p99 of http_req_duration of each run against its baseline median and noise band "
            "(threshold +20 % by default: tails are noisier).",
            "p99_ms",
            "s",
        )
    )
    d = d.with_panel(
        _trend(
            "Requests per second",
            "Throughput of each run against its baseline median and noise band (regressed when "
            "below both the threshold, -10 % by default, and the band).",
            "rps",
            "reqps",
            width=8,
        )
    )
    d = d.with_panel(
        _trend(
            "Failed requests",
            "http_req_failed ratio of each run against its baseline (threshold +0.5 point by "
            "default).",
            "error_ratio",
            "percentunit",
            ratio=True,
            width=8,
        )
    )
    d = d.with_panel(
        _trend(
            "Passed checks",
            "k6 checks ratio of each run against its baseline (threshold -0.5 point by "
            "default). Empty for a scenario without checks.",
            "check_rate",
            "percentunit",
            ratio=True,
            width=8,
        )
    )
    return d
