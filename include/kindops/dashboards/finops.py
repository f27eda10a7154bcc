"""FinOps: what the lab costs per namespace, deployment and label, how efficiently, how idle.

Two sources. The nightly cost review (``kindops cost review``, DAG ``opencost_review``) pushes
the reviewed day's figures to the Pushgateway under ``job="cost-review"`` (metric contract:
``kindops.cost.publish.METRICS``): ``kindops_cost_daily_usd{group_by, group}`` with
``group_by`` one of ``cluster``, ``namespace``, ``deployment``, ``label:team``, ``label:app``,
the baseline medians, the anomaly flags, efficiency and idle share. OpenCost's own exporter
metrics (``node_total_hourly_cost``, ``node_cpu_hourly_cost``, ``node_ram_hourly_cost``,
``container_cpu_allocation``, ``container_memory_allocation_bytes``, ``pod_pvc_allocation``,
``pv_hourly_cost``) give the live hourly run rate between two reviews.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import table as table_panel

from kindops.dashboards.common import (
    ORANGE,
    RED,
    YELLOW,
    board,
    prom,
    query_variable,
    row,
    stat,
    table,
    timeseries,
)

UID = "kindops-finops"

GIB = "1073741824"
_DAILY = "kindops_cost_daily_usd"
_MEDIAN = "kindops_cost_baseline_median_usd"
_ANOMALY = "kindops_cost_anomaly"
_GEFF = "kindops_cost_group_efficiency"
_REVIEW = 'job="cost-review"'
_TOTAL = ', resource="total"'


def _by(metric: str, group_by: str, extra: str = "") -> str:
    return f'max by (group) ({metric}{{{_REVIEW}, group_by="{group_by}"{extra}}})'


def _cpu_cost(by: str) -> str:
    return (
        f"sum by ({by}) (container_cpu_allocation * on (node) group_left () "
        "avg by (node) (node_cpu_hourly_cost))"
    )


def _ram_cost(by: str) -> str:
    return (
        f"sum by ({by}) (container_memory_allocation_bytes * on (node) group_left () "
        f"avg by (node) (node_ram_hourly_cost)) / {GIB}"
    )


def _group_table(title: str, description: str, group_by: str, top: int) -> table_panel.Panel:
    return table(
        title,
        description,
        "currencyUSD",
        [
            prom(f"topk({top}, {_by(_DAILY, group_by)})", instant=True),
            prom(_by(_MEDIAN, group_by), instant=True),
            prom(_by(_ANOMALY, group_by), instant=True),
            prom(_by(_GEFF, group_by, ', resource="cpu"'), instant=True),
            prom(_by(_GEFF, group_by, ', resource="ram"'), instant=True),
        ],
        rename={
            "group": "Group",
            "Value #A": "Cost (USD/day)",
            "Value #B": "Baseline median",
            "Value #C": "Anomaly",
            "Value #D": "CPU efficiency",
            "Value #E": "RAM efficiency",
        },
        units={
            "Anomaly": "bool",
            "CPU efficiency": "percentunit",
            "RAM efficiency": "percentunit",
        },
    )


def build() -> db.Dashboard:
    d = (
        board(
            UID,
            "FinOps: cost per namespace, deployment and label",
            "OpenCost allocation reviewed nightly (cost per namespace, deployment, team and app "
            "label, anomalies against the trailing 7 days, efficiency, idle share) and OpenCost's "
            "live hourly cost. Prices: the lab's custom pricing (gitops/platform/opencost).",
            ["finops", "opencost"],
        )
        .time("now-30d", "now")
        .refresh("5m")
    )
    d = d.with_variable(
        query_variable(
            "label",
            "Label dimension",
            f'label_values({_DAILY}{{{_REVIEW}, group_by=~"label:.+"}}, group_by)',
            "label:team",
        )
    )

    d = d.with_row(row("Reviewed day (nightly cost review)"))
    d = d.with_panel(
        stat(
            "Cluster cost",
            "Cost of the last reviewed UTC day, idle included.",
            "currencyUSD",
            prom(f'max({_DAILY}{{{_REVIEW}, group_by="cluster", group="total"}})'),
            width=4,
            decimals=2,
        )
    )
    d = d.with_panel(
        stat(
            "Idle share",
            "Share of the day's cost nobody requested (OpenCost __idle__).",
            "percentunit",
            prom(f"max(kindops_cost_idle_ratio{{{_REVIEW}}})"),
            steps=((0.4, YELLOW), (0.6, ORANGE)),
            width=4,
        )
    )
    d = d.with_panel(
        stat(
            "CPU efficiency",
            "CPU used over CPU requested, weighted by CPU cost.",
            "percentunit",
            prom(f'max(kindops_cost_efficiency{{{_REVIEW}, resource="cpu"}})'),
            base=ORANGE,
            steps=((0.3, YELLOW), (0.6, "green")),
            width=4,
        )
    )
    d = d.with_panel(
        stat(
            "RAM efficiency",
            "RAM used over RAM requested, weighted by RAM cost.",
            "percentunit",
            prom(f'max(kindops_cost_efficiency{{{_REVIEW}, resource="ram"}})'),
            base=ORANGE,
            steps=((0.3, YELLOW), (0.6, "green")),
            width=4,
        )
    )
    d = d.with_panel(
        stat(
            "Anomalies",
            "Groups whose daily cost is an anomaly against their baseline (alert CostAnomaly).",
            "short",
            prom(f"count({_ANOMALY}{{{_REVIEW}}} == 1) or vector(0)"),
            steps=((1, RED),),
            width=4,
        )
    )
    d = d.with_panel(
        stat(
            "Since last review",
            "Time since the cost review last succeeded (nightly: late after 26 h).",
            "s",
            prom(f"time() - max(kindops_job_last_success_timestamp_seconds{{{_REVIEW}}})"),
            steps=((26 * 3600, ORANGE), (50 * 3600, RED)),
            width=4,
        )
    )
    d = d.with_panel(
        table(
            "Anomalous groups",
            "Groups flagged by the last review: their cost, their baseline median. The "
            "explanation (which cost component moved) is in the alert and the review report.",
            "currencyUSD",
            [
                prom(
                    f"max by (group_by, group) ({_DAILY}{{{_REVIEW}}}) and on (group_by, group) "
                    f"(max by (group_by, group) ({_ANOMALY}{{{_REVIEW}}}) == 1)",
                    instant=True,
                ),
                prom(
                    f"max by (group_by, group) ({_MEDIAN}{{{_REVIEW}}}) and on (group_by, group) "
                    f"(max by (group_by, group) ({_ANOMALY}{{{_REVIEW}}}) == 1)",
                    instant=True,
                ),
            ],
            rename={
                "group_by": "Dimension",
                "group": "Group",
                "Value #A": "Cost (USD/day)",
                "Value #B": "Baseline median",
            },
            width=24,
            height=6,
        )
    )

    d = d.with_row(row("Cost by namespace, deployment and label"))
    d = d.with_panel(
        timeseries(
            "Daily cost by namespace",
            "Cost of each reviewed day per namespace (one value per nightly review).",
            "currencyUSD",
            [prom(_by(_DAILY, "namespace"), "{{group}}")],
            stacked=True,
        )
    )
    d = d.with_panel(
        _group_table(
            "Namespaces",
            "Last reviewed day per namespace: cost, baseline median, anomaly flag, efficiency.",
            "namespace",
            50,
        )
    )
    d = d.with_panel(
        _group_table(
            "Deployments (top 20)",
            "The 20 most expensive deployments (namespace/deployment) on the last reviewed day; "
            "(unallocated) = pods not owned by a deployment.",
            "deployment",
            20,
        )
    )
    d = d.with_panel(
        _group_table(
            "By $label",
            "Cost per value of the label; (unallocated) = workloads without the label.",
            "$label",
            30,
        )
    )
    d = d.with_panel(
        timeseries(
            "Daily cost by $label",
            "Cost of each reviewed day per value of the label.",
            "currencyUSD",
            [prom(_by(_DAILY, "$label"), "{{group}}")],
            stacked=True,
        )
    )
    d = d.with_panel(
        timeseries(
            "Daily cost by component",
            "Cluster cost of each reviewed day split by cost component (cpu, ram, pv, ...).",
            "currencyUSD",
            [
                prom(
                    f"max by (component) (kindops_cost_component_daily_usd{{{_REVIEW}}}) > 0",
                    "{{component}}",
                )
            ],
            stacked=True,
        )
    )

    d = d.with_row(row("Efficiency and idle"))
    d = d.with_panel(
        timeseries(
            "Efficiency",
            "Cost-weighted usage over request of the reviewed days.",
            "percentunit",
            [
                prom(
                    f"max by (resource) (kindops_cost_efficiency{{{_REVIEW}}})",
                    "{{resource}}",
                )
            ],
        )
    )
    d = d.with_panel(
        timeseries(
            "Idle share over time",
            "Share of each reviewed day's cost that nobody requested.",
            "percentunit",
            [prom(f"max(kindops_cost_idle_ratio{{{_REVIEW}}})", "idle")],
            steps=((0.4, YELLOW), (0.6, ORANGE)),
        )
    )
    d = d.with_panel(
        table(
            "Least efficient namespaces",
            "Namespaces with the lowest total efficiency (usage over request) on the last "
            "reviewed day: the candidates for smaller requests.",
            "percentunit",
            [
                prom(f"bottomk(10, {_by(_GEFF, 'namespace', _TOTAL)})", instant=True),
                prom(f"topk(100, {_by(_DAILY, 'namespace')})", instant=True),
            ],
            rename={"group": "Namespace", "Value #A": "Efficiency", "Value #B": "Cost (USD/day)"},
            units={"Cost (USD/day)": "currencyUSD"},
            width=24,
            height=7,
        )
    )

    d = d.with_row(row("Live (OpenCost exporter)"))
    total_now = "sum(avg by (node) (node_total_hourly_cost))"
    d = d.with_panel(
        stat(
            "Cost per hour now",
            "What the cluster's nodes cost per hour at the lab's custom prices.",
            "currencyUSD",
            prom(total_now),
            width=6,
            decimals=3,
        )
    )
    d = d.with_panel(
        stat(
            "Monthly run rate",
            "The hourly cost now times 730 hours.",
            "currencyUSD",
            prom(f"{total_now} * 730"),
            width=6,
            decimals=2,
        )
    )
    d = d.with_panel(
        stat(
            "Idle now",
            "Share of the node cost no container has allocated (requests or usage) right now.",
            "percentunit",
            prom(
                f"clamp_min(1 - (sum({_cpu_cost('node')}) + sum({_ram_cost('node')})) "
                f"/ {total_now}, 0)"
            ),
            steps=((0.4, YELLOW), (0.6, ORANGE)),
            width=6,
        )
    )
    d = d.with_panel(
        stat(
            "Storage per hour now",
            "Persistent volumes claimed by pods, at the storage price.",
            "currencyUSD",
            prom(
                "sum(pod_pvc_allocation * on (persistentvolume) group_left () "
                f"avg by (persistentvolume) (pv_hourly_cost)) / {GIB} or vector(0)"
            ),
            width=6,
            decimals=4,
        )
    )
    d = d.with_panel(
        timeseries(
            "Hourly cost by namespace (live)",
            "CPU and RAM allocation of each namespace's containers at the node prices.",
            "currencyUSD",
            [
                prom(
                    f"{_cpu_cost('namespace')} + on (namespace) {_ram_cost('namespace')}",
                    "{{namespace}}",
                )
            ],
            stacked=True,
        )
    )
    d = d.with_panel(
        timeseries(
            "Allocated vs node cost (live)",
            "Node cost per hour and the part of it containers allocated; the gap is idle.",
            "currencyUSD",
            [
                prom(total_now, "nodes"),
                prom(
                    f"sum({_cpu_cost('node')}) + sum({_ram_cost('node')})",
                    "allocated",
                ),
            ],
        )
    )
    return d
